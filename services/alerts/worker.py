"""Entry point of the alerts worker: `celery -A services.alerts.worker worker -Q alerts`."""

from services.alerts import tasks  # noqa: F401 - registers the tasks
from shared.celery_app import app

__all__ = ["app"]
