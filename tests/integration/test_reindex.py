"""`newsflow reindex`: a new index from the store, alias swapped while searches keep working."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.integration.test_search_api import make_article, store_and_index
from tests.support import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]

CORPUS_SIZE = 600


def _es() -> Any:
    from shared.search.client import get_client

    return get_client()


def _alias() -> str:
    from shared.search.indices import alias_name

    return alias_name()


def _row(article_id: str) -> Any:
    from shared.db import get_sessionmaker
    from shared.models import Article

    with get_sessionmaker()() as session:
        return session.get(Article, article_id)


def _corpus(count: int = CORPUS_SIZE) -> list[str]:
    articles = [
        make_article(
            f"a{i:05d}",
            f"Council meeting {i}",
            f"The council met for the {i}th time to discuss the harbour budget.",
            entities=[("Harbour Council", "organization", 1)],
        )
        for i in range(count)
    ]
    return store_and_index(articles)


def _state() -> dict[str, Any]:
    from shared.search.indices import live_index, managed_indices, next_index

    es = _es()
    return {"live": live_index(es), "next": next_index(es), "all": managed_indices(es)}


def test_reindex_swaps_the_alias_while_searches_keep_answering() -> None:
    from services.indexer.reindex import reindex_from_store
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    _corpus()
    before = _state()
    failures: list[BaseException] = []
    totals: list[int] = []
    stop = threading.Event()

    def search_in_a_loop() -> None:
        es = _es()
        params = SearchParams(q="council harbour", size=5, collapse=True)
        while not stop.is_set():
            try:
                page = search_articles(es, params)
                totals.append(page["total"])
                assert len(page["hits"]) == 5
            except BaseException as exc:
                failures.append(exc)

    def searches_go_on(_batch: int = 0) -> None:
        # Wait for a few more answered searches: they overlap every batch and the swap.
        done = len(totals) + len(failures)
        wait_until(
            lambda: len(totals) + len(failures) >= done + 2,
            timeout=30,
            interval=0.01,
            message="the searches stopped answering",
        )

    searchers = [threading.Thread(target=search_in_a_loop) for _ in range(2)]
    for thread in searchers:
        thread.start()
    try:
        result = reindex_from_store(batch_size=50, swap_grace_s=0.5, on_batch=searches_go_on)
        searches_go_on()  # searches against the new index too
    finally:
        stop.set()
        for thread in searchers:
            thread.join()
    assert not failures, failures[:3]
    assert len(totals) > 20
    assert set(totals) == {CORPUS_SIZE}, "every search saw every article"

    after = _state()
    assert result.documents == CORPUS_SIZE
    assert result.previous == [before["live"]]
    assert after == {"live": result.index, "next": None, "all": [result.index]}
    assert result.index != before["live"]
    assert _es().count(index=_alias())["count"] == CORPUS_SIZE
    settings = _es().indices.get_settings(index=result.index)[result.index]["settings"]["index"]
    assert settings["refresh_interval"] == "1s"
    assert settings["auto_expand_replicas"] == "0-1"


def test_articles_indexed_during_a_reindex_land_in_the_new_index() -> None:
    from services.indexer.reindex import reindex_from_store
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker
    from shared.models import Article

    _corpus(200)
    during: list[str] = []

    def index_meanwhile(loaded: int) -> None:
        if during:
            return
        during.append(_state()["next"])
        # A new article arrives through the index stage while the load runs ...
        store_and_index([make_article("zz-new", "Arrived mid-reindex", "Fresh text.")])
        # ... and an article already loaded (revision 1) is revised to revision 2.
        with get_sessionmaker()() as session:
            article = session.get(Article, "a00003")
            assert article is not None
            article.revision = 2
            article.title = "Council meeting 3, revised"
            article.state = "enriched"
            session.commit()
            assert index_articles(session, ["a00003"]) == ["a00003"]

    result = reindex_from_store(batch_size=50, swap_grace_s=0, on_batch=index_meanwhile)
    assert during == [result.index], "the index stage saw the index being built"
    es = _es()
    assert es.count(index=_alias())["count"] == 201
    new = es.get(index=_alias(), id="zz-new")
    assert new["_index"] == result.index
    revised = es.get(index=_alias(), id="a00003")
    assert revised["_version"] == 2
    assert revised["_source"]["title"] == "Council meeting 3, revised"


def test_two_reindexes_never_run_at_once() -> None:
    from redis import Redis

    from services.indexer.reindex import ReindexInProgress, reindex_from_store, reindex_lock
    from shared.settings import get_settings

    _corpus(10)
    held = reindex_lock(Redis.from_url(get_settings().redis_url), timeout_s=30)
    assert held.acquire(blocking=False)
    live = _state()["live"]
    try:
        with pytest.raises(ReindexInProgress):
            reindex_from_store()
    finally:
        held.release()
    assert _state() == {"live": live, "next": None, "all": [live]}
    assert reindex_from_store(swap_grace_s=0).documents == 10


def test_a_failed_reindex_leaves_the_live_index_alone() -> None:
    from services.indexer.reindex import reindex_from_store

    _corpus(120)
    live = _state()["live"]

    def crash(loaded: int) -> None:
        if loaded >= 100:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        reindex_from_store(batch_size=50, on_batch=crash)
    assert _state() == {"live": live, "next": None, "all": [live]}
    assert _es().count(index=_alias())["count"] == 120
    # The lock was released: the next reindex runs.
    assert reindex_from_store(swap_grace_s=0).documents == 120


def test_leftovers_of_a_killed_reindex_are_dropped_by_the_next_one() -> None:
    from services.indexer.reindex import reindex_from_store
    from shared.search.indices import create_next_index

    _corpus(10)
    leftover = create_next_index(_es())  # as if the reindex process had been killed
    result = reindex_from_store(swap_grace_s=0)
    assert leftover not in _state()["all"]
    assert _state()["all"] == [result.index]


def test_rejected_documents_fail_their_articles_or_abort_the_reindex() -> None:
    from services.indexer.reindex import ReindexFailed, reindex_from_store
    from shared.db import get_sessionmaker

    _corpus(150)
    # Indexed under an older, laxer mapping; today's mapping refuses it.
    runaway = {"language": "en", "language_confidence": "very sure"}
    with get_sessionmaker()() as session:
        session.add(
            make_article(
                "flooded", "Flooded", "A broken enrichment.", enrichment=runaway, state="indexed"
            )
        )
        session.commit()
    live = _state()["live"]
    with pytest.raises(ReindexFailed, match="rejected"):
        reindex_from_store(max_rejected_ratio=0.0, swap_grace_s=0)
    assert _state()["live"] == live
    assert _row("flooded").state == "indexed"  # an aborted reindex changes no article

    result = reindex_from_store(max_rejected_ratio=0.01, swap_grace_s=0)
    assert list(result.rejected) == ["flooded"]
    assert result.documents == 151
    flooded = _row("flooded")
    assert flooded.state == "failed"
    assert flooded.error_class == "index_rejected"
    assert _es().count(index=_alias())["count"] == 150


def test_an_outdated_mapping_holds_writes_until_index_init_reindexes() -> None:
    from typer.testing import CliRunner

    from services.cli.main import app
    from services.indexer import stage
    from shared.errors import TransientError
    from shared.search.indices import alias_name, mapping_version, swap_alias
    from shared.search.mapping import MAPPING_VERSION

    _corpus(20)
    es = _es()
    old = f"{alias_name()}-v{MAPPING_VERSION - 1}-legacy"
    es.indices.create(index=old, mappings={"_meta": {"mapping_version": MAPPING_VERSION - 1}})
    for name in swap_alias(es, old):
        es.indices.delete(index=name)
    stage._ready.clear()
    with pytest.raises(TransientError, match="newsflow index init"):
        store_and_index([make_article("late-1", "Late", "Waits for the new mapping.")])
    assert _row("late-1").state == "enriched"

    outcome = CliRunner().invoke(app, ["index", "init"])
    assert outcome.exit_code == 0, outcome.output
    live = _state()["live"]
    assert live != old
    assert mapping_version(es, live) == MAPPING_VERSION
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker

    with get_sessionmaker()() as session:
        assert index_articles(session, ["late-1"]) == ["late-1"]
    es.indices.refresh(index=alias_name())
    # The reindex loaded the 20 indexed articles and the enriched one (still enriched then).
    assert es.count(index=alias_name())["count"] == 21


def test_the_stage_writes_to_next_while_a_reindex_holds_its_lock_and_only_then() -> None:
    """The index stage asks Elasticsearch about `-next` only while a reindex holds its lock
    (taken before `-next` is created, released once it is gone): with the lock, a batch lands
    in `-next` too; without it, a leftover of a killed reindex gets nothing (the next reindex
    drops it)."""
    from redis import Redis

    from services.indexer.reindex import reindex_lock
    from shared.search.indices import create_next_index, next_alias_name
    from shared.settings import get_settings

    _corpus(3)
    next_index = create_next_index(_es())  # no lock: as a killed reindex leaves it
    store_and_index([make_article("no-lock", "Alone", "Written to the read alias only.")])
    lock = reindex_lock(Redis.from_url(get_settings().redis_url), timeout_s=30)
    assert lock.acquire(blocking=False)
    try:
        store_and_index([make_article("locked", "Mid-reindex", "Written to both.")])
    finally:
        lock.release()
    _es().indices.refresh(index=[_alias(), next_index])
    assert _es().count(index=_alias())["count"] == 5
    in_next = _es().search(index=next_alias_name(), query={"match_all": {}})["hits"]["hits"]
    assert [hit["_id"] for hit in in_next] == ["locked"]
