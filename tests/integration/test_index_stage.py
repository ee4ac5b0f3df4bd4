"""The index stage and the index contract against the real Elasticsearch and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_search_api import make_article, store_and_index

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]


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


def _count() -> int:
    _es().indices.refresh(index=_alias())
    return int(_es().count(index=_alias())["count"])


# --- the contract ----------------------------------------------------------------------


def test_the_mapping_is_installed_as_a_template_and_versioned() -> None:
    from shared.search.indices import live_index, mapping_version
    from shared.search.mapping import MAPPING_VERSION

    es = _es()
    template = es.indices.get_index_template(name=_alias())["index_templates"][0]
    assert template["index_template"]["index_patterns"] == [f"{_alias()}-v*"]
    index = live_index(es)
    assert index
    assert index.startswith(f"{_alias()}-v{MAPPING_VERSION}-")
    assert mapping_version(es, index) == MAPPING_VERSION
    aliases = es.indices.get_alias(index=index)[index]["aliases"]
    assert aliases == {_alias(): {"is_write_index": True}}


def test_each_language_gets_its_analyzer_and_apps_see_the_text_once() -> None:
    from shared.search.indices import live_index

    store_and_index(
        [
            make_article("en-1", "Banks raising rates", "The banks were raising rates."),
            make_article("de-1", "Häuser", "Die Häuser der Stadt.", language="de"),
            make_article("xx-1", "Kitabu", "Kitabu kipya.", language="sw"),  # no analyzer
        ]
    )
    es = _es()
    index = live_index(es)
    tokens = es.indices.analyze(index=index, field="body_en", text="banks raising")["tokens"]
    assert [t["token"] for t in tokens] == ["bank", "rais"]
    tokens = es.indices.analyze(index=index, field="body_de", text="Häuser")["tokens"]
    assert [t["token"] for t in tokens] == ["haus"]
    tokens = es.indices.analyze(index=index, field="body", text="Häuser")["tokens"]
    assert [t["token"] for t in tokens] == ["hauser"]

    english = es.get(index=_alias(), id="en-1", stored_fields="body_en,title_en")
    assert english["fields"]["body_en"] == ["The banks were raising rates."]
    source = es.get(index=_alias(), id="en-1")["_source"]
    assert source["body"] == "The banks were raising rates."
    assert not {k for k in source if k.startswith(("body_", "title_", "suggest_"))}
    german = es.get(index=_alias(), id="de-1", stored_fields="body_de,body_en")
    assert set(german["fields"]) == {"body_de"}
    swahili = es.get(index=_alias(), id="xx-1", stored_fields="body_*")
    assert "fields" not in swahili
    assert es.get(index=_alias(), id="xx-1")["_source"]["language"] == "sw"


def test_enrichment_projects_to_entities_quotes_keywords_and_cluster() -> None:
    store_and_index(
        [
            make_article(
                "p-1",
                "Trump meets Putin",
                "Donald Trump met Vladimir Putin in Anchorage.",
                cluster_id="story-1",
                entities=[
                    ("Donald Trump", "person", 2),
                    ("Vladimir Putin", "person", 1),
                    ("NATO", "organization", 1),
                    ("Anchorage", "place", 1),
                    ("Alaska Summit", "event", 1),
                    ("Russian", "other", 4),
                ],
                quotes=[("We talked", "Donald Trump"), ("Unattributed words", None)],
                keywords=["summit", "summit", "talks"],
            )
        ]
    )
    source = _es().get(index=_alias(), id="p-1")["_source"]
    assert source["persons"] == ["Donald Trump", "Vladimir Putin"]
    assert source["organizations"] == ["NATO"]
    assert source["places"] == ["Anchorage"]
    assert source["events"] == ["Alaska Summit"]
    assert source["other_entities"] == ["Russian"]
    assert source["entities"][0] == {
        "name": "Donald Trump",
        "type": "person",
        "mentions": 2,
        "first_offset": 0,
    }
    assert source["quotes"][1] == {"text": "Unattributed words", "speaker": None, "offset": 0}
    assert source["speakers"] == ["Donald Trump"]
    assert source["keywords"] == ["summit", "talks"]
    assert source["cluster_id"] == "story-1"
    # One Lucene document per article (no nested entities or quotes since mapping v4);
    # entities are there to read, quotes are searchable by text and speaker.
    index = next(iter(_es().indices.get_alias(name=_alias()).body))
    _es().indices.flush(index=index)
    lucene_docs = _es().indices.stats(index=index)["indices"][index]["primaries"]["docs"]
    assert lucene_docs["count"] == _count()
    assert _es().count(index=_alias(), query={"term": {"entities.name": "NATO"}})["count"] == 0
    for query, hits in [
        ({"match": {"quotes.text": "talked"}}, 1),
        ({"term": {"quotes.speaker.folded": "donald trump"}}, 1),
        ({"match": {"quotes.text": "progress"}}, 0),
    ]:
        assert _es().count(index=_alias(), query=query)["count"] == hits, query


def test_missing_enrichment_and_extraction_keys_still_index() -> None:
    bare = make_article("bare-1", "Bare", "Just a body.", enrichment={})
    bare.extracted = {}
    odd = make_article(
        "odd-1",
        "Odd",
        "Odd enrichment.",
        enrichment={
            "entities": [{"name": "X"}, {"type": "person"}, "junk", {"name": "Y", "mentions": "2"}],
            "quotes": [{"speaker": "nobody"}, {"text": "Said"}],
            "keywords": "one keyword",
            "word_count": "many",
        },
    )
    assert sorted(store_and_index([bare, odd])) == ["bare-1", "odd-1"]
    source = _es().get(index=_alias(), id="odd-1")["_source"]
    assert source["other_entities"] == ["X", "Y"]
    assert source["entities"][1]["mentions"] == 2
    assert source["quotes"] == [{"text": "Said", "speaker": None, "offset": None}]
    assert source["keywords"] == ["one keyword"]
    assert source["word_count"] is None


# --- external versions -----------------------------------------------------------------


def test_a_stale_write_loses() -> None:
    from services.indexer.bulk import Document, bulk_write
    from shared.search.documents import from_db

    store_and_index([make_article("v-1", "Revision two", "Newer text.", revision=2)])
    stale = make_article("v-1", "Revision one", "Older text.", revision=1)
    results = bulk_write(_es(), [Document("v-1", 1, from_db(stale))], [_alias()])
    assert results["v-1"][0].status == 409
    document = _es().get(index=_alias(), id="v-1")
    assert document["_version"] == 2
    assert document["_source"]["title"] == "Revision two"


def test_a_replay_never_makes_a_second_document_and_refreshes_the_same_revision() -> None:
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker
    from shared.models import Article

    store_and_index([make_article("r-1", "Replayed", "Same article.")])
    with get_sessionmaker()() as session:
        article = session.get(Article, "r-1")
        assert article is not None
        # The same revision again (a replay, a redelivery) with a new cluster id.
        article.state = "enriched"
        article.cluster_id = "story-9"
        session.commit()
        assert index_articles(session, ["r-1"]) == ["r-1"]
        assert index_articles(session, ["r-1"]) == []  # already indexed: nothing to do
    assert _count() == 1
    document = _es().get(index=_alias(), id="r-1")
    assert document["_version"] == 1
    assert document["_source"]["cluster_id"] == "story-9"


def test_the_stage_sends_the_stored_document_while_it_is_current() -> None:
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker
    from shared.models import Article
    from shared.search.documents import store_document

    def stored_title(article: Article, title: str, projection: str | None) -> None:
        """What a stored document says, made to differ from its row to see which is sent."""
        store_document(article)
        assert article.search_document is not None
        article.search_document = article.search_document.replace(
            b'"title":"Row title"', b'"title":"' + title.encode() + b'"'
        )
        article.search_projection = projection or article.search_projection

    current = make_article("s-1", "Row title", "Stored body.")
    stale = make_article("s-2", "Row title", "Stored body.")
    with get_sessionmaker()() as session:
        session.add_all([current, stale])
        session.flush()
        stored_title(current, "Stored title", None)
        stored_title(stale, "Stored by other code", "0123456789abcdef")
        session.commit()
        assert sorted(index_articles(session, ["s-1", "s-2"])) == ["s-1", "s-2"]
    _es().indices.refresh(index=_alias())
    first = _es().get(index=_alias(), id="s-1")["_source"]
    assert first["title"] == "Stored title"
    assert first["indexed_at"]  # added to the stored document as it is sent
    assert _es().get(index=_alias(), id="s-2")["_source"]["title"] == "Row title"


# --- bulk batching and failures --------------------------------------------------------


def test_a_big_batch_is_cut_into_bulk_requests() -> None:
    from services.indexer.bulk import BulkStats, Document, bulk_write
    from shared.search.documents import from_db

    articles = [make_article(f"b-{i:04d}", f"Title {i}", f"Body {i} " * 50) for i in range(250)]
    documents = [Document(a.id, a.revision, from_db(a)) for a in articles]
    stats = BulkStats()
    results = bulk_write(_es(), documents, [_alias()], max_docs=100, stats=stats)
    # The first request is short: Elasticsearch starts on it while the next is built.
    assert stats.per_request_docs == [25, 100, 100, 25]
    assert all(r[0].status == 201 for r in results.values())
    stats = BulkStats()
    bulk_write(_es(), documents, [_alias()], max_bytes=64 * 1024, stats=stats)
    assert stats.requests > 3
    assert max(stats.per_request_docs) * (stats.bytes / 250) < 80 * 1024
    assert _count() == 250


def test_the_stage_indexes_a_batch_far_larger_than_one_request() -> None:
    articles = [make_article(f"s-{i:04d}", f"Story {i}", f"Text {i}.") for i in range(1200)]
    assert len(store_and_index(articles)) == 1200
    assert _count() == 1200
    assert _row("s-0999").state == "indexed"


def test_a_small_batch_keeps_every_request_slot_busy() -> None:
    from prometheus_client import REGISTRY

    from services.indexer.stage import STAGE_REQUESTS_IN_FLIGHT

    def requests_sent() -> float:
        return REGISTRY.get_sample_value("newsflow_es_bulk_seconds_count") or 0.0

    articles = [make_article(f"m-{i:02d}", f"Story {i}", f"Text {i}.") for i in range(10)]
    before = requests_sent()
    assert len(store_and_index(articles)) == 10
    # Ten articles go out as that many equal requests as may be in flight, not as one (a
    # short first request only when there are more rounds of requests to read and project).
    assert requests_sent() - before == STAGE_REQUESTS_IN_FLIGHT
    assert _count() == 10
    assert {_row(f"m-{i:02d}").state for i in range(10)} == {"indexed"}


def test_a_rejected_document_fails_its_article_alone() -> None:
    # A language confidence that is no number: the mapping (a float) refuses the document.
    runaway = {"language": "en", "language_confidence": "very sure", "entities": []}
    articles = [
        make_article("ok-1", "Fine", "A fine article."),
        make_article(
            "bad-1", "Runaway", "An article with a broken enrichment.", enrichment=runaway
        ),
        make_article("ok-2", "Fine too", "Another fine article."),
    ]
    assert sorted(store_and_index(articles)) == ["ok-1", "ok-2"]
    bad = _row("bad-1")
    assert bad.state == "failed"
    assert bad.failed_stage == "index"
    assert bad.error_class == "index_rejected"
    assert "language_confidence" in bad.error
    assert "400" in bad.error
    assert _count() == 2


def test_every_row_stays_locked_from_the_first_projection_to_the_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stage reads what it projects while its requests are in flight; the rows of the
    whole batch are locked before the first is projected and stay locked until the stage
    commits (a new revision or a duplicate message waits for that), and an article whose
    projection fails is failed alone."""
    from sqlalchemy import select

    from services.indexer import stage
    from shared.db import get_sessionmaker
    from shared.models import Article, StageEvent
    from shared.pipeline import advance_all as real_advance_all
    from shared.search.documents import document_source as real_document_source

    articles = [make_article(f"l-{i:03d}", f"Story {i}", f"Text {i}.") for i in range(150)]
    odd_json: Any = ["not", "an", "object"]  # JSON, but no object: the projection raises
    articles[70] = make_article("l-070", "Odd", "Odd JSON.", enrichment=odd_json)
    ids = [a.id for a in articles]
    sessions = get_sessionmaker()
    with sessions() as session:
        session.add_all(articles)
        session.commit()

    def unlocked() -> int:
        with sessions() as other:
            return len(
                other.scalars(
                    select(Article.id).where(Article.id.in_(ids)).with_for_update(skip_locked=True)
                ).all()
            )

    seen: list[tuple[str, int]] = []

    def document_source(row: Any, indexed_at: Any) -> Any:
        if not seen:
            seen.append(("first projection", unlocked()))
        return real_document_source(row, indexed_at)

    def advance_all(session: Any, settled: Any, *args: Any, **kwargs: Any) -> None:
        real_advance_all(session, settled, *args, **kwargs)
        if settled:
            seen.append((f"{len(settled)} settled", unlocked()))

    monkeypatch.setattr("services.indexer.stage.document_source", document_source)
    monkeypatch.setattr("services.indexer.stage.advance_all", advance_all)
    monkeypatch.setattr("services.indexer.stage.STAGE_ROWS_PER_ADVANCE", 60)
    with sessions() as session:
        indexed = stage.index_articles(session, ids)
    # Settled 60 at a time while requests are in flight, every row still locked each time.
    assert seen == [
        ("first projection", 0),
        ("60 settled", 0),
        ("60 settled", 0),
        ("29 settled", 0),
    ]
    assert unlocked() == len(ids)
    assert sorted(indexed) == sorted(set(ids) - {"l-070"})
    assert _count() == 149
    odd = _row("l-070")
    assert (odd.state, odd.error_class) == ("failed", "projection_error")
    row = _row("l-000")
    assert (row.state, row.attempts) == ("indexed", 0)
    assert row.indexed_at is not None
    with sessions() as session:
        history = session.execute(
            select(StageEvent.article_id, StageEvent.outcome, StageEvent.detail)
            .where(StageEvent.stage == "index")
            .order_by(StageEvent.article_id)
        ).all()
    assert len(history) == 150
    assert history[0] == ("l-000", "ok", "attempt 1")
    assert history[70][:2] == ("l-070", "failed")


