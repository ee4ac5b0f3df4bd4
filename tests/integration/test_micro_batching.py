"""Micro-batching against real Redis (and, end to end, a real index worker): a stage task
takes the messages waiting in its queue into its batch and acknowledges them only after."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_search_api import make_article
from tests.support import WorkerPool, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]


def _redis(stack: dict[str, str]) -> Any:
    from redis import Redis

    return Redis.from_url(stack["redis_url"])


def _queue(stage: str = "enrich") -> str:
    from shared.settings import get_settings

    return get_settings().queue_name(stage)


def _unacked_here(stack: dict[str, str]) -> int:
    """Delivered, unacknowledged messages of this session's enrich queue (Redis keeps those
    of every queue in one hash)."""
    import json

    raws = _redis(stack).hvals("unacked")
    return sum(1 for raw in raws if json.loads(raw)[2] == _queue())


def _send(*batches: list[str], stage: str = "enrich", **options: Any) -> None:
    from shared.celery_app import TASK_NAMES, app
    from shared.states import Stage

    for ids in batches:
        app.send_task(TASK_NAMES[Stage(stage)], args=[ids], queue=_queue(stage), **options)


def test_waiting_messages_join_the_batch_and_stay_unacked_until_acked(
    stack: dict[str, str],
) -> None:
    from shared.gather import gather
    from shared.states import Stage

    _send(["a1"], ["a2", "a3"], ["a4"])
    gathered = gather(Stage.ENRICH, ["own"])
    assert gathered.ids == ["a1", "a2", "a3", "a4"]  # oldest first
    assert _redis(stack).llen(_queue()) == 0
    # Taken but not acknowledged: a worker dying now leaves them where the sweeper looks.
    assert _unacked_here(stack) == 3
    gathered.ack()
    assert _unacked_here(stack) == 0


def test_a_batch_stops_at_the_batch_size(
    stack: dict[str, str], settings_env: Callable[..., None]
) -> None:
    from shared.gather import gather
    from shared.states import Stage

    settings_env(stage_batch_size=3)
    _send(["a1"], ["a2"], ["a3"], ["a4"])
    gathered = gather(Stage.ENRICH, ["own"])
    assert gathered.ids == ["a1", "a2"]
    gathered.ack()
    assert _redis(stack).llen(_queue()) == 2


def test_the_index_stage_gathers_up_to_its_own_size(
    stack: dict[str, str], settings_env: Callable[..., None]
) -> None:
    """Bulk requests pay off at larger batches than spaCy's: a backlog of index messages is
    gathered past `stage_batch_size`, up to `index_gather_size`."""
    from shared.gather import gather
    from shared.states import Stage

    settings_env(stage_batch_size=2, index_gather_size=5)
    waiting = [["i1"], ["i2", "i3"], ["i4"], ["i5"], ["i6"]]
    _send(*waiting, stage="index")
    _send(*waiting)
    index = gather(Stage.INDEX, ["own"])
    enrich = gather(Stage.ENRICH, ["own"])
    assert index.ids == ["i1", "i2", "i3", "i4"]
    assert enrich.ids == ["i1"]
    index.ack()
    enrich.ack()
    assert _redis(stack).llen(_queue("index")) == 2
    assert _redis(stack).llen(_queue()) == 4


def test_messages_that_must_wait_or_run_alone_are_left_in_the_queue(
    stack: dict[str, str],
) -> None:
    from shared.celery_app import enqueue
    from shared.gather import gather
    from shared.states import Stage

    enqueue(Stage.ENRICH, ["alone"], alone=True)
    assert gather(Stage.ENRICH, ["own"]).ids == []
    _send(["later"], countdown=60)  # a retry waiting for its countdown
    assert gather(Stage.ENRICH, ["own"]).ids == []
    assert _redis(stack).llen(_queue()) == 2
    assert _unacked_here(stack) == 0


def test_a_lone_message_does_not_wait_for_the_window(
    stack: dict[str, str], settings_env: Callable[..., None]
) -> None:
    from shared.gather import gather
    from shared.states import Stage

    settings_env(stage_batch_window_ms=1000)
    started = time.perf_counter()
    assert gather(Stage.ENRICH, ["own"]).ids == []
    assert time.perf_counter() - started < 0.5  # an empty queue: no window to wait


def test_a_burst_is_gathered_until_the_window_has_passed(
    stack: dict[str, str], settings_env: Callable[..., None]
) -> None:
    """Found waiting, a message opens the window: what arrives within it joins the batch,
    what arrives after it does not."""
    import threading

    from shared.gather import gather
    from shared.states import Stage

    # Wide margins around the window: a loaded CI machine fires timers late.
    settings_env(stage_batch_window_ms=1000)
    _send(["first"])
    soon = threading.Timer(0.1, _send, args=(["soon"],))
    late = threading.Timer(3.0, _send, args=(["late"],))
    soon.start()
    late.start()
    started = time.perf_counter()
    gathered = gather(Stage.ENRICH, ["own"])
    elapsed = time.perf_counter() - started
    late.join()
    assert gathered.ids == ["first", "soon"]
    assert 1.0 <= elapsed < 3.0
    gathered.ack()
    assert _redis(stack).llen(_queue()) == 1  # "late" waits for the next task


@pytest.mark.e2e
def test_single_article_messages_are_indexed_in_one_batch(
    stack: dict[str, str], tmp_path: Path
) -> None:
    """Twelve messages of one article each, waiting when the index worker starts: they are
    indexed together (one batch stamps one `indexed_at`), each exactly once."""
    from sqlalchemy import select

    from shared.celery_app import enqueue
    from shared.db import get_sessionmaker
    from shared.models import Article
    from shared.search.client import get_client
    from shared.states import Stage

    rows = [make_article(f"mb{i:02d}", f"Story {i}", f"Body of story {i}.") for i in range(12)]
    with get_sessionmaker()() as session:
        session.add_all(rows)
        session.commit()
    ids = [r.id for r in rows]
    for article_id in ids:
        enqueue(Stage.INDEX, [article_id])
    pool = WorkerPool(tmp_path)
    try:
        pool.start("index")

        def indexed_at() -> list[Any]:
            with get_sessionmaker()() as session:
                return list(
                    session.scalars(select(Article.indexed_at).where(Article.id.in_(ids))).all()
                )

        wait_until(lambda: None not in indexed_at(), timeout=60, message="not indexed")
    finally:
        pool.stop_all()
    assert len(set(indexed_at())) <= 2, "the waiting messages were not gathered"
    es = get_client()
    es.indices.refresh(index=stack["alias"])
    assert es.count(index=stack["alias"])["count"] == len(ids)
