"""Celery task of the enrich stage: a thin wrapper around `enrich_articles`."""

from __future__ import annotations

from celery import Task
from celery.signals import worker_process_init

from services.enrich.language import detector
from services.enrich.models import models_for
from services.enrich.stage import enrich_articles
from shared.celery_app import TASK_NAMES, app
from shared.states import Stage
from shared.worker import run_stage


@app.task(name=TASK_NAMES[Stage.ENRICH], bind=True, acks_late=True)
def enrich_task(self: Task, article_ids: list[str]) -> int:
    return run_stage(self, Stage.ENRICH, article_ids, enrich_articles, Stage.INDEX)


@worker_process_init.connect
def _load_models(**_kwargs: object) -> None:
    # Each worker process loads its models before its first task, so the first articles
    # do not wait for them (and a fresh worker's readiness means it can really work).
    detector()
    models_for("en")