def _locked_batch(n: int, prefix: str) -> list[str]:
    """`n` articles stored enriched, with ids in the order the stage claims them."""
    from shared.db import get_sessionmaker

    articles = [make_article(f"{prefix}-{i:03d}", f"Story {i}", f"Text {i}.") for i in range(n)]
    with get_sessionmaker()() as session:
        session.add_all(articles)
        session.commit()
    return [a.id for a in articles]


def _unlocked(ids: list[str]) -> set[str]:
    """The ids of `ids` no transaction holds a row lock on."""
    from sqlalchemy import select

    from shared.db import get_sessionmaker
    from shared.models import Article

    with get_sessionmaker()() as other:
        query = select(Article.id).where(Article.id.in_(ids)).with_for_update(skip_locked=True)
        return set(other.scalars(query).all())


def test_a_failure_in_the_middle_of_a_batch_leaves_every_article_waiting_for_its_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Elasticsearch lost while later requests of a batch are in flight, after some of its
    articles were recorded as indexed (not committed): every article is left enriched and
    unlocked with its attempt counted (which the stage runner gives back before its retry),
    and the retry indexes each once: nothing lost, nothing recorded twice."""
    from elastic_transport import ConnectionError as TransportConnectionError
    from sqlalchemy import func, select

    from services.indexer import bulk, stage
    from shared.db import get_sessionmaker
    from shared.models import Article, StageEvent
    from shared.pipeline import advance_all as real_advance_all

    monkeypatch.setattr(stage, "STAGE_DOCS_PER_REQUEST", 25)
    monkeypatch.setattr(stage, "STAGE_ROWS_PER_ADVANCE", 20)  # recorded before the failure
    ids = _locked_batch(150, "m")
    real_send = bulk._send
    sent: list[int] = []

    def send(es: Any, chunk: Any, *args: Any) -> Any:
        sent.append(len(chunk))
        if len(sent) == 4:
            raise TransportConnectionError("connection refused")
        return real_send(es, chunk, *args)

    recorded: list[int] = []

    def advance_all(session: Any, settled: Any, *args: Any, **kwargs: Any) -> None:
        recorded.append(len(settled))
        real_advance_all(session, settled, *args, **kwargs)

    monkeypatch.setattr(bulk, "_send", send)
    monkeypatch.setattr(stage, "advance_all", advance_all)
    with get_sessionmaker()() as session, pytest.raises(TransportConnectionError):
        stage.index_articles(session, ids)
    assert recorded  # some were recorded as indexed before the failure, and rolled back
    assert _unlocked(ids) == set(ids)
    with get_sessionmaker()() as session:
        states = dict(session.execute(select(Article.id, Article.state)).tuples().all())
        attempts = dict(session.execute(select(Article.id, Article.attempts)).tuples().all())
    assert {states[i] for i in ids} == {"enriched"}
    assert {attempts[i] for i in ids} == {1}
    monkeypatch.setattr(bulk, "_send", real_send)
    monkeypatch.setattr(stage, "advance_all", real_advance_all)
    with get_sessionmaker()() as session:
        assert sorted(stage.index_articles(session, ids)) == ids
    assert _count() == 150
    with get_sessionmaker()() as session:
        ok = session.execute(
            select(StageEvent.article_id, func.count())
            .where(StageEvent.stage == "index", StageEvent.outcome == "ok")
            .group_by(StageEvent.article_id)
        ).all()
    assert len(ok) == 150
    assert {n for _id, n in ok} == {1}


class Overloaded:
    """The real client, except that its first `fail` bulk requests answer 429 per item
    (what a full write queue says), or as a whole when `whole` is set."""

    def __init__(self, es: Any, fail: int, *, whole: bool = False) -> None:
        self.es, self.fail, self.whole, self.calls = es, fail, whole, 0

    def options(self, **_kwargs: Any) -> Overloaded:
        return self

    def bulk(self, *, operations: list[bytes], **kwargs: Any) -> Any:
        self.calls += 1
        if self.fail:
            self.fail -= 1
            if self.whole:
                from elastic_transport import ApiResponseMeta, HttpHeaders
                from elasticsearch import ApiError

                meta = ApiResponseMeta(429, "1.1", HttpHeaders(), 0.0, None)  # type: ignore[arg-type]
                raise ApiError("too many requests", meta, {"error": "overloaded"})
            item = {"status": 429, "error": {"type": "es_rejected_execution_exception"}}
            return {"errors": True, "items": [{"index": item}] * (len(operations) // 2)}
        return self.es.bulk(operations=operations, **kwargs)


@pytest.mark.parametrize("whole", [False, True])
def test_429s_are_retried_with_backoff(whole: bool) -> None:
    from services.indexer.bulk import BulkStats, Document, bulk_write
    from shared.failure_policy import Retry
    from shared.search.documents import from_db

    documents = [
        Document(a.id, 1, from_db(a))
        for a in [make_article(f"o-{i}", f"T {i}", "Body.") for i in range(5)]
    ]
    client = Overloaded(_es(), fail=2, whole=whole)
    stats = BulkStats()
    results = bulk_write(client, documents, [_alias()], retry=Retry(4, 0.05), stats=stats)  # type: ignore[arg-type]
    assert client.calls == 3
    assert stats.retried_items == 10
    assert all(r[0].status == 201 for r in results.values())
    # Still overloaded after every retry: the items come back as 429 for the caller.
    client = Overloaded(_es(), fail=10, whole=whole)
    results = bulk_write(client, documents, [_alias()], retry=Retry(2, 0.01))  # type: ignore[arg-type]
    assert client.calls == 3
    assert all(r[0].status == 429 for r in results.values())


def test_bulk_requests_run_on_threads_the_process_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call's requests run on threads that outlive it: a pool started per call cost a
    thread start each."""
    import threading

    from services.indexer import bulk
    from shared.search.documents import from_db

    documents = [
        bulk.Document(a.id, 1, from_db(a))
        for a in [make_article(f"t-{i}", f"T {i}", "Body.") for i in range(8)]
    ]
    real_send = bulk._send
    threads: list[list[threading.Thread]] = []

    def send(es: Any, chunk: Any, *args: Any) -> Any:
        threads[-1].append(threading.current_thread())
        return real_send(es, chunk, *args)

    monkeypatch.setattr(bulk, "_send", send)
    for _call in range(2):
        threads.append([])
        results = bulk.bulk_write(_es(), documents, [_alias()], max_docs=2, parallel=2)
        assert all(r[0].ok for r in results.values())
    assert len(threads[0]) == len(threads[1]) == 5  # the first request of one document
    # Still there once their calls returned, waiting for the next one's requests.
    assert all(thread.is_alive() for thread in threads[0] + threads[1])
    assert threading.main_thread() not in threads[0] + threads[1]


