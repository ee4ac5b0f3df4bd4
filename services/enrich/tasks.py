"""Celery task of the enrich stage: a thin wrapper around `enrich_articles`."""

from __future__ import annotations

from celery import Task

from services.enrich.stage import enrich_articles
from shared.celery_app import TASK_NAMES, app
from shared.states import Stage
from shared.worker import run_stage


@app.task(name=TASK_NAMES[Stage.ENRICH], bind=True, acks_late=True)
def enrich_task(self: Task, article_ids: list[str], alone: bool = False) -> int:
    return run_stage(self, Stage.ENRICH, article_ids, enrich_articles, Stage.INDEX, alone=alone)
