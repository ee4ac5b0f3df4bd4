"""The one way a stage runs as a Celery task: retries, metrics, logging, then enqueue next.

Tasks stay thin: each service's `tasks.py` hands its plain stage function to `run_stage`.
Failure isolation lives here and only here; what is transient and how long to wait is the
failure policy's (shared/failure_policy.py, with the table of outcomes per kind of trouble).

What happens to a batch, by kind of trouble:
- a dependency is down (database, Redis, Elasticsearch, a 429/503): the batch is retried with
  exponential backoff and jitter (`stage_retry`), and the attempts it counted are given back;
  once the retries are used up the articles simply wait in the store for the sweeper;
- the stage raised on the batch (a bug, a bad article): the batch is split and each article
  runs alone, so the bad one is failed with the error and its neighbours go on;
- the batch ran out of time (the task's soft time limit, or the hard one that kills the
  worker process when the code does not stop): the batch is split the same way, and an
  article alone over the budget is failed with reason `timeout`;
- the worker died mid-batch (SIGKILL, OOM, a segfault): the message comes back (acks_late,
  redelivery or the sweeper); its articles carry a counted, unfinished attempt, so the batch
  is split the same way, and an article that kills its worker every time is failed after
  `max_stage_attempts`.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence

import structlog
from billiard.exceptions import SoftTimeLimitExceeded
from celery import Task
from celery.signals import worker_process_init, worker_ready
from celery.worker.request import Request
from sqlalchemy.orm import Session

from shared.celery_app import (
    SCHEDULER_QUEUE,
    STAGE_OF_TASK,
    SWEEP_TASK,
    app,
    enqueue,
    stage_time_limits,
)
from shared.db import get_engine, session_scope
from shared.errors import PermanentError
from shared.failure_policy import ENQUEUE_RETRY, is_transient, stage_retry
from shared.gather import Gathered, gather, reset_connection
from shared.logging import configure_logging
from shared.metrics import STAGE_PROCESSED, STAGE_RETRIED, observe_batch, retry_reason
from shared.pipeline import fail_unclaimed, interrupted, release_attempts, track_claims
from shared.settings import get_settings
from shared.states import Stage

log = structlog.get_logger(__name__)

StageFunction = Callable[[Session, Sequence[str]], list[str]]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _split(stage: Stage, article_ids: Sequence[str], singles: Sequence[str]) -> None:
    """Send `singles` one per message, never gathered into a batch again, and the rest of
    the batch together."""
    alone = set(singles)
    for article_id in singles:
        enqueue(stage, [article_id], alone=True)
    enqueue(stage, [i for i in article_ids if i not in alone])


def run_stage(
    task: Task,
    stage: Stage,
    article_ids: list[str],
    process: StageFunction,
    next_stage: Stage | None,
    *,
    alone: bool = False,
) -> int:
    """Run `process` on the message's ids and on the messages it gathers (shared/gather.py),
    unless it must run `alone`. Gathered messages are acknowledged once the batch is done
    with: committed, split, or sent again for a retry."""
    gathered = Gathered() if alone else gather(stage, article_ids)
    batch = list(dict.fromkeys([*article_ids, *gathered.ids]))
    # Every log line of this batch says which stage, task and articles it is about.
    structlog.contextvars.bind_contextvars(
        stage=stage.value, task_id=task.request.id, article_ids=batch
    )
    try:
        return _run_stage(task, stage, batch, process, next_stage)
    finally:
        gathered.ack()
        structlog.contextvars.unbind_contextvars("stage", "task_id", "article_ids")


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
        started = time.perf_counter()
        with session_scope() as session:
            next_ids = process(session, article_ids)
        duration = time.perf_counter() - started
    except SoftTimeLimitExceeded as exc:
        return _timed_out(stage, article_ids, exc)
    except Exception as exc:  # noqa: BLE001 - sorted below: retry, or isolate and fail
        if is_transient(exc):
            return _retry(task, stage, article_ids, claimed, exc)
        return _crashed(stage, article_ids, exc)
    STAGE_PROCESSED.labels(stage.value, "ok").inc(len(next_ids))
    observe_batch(stage.value, duration, len(article_ids))
    log.info(
        "stage_done",
        received=len(article_ids),
        advanced=len(next_ids),
        advanced_ids=next_ids,
        duration_s=round(duration, 4),
    )
    if next_stage is not None:
        enqueue(next_stage, next_ids)
    return len(next_ids)


def _retry(
    task: Task, stage: Stage, article_ids: list[str], claimed: list[str], exc: BaseException
) -> int:
    STAGE_RETRIED.labels(stage.value, retry_reason(exc)).inc()
    error = _describe(exc)
    try:
        with session_scope() as session:
            release_attempts(session, stage, claimed, error)
    except Exception as release_exc:  # noqa: BLE001 - the store may be the thing that is down
        log.warning("release_attempts_failed", error=_describe(release_exc))
    policy = stage_retry()
    if task.request.retries >= policy.times:
        # The articles are safe in the store, still in the state this stage expects: the
        # sweeper sends them again once they have waited `sweeper_stuck_after_s`.
        log.warning("stage_retries_exhausted", count=len(article_ids), error=error)
        return 0
    countdown = policy.backoff_s(task.request.retries)
    log.warning(
        "stage_retry",
        count=len(article_ids),
        retries=task.request.retries,
        countdown=round(countdown, 2),
        error=error,
    )
    # The whole batch, gathered messages included, goes back as one message.
    raise task.retry(
        args=[article_ids], exc=exc, countdown=countdown, max_retries=policy.times
    ) from exc


def _crashed(stage: Stage, article_ids: list[str], exc: BaseException) -> int:
    """The stage raised on the batch: isolate the article responsible, fail it, go on."""
    error = _describe(exc)
    if len(article_ids) > 1:
        log.warning("stage_crashed_batch_split", count=len(article_ids), error=error)
        _split(stage, article_ids, article_ids)
        return 0
    reason = exc.reason if isinstance(exc, PermanentError) else "stage_error"
    if _fail_alone(stage, article_ids[0], reason, error, exc):
        log.error("stage_crashed", article_id=article_ids[0], reason=reason, error=error)
    return 0


def _fail_alone(
    stage: Stage, article_id: str, reason: str, message: str, exc: BaseException | None = None
) -> bool:
    try:
        with session_scope() as session:
            return fail_unclaimed(
                session, stage, article_id, reason=reason, message=message, exc=exc
            )
    except Exception as fail_exc:  # noqa: BLE001 - the sweeper retries; attempts bound it
        log.error("mark_failed_failed", article_id=article_id, error=_describe(fail_exc))
        return False


def _timed_out(stage: Stage, article_ids: list[str], exc: BaseException | None) -> int:
    """The batch used up its time budget (soft limit, or the hard one that killed the worker
    process): each article runs alone with the full budget, and one that still cannot finish
    in it is failed with reason `timeout`, so it never holds its neighbours or a worker again."""
    if len(article_ids) > 1:
        log.warning("stage_timeout_batch_split", count=len(article_ids))
        _split(stage, article_ids, article_ids)
        return 0
    limit = stage_time_limits(stage)[0]
    message = f"{stage.value} took longer than its time budget of {limit:g}s on this article"
    if _fail_alone(stage, article_ids[0], "timeout", message, exc):
        log.error("stage_timeout", article_id=article_ids[0], limit_s=limit)
    return 0


class StageRequest(Request):  # type: ignore[misc]
    """A stage task's request in the worker's main process. When the hard time limit kills
    the process running it, Celery acknowledges the message and forgets it; here the batch is
    split (or its one article failed with `timeout`) instead of waiting for the sweeper."""

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        stage = STAGE_OF_TASK.get(self.task.name)
        if soft or stage is None or not self.args or not isinstance(self.args[0], list):
            return
        ids = list(dict.fromkeys(str(i) for i in self.args[0]))
        log.error("stage_hard_time_limit", stage=stage.value, count=len(ids), limit_s=timeout)
        # Off the worker's event loop: the store may be slow to answer.
        threading.Thread(target=_timed_out, args=(stage, ids, None), daemon=True).start()


@worker_process_init.connect
def _reset_after_fork(**_kwargs: object) -> None:
    # Connections must not be shared across fork(): each worker process opens its own.
    configure_logging()
    get_engine().dispose(close=False)
    reset_connection()
    # What the process holds once started (modules, the app, models) lives as long as it
    # does: out of the garbage collector's full passes, which walked all of it again and
    # again while the index stage projected (~0.1 ms of CPU per document).
    gc.freeze()


@worker_ready.connect
def _sweep_on_worker_start(**_kwargs: object) -> None:
    # A worker that starts may replace one that died holding messages, or find work that
    # waited while no worker ran: the sweeper looks now rather than at its next interval,
    # and again once every message the dead worker held is old enough to count as dead.
    settings = get_settings()
    try:
        for countdown in (0, settings.sweeper_stuck_after_s + 1):
            app.send_task(
                SWEEP_TASK,
                kwargs={"reason": "worker_start"},
                countdown=countdown,
                queue=settings.queue_name(SCHEDULER_QUEUE),
                retry=True,
                retry_policy=ENQUEUE_RETRY.kombu_policy(),
            )
    except Exception as exc:  # noqa: BLE001 - the periodic sweep comes anyway
        log.warning("sweep_on_start_failed", error=str(exc))
