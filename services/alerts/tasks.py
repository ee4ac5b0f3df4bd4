"""Celery tasks of the alerts worker: thin wrappers around matching and delivery.

Both are driven by the store, so no task needs to succeed for nothing to be lost: a match
not recorded is found by the catch-up job (articles indexed without a scan row), a delivery
not made is sent by the next periodic delivery round. A task that fails therefore logs and
returns instead of retrying; only the next round's latency is at stake.
"""

from __future__ import annotations

import structlog

from services.alerts.delivery import deliver_due
from services.alerts.matching import catch_up, match_articles
from shared.celery_app import (
    ALERT_CATCH_UP_TASK,
    ALERT_DELIVER_TASK,
    ALERT_MATCH_TASK,
    app,
    enqueue_alert_delivery,
)
from shared.db import session_scope
from shared.search.client import get_client

log = structlog.get_logger(__name__)


def _failed(task: str, exc: Exception) -> None:
    log.warning("alerts_task_failed", task=task, error=f"{type(exc).__name__}: {exc}"[:500])


@app.task(name=ALERT_MATCH_TASK, acks_late=True, ignore_result=True, soft_time_limit=120)
def match_task(article_ids: list[str]) -> int:
    try:
        with session_scope() as session:
            pending = match_articles(session, get_client(), article_ids)
    except Exception as exc:  # noqa: BLE001 - the catch-up job matches these later
        _failed("match", exc)
        return 0
    if pending:
        enqueue_alert_delivery()
    return len(pending)


@app.task(name=ALERT_CATCH_UP_TASK, acks_late=True, ignore_result=True, soft_time_limit=300)
def catch_up_task() -> int:
    try:
        with session_scope() as session:
            pending = catch_up(session, get_client())
    except Exception as exc:  # noqa: BLE001 - the next round tries again
        _failed("catch_up", exc)
        return 0
    if pending:
        enqueue_alert_delivery()
    return len(pending)


@app.task(name=ALERT_DELIVER_TASK, acks_late=True, ignore_result=True, soft_time_limit=600)
def deliver_task() -> int:
    try:
        with session_scope() as session:
            return deliver_due(session)
    except Exception as exc:  # noqa: BLE001 - leased matches go out again when the lease ends
        _failed("deliver", exc)
        return 0
