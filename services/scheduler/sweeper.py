"""The sweeper: re-enqueue articles stuck in a non-final state, within seconds.

A message lost with a Redis restart, an enqueue that failed after its commit, or a batch whose
worker was killed leaves an article waiting in the store; the sweeper turns that into seconds
of latency instead of data loss.

An article is stuck when it has waited in a non-final state longer than `min_age_s` (the
moment between a stage's commit and its enqueue) and nothing is about to move it:
- no worker holds its row (a stage keeps the rows of its batch locked while it works, so
  `FOR UPDATE SKIP LOCKED` passes over articles being processed right now);
- no message for it waits in its stage queue;
- no live worker holds a message for it: Redis keeps delivered, unacknowledged messages in
  `unacked`. One is live while its retry countdown (`eta`) runs, or for `live_window_s(stage)`
  after delivery: the moment before its worker locks the rows on PostgreSQL; the stage's hard
  time limit on SQLite, which has no row locks. An older one belongs to a dead worker.
So a backlog that is merely slow is left alone, and a message lost with a dead worker is re-sent
about `sweeper_stuck_after_s` after its delivery.

When it runs: every `sweeper_interval_s` (beat); at once when Redis restarted (`watch_broker`
sees a new `run_id`: the queues may be gone) and when a worker starts (`worker_ready`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shared.celery_app import TASK_NAMES, enqueue, stage_time_limits
from shared.metrics import SWEPT
from shared.models import Article, StageEvent, utcnow
from shared.redis_client import redis_client
from shared.settings import get_settings
from shared.states import STAGE_INPUT_STATE, Stage

log = structlog.get_logger(__name__)

_MAX_PER_SWEEP = 10_000
# Above this many waiting messages a queue is not read through; its stage is left to drain.
_MAX_INSPECTED_MESSAGES = 50_000
# Kombu's Redis transport keeps delivered, unacknowledged messages under these keys.
_UNACKED = "unacked"
_UNACKED_INDEX = "unacked_index"


def _message_ids(payload: dict[str, Any], task_name: str) -> list[str]:
    """Article ids carried by one Celery message (protocol 2, JSON), if it is `task_name`'s."""
    if payload.get("headers", {}).get("task") != task_name:
        return []
    body: Any = payload.get("body", "")
    if payload.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args = json.loads(body)[0]
    return [str(i) for i in args[0]] if args and isinstance(args[0], list) else []


def _eta(payload: dict[str, Any]) -> float | None:
    """When a message's retry countdown ends (epoch seconds), if it has one."""
    eta = payload.get("headers", {}).get("eta")
    if not eta:
        return None
    try:
        return datetime.fromisoformat(eta).timestamp()
    except (TypeError, ValueError):
        return None


def live_window_s(stage: Stage, *, row_locks: bool) -> float:
    """How long after delivery an unacknowledged message of `stage` may belong to a live
    worker that does not hold its rows (yet): short where rows are locked while a stage works,
    the stage's hard time limit where they are not (SQLite)."""
    settings = get_settings()
    if row_locks:
        return float(settings.sweeper_stuck_after_s)
    return max(float(settings.sweeper_stuck_after_s), stage_time_limits(stage)[1])


def unacked_is_live(delivered_at: float, eta: float | None, now: float, window_s: float) -> bool:
    """Whether a delivered, unacknowledged message still belongs to a live worker: delivered
    within the window, or held for a retry whose countdown has not run out (plus the window)."""
    if now - delivered_at < window_s:
        return True
    return eta is not None and now - eta < window_s


def pending_ids(
    redis: Redis, windows: dict[Stage, float], now: float | None = None
) -> dict[Stage, set[str] | None]:
    """Per stage: ids in a waiting message or in a live unacknowledged one (`unacked_is_live`
    with the stage's window). None for a stage whose queue is too long to read (treat all of
    it as pending)."""
    settings = get_settings()
    now = time.time() if now is None else now
    pending: dict[Stage, set[str] | None] = {}
    by_queue: dict[str, Stage] = {}
    for stage in Stage:
        queue = settings.queue_name(stage)
        by_queue[queue] = stage
        if redis.llen(queue) > _MAX_INSPECTED_MESSAGES:
            pending[stage] = None
            continue
        ids: set[str] = set()
        for raw in redis.lrange(queue, 0, -1):
            try:
                ids.update(_message_ids(json.loads(raw), TASK_NAMES[stage]))
            except (ValueError, KeyError, TypeError, IndexError):
                continue
        pending[stage] = ids
    delivered: dict[bytes, float] = {
        tag: float(score)
        for tag, score in cast(
            list[tuple[bytes, float]], redis.zrange(_UNACKED_INDEX, 0, -1, withscores=True)
        )
    }
    for tag, raw in cast(dict[bytes, bytes], redis.hgetall(_UNACKED)).items():
        try:
            payload, _exchange, routing_key = json.loads(raw)
            owner = by_queue.get(routing_key)
            ids_of_stage = pending.get(owner) if owner else None
            if owner is None or ids_of_stage is None:
                continue
            delivered_at = delivered.get(tag, 0.0)  # not indexed: nobody will ack it
            if unacked_is_live(delivered_at, _eta(payload), now, windows[owner]):
                ids_of_stage.update(_message_ids(payload, TASK_NAMES[owner]))
        except (ValueError, KeyError, TypeError, IndexError):
            continue
    return pending


