"""Celery task of the index stage: a thin wrapper around `index_articles`."""

from __future__ import annotations

from celery import Task

from services.indexer.stage import index_articles
from shared.celery_app import TASK_NAMES, app
from shared.states import Stage
from shared.worker import run_stage


@app.task(name=TASK_NAMES[Stage.INDEX], bind=True, acks_late=True)
def index_task(self: Task, article_ids: list[str], alone: bool = False) -> int:
    return run_stage(self, Stage.INDEX, article_ids, index_articles, None, alone=alone)