def test_the_stage_leaves_overloaded_articles_enriched_for_a_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.indexer import stage
    from shared.errors import TransientError

    real = _es()
    monkeypatch.setattr(stage, "get_client", lambda: Overloaded(real, fail=100))
    monkeypatch.setattr("services.indexer.bulk.time.sleep", lambda _s: None)
    monkeypatch.setattr(stage, "write_targets", lambda _es: [_alias()])
    with pytest.raises(TransientError):
        store_and_index([make_article("busy-1", "Busy", "Busy cluster.")])
    assert _row("busy-1").state == "enriched"
    monkeypatch.undo()
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker

    with get_sessionmaker()() as session:
        assert index_articles(session, ["busy-1"]) == ["busy-1"]


def test_outcome_of_item_results() -> None:
    from services.indexer.bulk import ItemResult
    from services.indexer.stage import outcome

    ok, conflict = ItemResult("live", 201), ItemResult("live", 409)
    gone = ItemResult("next", 404, "index_not_found_exception", "no such index")
    assert outcome([ok]) == ("indexed", None)
    assert outcome([conflict]) == ("indexed", None)
    assert outcome([ok, ItemResult("next", 201)]) == ("indexed", None)
    # The reindex swapped while the request ran: the read alias write counts.
    assert outcome([ok, gone]) == ("indexed", None)
    assert outcome([ItemResult("live", 429)])[0] == "retry"
    assert outcome([ok, ItemResult("next", 503)])[0] == "retry"
    assert outcome([ItemResult("live", 404, "index_not_found_exception")])[0] == "retry"
    verdict, reason = outcome([ok, ItemResult("next", 400, "mapper_parsing_exception", "bad")])
    assert verdict == "rejected"
    assert reason
    assert "mapper_parsing_exception" in reason