def find_stuck(session: Session, min_age_s: float) -> dict[Stage, list[str]]:
    """Articles waiting for a stage longer than `min_age_s` that no worker holds now."""
    cutoff = utcnow() - timedelta(seconds=min_age_s)
    stuck: dict[Stage, list[str]] = {}
    for stage, state in STAGE_INPUT_STATE.items():
        ids = session.scalars(
            select(Article.id)
            .where(Article.state == state, Article.state_changed_at < cutoff)
            .order_by(Article.state_changed_at)
            .limit(_MAX_PER_SWEEP)
            .with_for_update(skip_locked=True)
        ).all()
        session.commit()  # release at once: the locks only served to skip busy rows
        if ids:
            stuck[stage] = list(ids)
    return stuck


def _record_swept(session: Session, stage: Stage, ids: list[str], reason: str) -> None:
    """One `swept` line in each article's history: why it ran again."""
    rows = session.execute(select(Article.id, Article.revision).where(Article.id.in_(ids))).all()
    now = utcnow()
    session.execute(
        insert(StageEvent),
        [
            {
                "article_id": row.id,
                "revision": row.revision,
                "stage": stage.value,
                "outcome": "swept",
                "detail": f"re-sent by the sweeper ({reason})",
                "at": now,
            }
            for row in rows
        ],
    )
    session.commit()


def sweep(
    session: Session,
    min_age_s: float,
    redis: Redis | None = None,
    *,
    reason: str = "interval",
) -> dict[str, int]:
    """Re-enqueue stuck articles; returns how many per stage."""
    redis = redis or redis_client()
    stuck = find_stuck(session, min_age_s)
    swept: dict[str, int] = {}
    if stuck:
        row_locks = session.get_bind().dialect.name != "sqlite"
        windows = {stage: live_window_s(stage, row_locks=row_locks) for stage in Stage}
        pending = pending_ids(redis, windows)
        for stage, ids in stuck.items():
            waiting = pending.get(stage)
            if waiting is None:
                log.info("sweep_skipped_long_queue", stage=stage.value)
                continue
            lost = [i for i in ids if i not in waiting]
            if lost and enqueue(stage, lost):
                _record_swept(session, stage, lost, reason)
                log.info("swept", stage=stage.value, count=len(lost), reason=reason)
                swept[stage.value] = len(lost)
                SWEPT.labels(stage.value).inc(len(lost))
    return swept


def sweep_lock(redis: Redis) -> Lock:
    """Held while a sweep runs (beat, a restart and a worker start may ask at once). It
    lives one sweep interval unless its holder keeps it alive (`kept_alive`), so the lock
    of a sweeper killed mid-sweep delays the next sweep by an interval at most."""
    settings = get_settings()
    return Lock(
        redis,
        f"{settings.queue_prefix}newsflow:sweeper-lock",
        timeout=max(1, settings.sweeper_interval_s),
        thread_local=False,
    )


@contextmanager
def kept_alive(lock: Lock) -> Iterator[None]:
    """Renew an acquired lock every third of its lifetime while the block runs: a sweep may
    outlast the lifetime (a long queue to read), a dead sweeper's lock must not."""
    done = threading.Event()
    period = float(lock.timeout or 1) / 3

    def renew() -> None:
        while not done.wait(period):
            try:
                lock.reacquire()
            except (LockError, RedisError) as exc:  # lost it, or Redis is away: a sweep
                log.warning("sweeper_lock_not_renewed", error=str(exc)[:300])  # may overlap
                return

    renewer = threading.Thread(target=renew, name="sweeper-lock", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()


def sweep_once(
    session: Session,
    min_age_s: float,
    redis: Redis | None = None,
    *,
    reason: str = "interval",
) -> dict[str, int]:
    """`sweep`, unless another sweep is running."""
    redis = redis or redis_client()
    lock = sweep_lock(redis)
    if not lock.acquire(blocking=False):
        return {}
    try:
        with kept_alive(lock):
            return sweep(session, min_age_s, redis, reason=reason)
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("sweeper_lock_expired")


def broker_restarted(redis: Redis) -> bool:
    """Whether Redis restarted since the last call (a new `run_id`, or our mark is gone with
    the data): its queues may have lost their messages. Remembers the run id it saw."""
    key = f"{get_settings().queue_prefix}newsflow:broker-run-id"
    run_id = str(redis.info("server")["run_id"])
    seen = cast(bytes | None, redis.get(key))
    if seen is not None and seen.decode() == run_id:
        return False
    redis.set(key, run_id)
    return True
