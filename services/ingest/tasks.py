"""Celery tasks of the ingest stage: a thin wrapper around `ingest_articles`, and the feed
polling that the scheduler's beat sends here by name."""

from __future__ import annotations

import structlog
from celery import Task

from services.ingest.feeds import poll_due_feeds
from services.ingest.stage import ingest_articles
from shared.celery_app import POLL_FEEDS_TASK, TASK_NAMES, app
from shared.db import session_scope
from shared.states import Stage
from shared.worker import run_stage

log = structlog.get_logger(__name__)


@app.task(name=TASK_NAMES[Stage.INGEST], bind=True, acks_late=True)
def ingest_task(self: Task, article_ids: list[str], alone: bool = False) -> int:
    return run_stage(self, Stage.INGEST, article_ids, ingest_articles, Stage.ENRICH, alone=alone)


@app.task(name=POLL_FEEDS_TASK, acks_late=True, ignore_result=True)
def poll_feeds_task() -> dict[str, int]:
    """Poll the feeds that are due. Never raises, like the sweeper: the next beat retries."""
    try:
        with session_scope() as session:
            reports = poll_due_feeds(session)
    except Exception as exc:  # noqa: BLE001 - a feed outage must not stop the next polls
        log.warning("poll_feeds_failed", error=f"{type(exc).__name__}: {exc}"[:500])
        return {}
    return {"feeds": len(reports), "articles": sum(len(r.results) for r in reports)}
