"""Entry point of the ingest worker: `celery -A services.ingest.worker worker -Q ingest`."""

from services.ingest import tasks  # noqa: F401 - registers the task
from shared.celery_app import app

__all__ = ["app"]
