"""Entry point of the index worker: `celery -A services.indexer.worker worker -Q index`."""

from services.indexer import tasks  # noqa: F401 - registers the task
from shared.celery_app import app

__all__ = ["app"]
