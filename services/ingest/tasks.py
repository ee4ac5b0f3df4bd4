"""Celery task of the ingest stage: a thin wrapper around `ingest_articles`."""

from __future__ import annotations

from celery import Task

from services.ingest.stage import ingest_articles
from shared.celery_app import TASK_NAMES, app
from shared.states import Stage
from shared.worker import run_stage


@app.task(name=TASK_NAMES[Stage.INGEST], bind=True, acks_late=True)
def ingest_task(self: Task, article_ids: list[str]) -> int:
    return run_stage(self, Stage.INGEST, article_ids, ingest_articles, Stage.ENRICH)
