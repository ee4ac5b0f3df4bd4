"""The sweeper's tasks, run on the scheduler queue.

Beat (in this worker) also schedules feed polling, by task name only: that task belongs to
ingest (`services.ingest.tasks`) and runs on the ingest queue.
"""

from __future__ import annotations

import structlog

from services.scheduler.sweeper import broker_restarted, sweep_once
from shared.celery_app import SWEEP_TASK, WATCH_BROKER_TASK, app
from shared.db import session_scope
from shared.redis_client import redis_client
from shared.settings import get_settings

log = structlog.get_logger(__name__)


@app.task(name=SWEEP_TASK, acks_late=True, ignore_result=True)
def sweep_task(reason: str = "interval") -> dict[str, int]:
    """Re-enqueue stuck articles. Never raises: beat calls again at the next interval, and an
    outage of the store or of Redis must not turn into a storm of failed-task reports."""
    try:
        with session_scope() as session:
            return sweep_once(session, get_settings().sweeper_stuck_after_s, reason=reason)
    except Exception as exc:  # noqa: BLE001 - the next sweep retries whatever this one missed
        log.warning("sweep_failed", error=f"{type(exc).__name__}: {exc}"[:500])
        return {}


@app.task(name=WATCH_BROKER_TASK, acks_late=True, ignore_result=True)
def watch_broker_task() -> dict[str, int]:
    """Sweep at once when Redis restarted: every message it held may be gone, so whatever
    waits in the store is re-sent without waiting for articles to look stuck."""
    try:
        redis = redis_client()
        if not broker_restarted(redis):
            return {}
        log.warning("broker_restarted")
        with session_scope() as session:
            return sweep_once(session, 0, redis, reason="redis_restart")
    except Exception as exc:  # noqa: BLE001 - checked again in a few seconds
        log.warning("watch_broker_failed", error=f"{type(exc).__name__}: {exc}"[:500])
        return {}
