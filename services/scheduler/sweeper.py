"""The sweeper: re-enqueue articles stuck in a non-final state.

A message lost with a Redis restart, an enqueue that failed after its commit, or a batch whose
worker was killed leaves an article waiting in the store; the sweeper turns that into latency
instead of data loss.

An article is stuck when it has waited in a non-final state longer than `older_than_s` and
nothing is about to move it:
- no worker holds its row (a stage keeps the rows of its batch locked while it works, so
  `FOR UPDATE SKIP LOCKED` passes over articles being processed right now);
- no message for it waits in its stage queue;
- no worker took a message for it recently (Redis keeps delivered, unacknowledged messages
  in `unacked`; one older than `older_than_s` belongs to a dead or stalled worker).
So a backlog that is merely slow is left alone, and a lost message costs one timeout.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import structlog
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.celery_app import TASK_NAMES, enqueue
from shared.metrics import SWEPT
from shared.models import Article, utcnow
from shared.settings import get_settings
from shared.states import STAGE_INPUT_STATE, Stage

log = structlog.get_logger(__name__)

_MAX_PER_SWEEP = 10_000
# Above this many waiting messages a queue is not read through; its stage is left to drain.
_MAX_INSPECTED_MESSAGES = 50_000
# Kombu's Redis transport keeps delivered, unacknowledged messages under these keys.
_UNACKED = "unacked"
_UNACKED_INDEX = "unacked_index"


def redis_client() -> Redis:
    return Redis.from_url(get_settings().redis_url, socket_timeout=5, socket_connect_timeout=5)


def _message_ids(payload: dict[str, Any], task_name: str) -> list[str]:
    """Article ids carried by one Celery message (protocol 2, JSON), if it is `task_name`'s."""
    if payload.get("headers", {}).get("task") != task_name:
        return []
    body: Any = payload.get("body", "")
    if payload.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args = json.loads(body)[0]
    return [str(i) for i in args[0]] if args and isinstance(args[0], list) else []


def pending_ids(redis: Redis, older_than_s: float) -> dict[Stage, set[str] | None]:
    """Per stage: ids in a waiting message or in one a worker took less than `older_than_s`
    ago. None for a stage whose queue is too long to read (treat all of it as pending)."""
    settings = get_settings()
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
    fresh_after = time.time() - older_than_s
    recent = set(redis.zrangebyscore(_UNACKED_INDEX, fresh_after, "+inf"))
    for tag, raw in redis.hgetall(_UNACKED).items():
        if tag not in recent:
            continue  # delivered long ago: its worker is most likely gone
        try:
            payload, _exchange, routing_key = json.loads(raw)
            owner = by_queue.get(routing_key)
            ids_of_stage = pending.get(owner) if owner else None
            if owner is not None and ids_of_stage is not None:
                ids_of_stage.update(_message_ids(payload, TASK_NAMES[owner]))
        except (ValueError, KeyError, TypeError, IndexError):
            continue
    return pending


def find_stuck(session: Session, older_than_s: float) -> dict[Stage, list[str]]:
    """Articles waiting for a stage longer than `older_than_s` that no worker holds now."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
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


def sweep(session: Session, older_than_s: float, redis: Redis | None = None) -> dict[str, int]:
    """Re-enqueue stuck articles; returns how many per stage."""
    redis = redis or redis_client()
    stuck = find_stuck(session, older_than_s)
    swept: dict[str, int] = {}
    if stuck:
        pending = pending_ids(redis, older_than_s)
        for stage, ids in stuck.items():
            waiting = pending.get(stage)
            if waiting is None:
                log.info("sweep_skipped_long_queue", stage=stage.value)
                continue
            lost = [i for i in ids if i not in waiting]
            if lost and enqueue(stage, lost):
                log.info("swept", stage=stage.value, count=len(lost))
                swept[stage.value] = len(lost)
                SWEPT.labels(stage.value).inc(len(lost))
    return swept


def sweep_once(session: Session, older_than_s: float, redis: Redis | None = None) -> dict[str, int]:
    """`sweep`, unless another sweep is running (beat may queue several during an outage)."""
    redis = redis or redis_client()
    settings = get_settings()
    lock = f"{settings.queue_prefix}newsflow:sweeper-lock"
    token = uuid.uuid4().hex
    if not redis.set(lock, token, nx=True, ex=max(60, 5 * settings.sweeper_interval_s)):
        return {}
    try:
        return sweep(session, older_than_s, redis)
    finally:
        if redis.get(lock) == token.encode():
            redis.delete(lock)
