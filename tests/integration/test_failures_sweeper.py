"""The sweeper re-sends only what is really stuck: not articles whose message waits in their
queue, not articles a worker holds right now; and a lost message costs one timeout."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import cast

import pytest
from redis import Redis
from sqlalchemy import select, update

from tests.reliability.chaos import submit, synthetic_article
from tests.support import NAMESPACE

pytestmark = [pytest.mark.integration]


def _age(ids: list[str], seconds: float) -> None:
    from shared.db import session_scope
    from shared.models import Article, utcnow

    with session_scope() as session:
        session.execute(
            update(Article)
            .where(Article.id.in_(ids))
            .values(state_changed_at=utcnow() - timedelta(seconds=seconds))
        )


def _drain(redis: Redis, stage: str) -> list[str]:
    """Ids of every message in a stage queue, emptying it."""
    from services.scheduler.sweeper import _message_ids
    from shared.celery_app import TASK_NAMES
    from shared.states import Stage

    ids: list[str] = []
    queue = f"{NAMESPACE}.{stage}"
    while (raw := redis.lpop(queue)) is not None:
        ids += _message_ids(json.loads(cast(bytes, raw)), TASK_NAMES[Stage(stage)])
    return ids


@pytest.fixture
def redis(stack: dict[str, str], clean_store: None) -> Redis:
    return Redis.from_url(stack["redis_url"])


def test_queued_articles_are_left_alone_and_lost_ones_resent(redis: Redis) -> None:
    from services.scheduler.sweeper import pending_ids, sweep
    from shared.db import session_scope
    from shared.states import Stage

    ids = submit([synthetic_article(i, seed=41) for i in range(6)])
    _age(ids, 600)
    assert set(ids) <= (pending_ids(redis, dict.fromkeys(Stage, 300.0))[Stage.INGEST] or set())
    with session_scope() as session:
        assert sweep(session, 300, redis) == {}  # their message is waiting: not stuck

    assert sorted(_drain(redis, "ingest")) == sorted(ids)  # now the message is lost
    with session_scope() as session:
        assert sweep(session, 300, redis) == {"ingest": 6}
    assert sorted(_drain(redis, "ingest")) == sorted(ids)

    _age(ids[:2], 10)  # young: not stuck yet
    with session_scope() as session:
        assert sweep(session, 300, redis) == {"ingest": 4}
    assert sorted(_drain(redis, "ingest")) == sorted(ids[2:])


def test_articles_a_worker_holds_are_not_resent(redis: Redis) -> None:
    from services.scheduler.sweeper import sweep
    from shared.db import get_sessionmaker, session_scope
    from shared.pipeline import claim
    from shared.states import Stage

    ids = submit([synthetic_article(i, seed=42) for i in range(4)])
    _drain(redis, "ingest")
    _age(ids, 600)
    worker = get_sessionmaker()()
    try:
        held = claim(worker, Stage.INGEST, ids[:3])  # a worker mid-batch holds these rows
        assert len(held) == 3
        with session_scope() as session:
            assert sweep(session, 300, redis) == {"ingest": 1}
        assert _drain(redis, "ingest") == [ids[3]]
    finally:
        worker.rollback()
        worker.close()
    with session_scope() as session:  # released, and no message for them anywhere
        assert sweep(session, 300, redis) == {"ingest": 4}


def test_a_duplicate_message_waits_for_the_worker_and_then_does_nothing(
    redis: Redis,
) -> None:
    """Row locks: a second claim of the same ids blocks until the first commits, then finds
    them done, so a redelivered or swept batch never does the work twice."""
    import threading

    from shared.db import get_sessionmaker
    from shared.pipeline import advance, claim
    from shared.states import ArticleState, Stage

    ids = submit([synthetic_article(i, seed=43) for i in range(3)])
    first = get_sessionmaker()()
    second = get_sessionmaker()()
    got: list[int] = []
    try:
        held = claim(first, Stage.INGEST, ids)
        thread = threading.Thread(target=lambda: got.append(len(claim(second, Stage.INGEST, ids))))
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second claim should wait for the first worker"
        for article in held:
            advance(first, article, Stage.INGEST, ArticleState.INGESTED)
        first.commit()
        thread.join(timeout=10)
        assert got == [0]
    finally:
        first.close()
        second.rollback()
        second.close()


def test_queue_depths_and_ages_are_read_from_redis(redis: Redis) -> None:
    from shared.queues import queue_stats

    submit([synthetic_article(i, seed=44) for i in range(3)])
    stats = queue_stats(redis)
    assert stats["ingest"].depth == 1
    assert 0 < stats["ingest"].oldest_age_s < 30, "the message carries its send time"
    assert stats["enrich"].depth == 0
    assert stats["enrich"].oldest_age_s == 0


def _deliver(redis: Redis, stage: str, *, age_s: float, eta_in_s: float | None = None) -> str:
    """Move the next message of a stage queue into Redis's `unacked` as kombu does when a
    worker takes it, delivered `age_s` ago (and held for a retry until `eta_in_s`)."""
    import time
    from datetime import UTC, datetime

    raw = redis.rpop(f"{NAMESPACE}.{stage}")
    assert raw is not None
    payload = json.loads(cast(bytes, raw))
    if eta_in_s is not None:
        payload["headers"]["eta"] = datetime.fromtimestamp(time.time() + eta_in_s, UTC).isoformat()
    tag = f"{NAMESPACE}-tag-{time.monotonic_ns()}"
    redis.hset("unacked", tag, json.dumps([payload, NAMESPACE, f"{NAMESPACE}.{stage}"]))
    redis.zadd("unacked_index", {tag: time.time() - age_s})
    return tag


@pytest.fixture
def delivered(redis: Redis) -> Iterator[list[str]]:
    """Tags this test put in the shared `unacked` hash, removed afterwards."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        redis.hdel("unacked", tag)
        redis.zrem("unacked_index", tag)


