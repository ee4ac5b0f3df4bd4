"""Scheduler entry point: `celery -A services.scheduler.worker worker -Q scheduler --beat`."""

from services.scheduler import tasks  # noqa: F401 - registers the task
from shared.celery_app import app

__all__ = ["app"]
