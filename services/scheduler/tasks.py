"""Periodic tasks run by Celery beat on the scheduler queue."""

from __future__ import annotations

import structlog

from services.scheduler.sweeper import sweep_once
from shared.celery_app import POLL_FEEDS_TASK, SWEEP_TASK, app
from shared.db import session_scope
from shared.settings import get_settings

log = structlog.get_logger(__name__)


@app.task(name=SWEEP_TASK, acks_late=True, ignore_result=True)
def sweep_task() -> dict[str, int]:
    """Re-enqueue stuck articles. Never raises: beat calls again at the next interval, and an
    outage of the store or of Redis must not turn into a storm of failed-task reports."""
    try:
        with session_scope() as session:
            return sweep_once(session, get_settings().sweeper_stuck_after_s)
    except Exception as exc:  # noqa: BLE001 - the next sweep retries whatever this one missed
        log.warning("sweep_failed", error=f"{type(exc).__name__}: {exc}"[:500])
        return {}


@app.task(name=POLL_FEEDS_TASK, acks_late=True, ignore_result=True)
def poll_feeds_task() -> dict[str, int]:
    """Poll the feeds that are due. Never raises, like the sweeper: the next beat retries."""
    # The feed logic belongs to ingest (it submits articles); beat only schedules it.
    from services.ingest.feeds import poll_due_feeds

    try:
        with session_scope() as session:
            reports = poll_due_feeds(session)
    except Exception as exc:  # noqa: BLE001 - a feed outage must not stop the next polls
        log.warning("poll_feeds_failed", error=f"{type(exc).__name__}: {exc}"[:500])
        return {}
    return {"feeds": len(reports), "articles": sum(len(r.results) for r in reports)}