def test_a_message_of_a_dead_worker_is_resent_seconds_after_its_delivery(
    redis: Redis, delivered: list[str]
) -> None:
    """With the shipped defaults (stuck after 15 s): a message delivered 5 s ago belongs to a
    live worker; one delivered 20 s ago whose rows nobody holds, to a dead one; one held for
    a retry countdown is live until its countdown ran out."""
    from services.scheduler.sweeper import sweep
    from shared.db import session_scope
    from shared.settings import get_settings

    assert get_settings().sweeper_stuck_after_s == 15
    fresh = submit([synthetic_article(0, seed=45)])
    delivered.append(_deliver(redis, "ingest", age_s=5))
    dead = submit([synthetic_article(1, seed=45)])
    delivered.append(_deliver(redis, "ingest", age_s=20))
    retrying = submit([synthetic_article(2, seed=45)])
    delivered.append(_deliver(redis, "ingest", age_s=60, eta_in_s=30))
    _age(fresh + dead + retrying, 60)
    with session_scope() as session:
        assert sweep(session, 15, redis) == {"ingest": 1}
    assert _drain(redis, "ingest") == dead


def test_a_sweep_leaves_a_line_in_the_history_of_what_it_resent(redis: Redis) -> None:
    from services.scheduler.sweeper import sweep
    from shared.db import session_scope
    from shared.models import StageEvent

    ids = submit([synthetic_article(i, seed=46) for i in range(2)])
    _drain(redis, "ingest")
    _age(ids, 60)
    with session_scope() as session:
        assert sweep(session, 15, redis, reason="test") == {"ingest": 2}
        events = session.execute(
            select(StageEvent.article_id, StageEvent.outcome, StageEvent.detail).where(
                StageEvent.article_id.in_(ids), StageEvent.outcome == "swept"
            )
        ).all()
    assert sorted(e.article_id for e in events) == sorted(ids)
    assert {e.detail for e in events} == {"re-sent by the sweeper (test)"}


def test_a_redis_restart_is_seen_by_its_run_id_or_its_lost_mark(redis: Redis) -> None:
    from services.scheduler.sweeper import broker_restarted

    key = f"{NAMESPACE}.newsflow:broker-run-id"
    redis.delete(key)
    assert broker_restarted(redis)  # nothing seen before (or the data is gone)
    assert not broker_restarted(redis)
    redis.set(key, "run-id-of-the-redis-before")
    assert broker_restarted(redis)
    assert not broker_restarted(redis)
    redis.delete(key)  # wiped with the data
    assert broker_restarted(redis)


def test_one_sweep_at_a_time(redis: Redis) -> None:
    from services.scheduler.sweeper import sweep_lock, sweep_once
    from shared.db import session_scope

    ids = submit([synthetic_article(0, seed=47)])
    _drain(redis, "ingest")
    _age(ids, 60)
    held = sweep_lock(redis)
    assert held.acquire(blocking=False)
    try:
        with session_scope() as session:
            assert sweep_once(session, 15, redis) == {}
    finally:
        held.release()
    with session_scope() as session:
        assert sweep_once(session, 15, redis) == {"ingest": 1}


def test_a_sweeper_killed_mid_sweep_delays_the_next_by_an_interval_at_most(redis: Redis) -> None:
    from services.scheduler.sweeper import sweep_lock, sweep_once
    from shared.db import session_scope
    from shared.settings import get_settings

    ids = submit([synthetic_article(0, seed=48)])
    _drain(redis, "ingest")
    _age(ids, 60)
    interval = get_settings().sweeper_interval_s
    # The lock of a sweeper that died holding it: taken, never renewed nor released.
    assert sweep_lock(redis).acquire(blocking=False)
    with session_scope() as session:
        assert sweep_once(session, 15, redis) == {}
    time.sleep(interval + 0.5)
    with session_scope() as session:
        assert sweep_once(session, 15, redis) == {"ingest": 1}


def test_a_sweep_longer_than_the_lock_lifetime_keeps_the_lock(redis: Redis) -> None:
    from services.scheduler.sweeper import kept_alive, sweep_lock

    lock = sweep_lock(redis)
    assert lock.acquire(blocking=False)
    try:
        with kept_alive(lock):
            time.sleep(2.5 * float(lock.timeout or 0))
            assert lock.owned()
            assert not sweep_lock(redis).acquire(blocking=False)
    finally:
        lock.release()


def test_a_starting_worker_asks_for_a_sweep_now_and_once_its_predecessors_messages_are_dead(
    redis: Redis,
) -> None:
    from shared.celery_app import SCHEDULER_QUEUE, SWEEP_TASK
    from shared.settings import get_settings
    from shared.worker import _sweep_on_worker_start

    queue = get_settings().queue_name(SCHEDULER_QUEUE)
    redis.delete(queue)
    started = time.time()
    _sweep_on_worker_start()
    messages = [json.loads(cast(bytes, raw)) for raw in redis.lrange(queue, 0, -1)]
    redis.delete(queue)
    assert [m["headers"]["task"] for m in messages] == [SWEEP_TASK, SWEEP_TASK]
    etas = sorted(
        datetime.fromisoformat(m["headers"]["eta"]).timestamp() - started
        for m in messages
        if m["headers"].get("eta")
    )
    # One now; one when a message delivered before this start is past the stuck window.
    stuck_after = get_settings().sweeper_stuck_after_s
    assert len(etas) == 1
    assert stuck_after < etas[0] < stuck_after + 5
