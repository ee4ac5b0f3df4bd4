"""Entry point of the enrich worker: `celery -A services.enrich.worker worker -Q enrich`."""

from celery.signals import worker_process_init

from services.enrich import tasks  # noqa: F401 - registers the task
from services.enrich.language import detector
from services.enrich.models import models_for
from shared.celery_app import app

__all__ = ["app"]


@worker_process_init.connect
def _load_models(**_kwargs: object) -> None:
    # Each enrich worker process loads its models before its first task, so the first
    # articles do not wait for them. Only here: other processes never need the models.
    detector()
    models_for("en")
