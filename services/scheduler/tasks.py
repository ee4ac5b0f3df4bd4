"""Periodic tasks run by Celery beat on the scheduler queue."""

from __future__ import annotations

from services.scheduler.sweeper import sweep
from shared.celery_app import SWEEP_TASK, app
from shared.db import session_scope
from shared.settings import get_settings


@app.task(name=SWEEP_TASK, acks_late=True, ignore_result=True)
def sweep_task() -> dict[str, int]:
    with session_scope() as session:
        return sweep(session, get_settings().sweeper_stuck_after_s)
