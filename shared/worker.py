"""The one way a stage runs as a Celery task: retries, metrics, logging, then enqueue next.

Tasks stay thin: each service's `tasks.py` hands its plain stage function to `run_stage`.

What happens to a batch, by kind of trouble:
- a dependency is down (database, Redis, Elasticsearch, a 429/503): the batch is retried with
  exponential backoff and jitter, and the attempts it counted are given back; once the retries
  are used up the articles simply wait in the store for the sweeper;
- the stage raised on the batch (a bug, a bad article): the batch is split and each article
  runs alone, so the bad one is failed with the error and its neighbours go on;
- the worker died mid-batch (SIGKILL, OOM, a segfault): the message comes back (acks_late,
  redelivery or the sweeper); its articles carry a counted, unfinished attempt, so the batch
  is split the same way, and an article that kills its worker every time is failed after
  `max_stage_attempts`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import structlog
from celery import Task
from celery.signals import worker_process_init
from elasticsearch import ApiError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import ConnectionTimeout as ESConnectionTimeout
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from shared.celery_app import enqueue
from shared.db import get_engine, session_scope
from shared.errors import PermanentError, TransientError
from shared.logging import configure_logging
from shared.metrics import STAGE_DURATION, STAGE_PROCESSED, STAGE_RETRIED
from shared.pipeline import fail_unclaimed, interrupted, release_attempts, track_claims
from shared.settings import get_settings
from shared.states import Stage

log = structlog.get_logger(__name__)

# Errors that say "a dependency is down", not "this article is bad": retry the batch.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    ESConnectionError,
    ESConnectionTimeout,
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    KombuOperationalError,
    ConnectionError,
    TimeoutError,
)
# Elasticsearch answers that mean "not now" rather than "never".
TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})

StageFunction = Callable[[Session, Sequence[str]], list[str]]


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says a dependency is unavailable or overloaded."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TRANSIENT_ERRORS):
            return True
        if isinstance(current, ApiError) and current.meta.status in TRANSIENT_STATUSES:
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with jitter, capped: retries of many workers spread out."""
    cap = min(get_settings().retry_backoff_max_s, 2 ** (retries + 1))
    return random.uniform(cap / 2, cap)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _split(stage: Stage, article_ids: Sequence[str], singles: Sequence[str]) -> None:
    """Send `singles` one per message and the rest of the batch together."""
    alone = set(singles)
    for article_id in singles:
        enqueue(stage, [article_id])
    enqueue(stage, [i for i in article_ids if i not in alone])


def run_stage(
    task: Task,
    stage: Stage,
    article_ids: list[str],
    process: StageFunction,
    next_stage: Stage | None,
) -> int:
    structlog.contextvars.bind_contextvars(stage=stage.value, task_id=task.request.id)
    try:
        return _run_stage(task, stage, list(dict.fromkeys(article_ids)), process, next_stage)
    finally:
        structlog.contextvars.unbind_contextvars("stage", "task_id")


def _run_stage(
    task: Task,
    stage: Stage,
    article_ids: list[str],
    process: StageFunction,
    next_stage: Stage | None,
) -> int:
    claimed = track_claims()
    try:
        if len(article_ids) > 1:
            with session_scope() as session:
                suspects = interrupted(session, stage, article_ids)
            if suspects:
                # Some of these articles were in a batch whose worker died or whose stage
                # crashed. Each runs alone now, so one that kills its worker cannot take its
                # neighbours down with it again.
                log.warning("interrupted_batch_split", count=len(article_ids), alone=len(suspects))
                _split(stage, article_ids, suspects)
                return 0
        with STAGE_DURATION.labels(stage.value).time(), session_scope() as session:
            next_ids = process(session, article_ids)
    except Exception as exc:  # noqa: BLE001 - sorted below: retry, or isolate and fail
        if is_transient(exc):
            return _retry(task, stage, article_ids, claimed, exc)
        return _crashed(stage, article_ids, exc)
    STAGE_PROCESSED.labels(stage.value, "ok").inc(len(next_ids))
    log.info("stage_done", received=len(article_ids), advanced=len(next_ids))
    if next_stage is not None:
        enqueue(next_stage, next_ids)
    return len(next_ids)


def _retry(
    task: Task, stage: Stage, article_ids: list[str], claimed: list[str], exc: BaseException
) -> int:
    STAGE_RETRIED.labels(stage.value).inc()
    error = _describe(exc)
    try:
        with session_scope() as session:
            release_attempts(session, stage, claimed, error)
    except Exception as release_exc:  # noqa: BLE001 - the store may be the thing that is down
        log.warning("release_attempts_failed", error=_describe(release_exc))
    max_retries = get_settings().task_max_retries
    if task.request.retries >= max_retries:
        # The articles are safe in the store, still in the state this stage expects: the
        # sweeper sends them again once they have waited `sweeper_stuck_after_s`.
        log.warning("stage_retries_exhausted", count=len(article_ids), error=error)
        return 0
    countdown = backoff_seconds(task.request.retries)
    log.warning(
        "stage_retry",
        count=len(article_ids),
        retries=task.request.retries,
        countdown=round(countdown, 2),
        error=error,
    )
    raise task.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc


def _crashed(stage: Stage, article_ids: list[str], exc: BaseException) -> int:
    """The stage raised on the batch: isolate the article responsible, fail it, go on."""
    error = _describe(exc)
    if len(article_ids) > 1:
        log.warning("stage_crashed_batch_split", count=len(article_ids), error=error)
        _split(stage, article_ids, article_ids)
        return 0
    reason = exc.reason if isinstance(exc, PermanentError) else "stage_error"
    try:
        with session_scope() as session:
            fail_unclaimed(session, stage, article_ids[0], reason=reason, message=error, exc=exc)
    except Exception as fail_exc:  # noqa: BLE001 - the sweeper retries; attempts bound it
        log.error("mark_failed_failed", article_id=article_ids[0], error=_describe(fail_exc))
        return 0
    log.error("stage_crashed", article_id=article_ids[0], reason=reason, error=error)
    return 0


@worker_process_init.connect
def _reset_after_fork(**_kwargs: object) -> None:
    # Connections must not be shared across fork(): each worker process opens its own.
    configure_logging()
    get_engine().dispose(close=False)
