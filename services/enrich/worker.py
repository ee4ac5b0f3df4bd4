"""Entry point of the enrich worker: `celery -A services.enrich.worker worker -Q enrich`."""

from services.enrich import tasks  # noqa: F401 - registers the task
from shared.celery_app import app

__all__ = ["app"]
