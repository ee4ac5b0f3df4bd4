"""The one way a stage runs as a Celery task: retries, metrics, logging, then enqueue next.

Tasks stay thin: each service's `tasks.py` hands its plain stage function to `run_stage`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import structlog
from celery import Task
from celery.signals import worker_process_init
from elasticsearch import ConnectionError as ESConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from shared.celery_app import enqueue
from shared.db import get_engine, session_scope
from shared.errors import TransientError
from shared.logging import configure_logging
from shared.metrics import STAGE_DURATION, STAGE_PROCESSED, STAGE_RETRIED
from shared.settings import get_settings
from shared.states import Stage

log = structlog.get_logger(__name__)

# Errors that say "a dependency is down", not "this article is bad": retry the batch.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    OperationalError,
    InterfaceError,
    ESConnectionError,
    RedisConnectionError,
    ConnectionError,
    TimeoutError,
)

StageFunction = Callable[[Session, Sequence[str]], list[str]]


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter, capped: retries of many workers spread out."""
    cap = min(get_settings().retry_backoff_max_s, 2 ** (retries + 1))
    return random.uniform(cap / 2, cap)


def run_stage(
    task: Task,
    stage: Stage,
    article_ids: list[str],
    process: StageFunction,
    next_stage: Stage | None,
) -> int:
    structlog.contextvars.bind_contextvars(stage=stage.value, task_id=task.request.id)
    delivery = task.request.delivery_info or {}
    if delivery.get("redelivered") and len(article_ids) > 1:
        # This batch was in flight when a worker died. Split it, so an article that kills
        # its worker is retried alone and cannot take its neighbours down with it again.
        log.warning("redelivered_batch_split", count=len(article_ids))
        for article_id in article_ids:
            enqueue(stage, [article_id])
        return 0
    try:
        with STAGE_DURATION.labels(stage.value).time(), session_scope() as session:
            next_ids = process(session, article_ids)
    except TRANSIENT_ERRORS as exc:
        STAGE_RETRIED.labels(stage.value).inc()
        log.warning(
            "stage_retry",
            count=len(article_ids),
            retries=task.request.retries,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        raise task.retry(
            exc=exc,
            countdown=backoff_seconds(task.request.retries),
            max_retries=get_settings().task_max_retries,
        ) from exc
    finally:
        structlog.contextvars.unbind_contextvars("stage", "task_id")
    STAGE_PROCESSED.labels(stage.value, "ok").inc(len(next_ids))
    log.info("stage_done", stage=stage.value, received=len(article_ids), advanced=len(next_ids))
    if next_stage is not None:
        enqueue(next_stage, next_ids)
    return len(next_ids)


@worker_process_init.connect
def _reset_after_fork(**_kwargs: object) -> None:
    # Connections must not be shared across fork(): each worker process opens its own.
    configure_logging()
    get_engine().dispose(close=False)
