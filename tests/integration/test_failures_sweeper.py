"""The sweeper re-sends only what is really stuck: not articles whose message waits in their
queue, not articles a worker holds right now; and a lost message costs one timeout."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import cast

import pytest
from redis import Redis
from sqlalchemy import update

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
    assert set(ids) <= (pending_ids(redis, 300)[Stage.INGEST] or set())
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
