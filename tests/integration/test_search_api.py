"""GET /v1/search, /v1/suggest and /v1/articles/{id}/similar against the real Elasticsearch.

Articles are written straight into the session's store (state `enriched`, enrichment JSON
as the enrich stage writes it) and indexed by the index stage function, no workers needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

LONG_BODY_CHARS = 1_200_000  # above Elasticsearch's default max_analyzed_offset (1M)


def make_article(
    article_id: str,
    title: str,
    body: str,
    *,
    language: str | None = "en",
    source: str = "wire",
    published_at: datetime | None = None,
    cluster_id: str | None = None,
    entities: Sequence[tuple[str, str, int]] = (),
    quotes: Sequence[tuple[str, str | None]] = (),
    keywords: Sequence[str] = (),
    revision: int = 1,
    state: str = "enriched",
    enrichment: dict[str, Any] | None = None,
) -> Any:
    """An article row as the enrich stage leaves it (enrichment in the agreed JSON shape)."""
    from shared.models import Article

    if enrichment is None:
        enrichment = {
            "language": language,
            "language_confidence": 0.99,
            "entities": [
                {"name": n, "type": t, "mentions": m, "first_offset": body.find(n)}
                for n, t, m in entities
            ],
            "quotes": [{"text": text, "speaker": speaker, "offset": 0} for text, speaker in quotes],
            "keywords": list(keywords),
            "summary": body[:200],
            "word_count": len(body.split()),
            "reading_time_min": 1,
            "models": {"entities": "test"},
        }
    raw = f"{title}\n\n{body}"
    return Article(
        id=article_id,
        revision=revision,
        state=state,
        source=source,
        url=f"https://{source}.example.org/{article_id}",
        input_format="text",
        raw_content=raw,
        submitted={},
        raw_hash=hashlib.sha256(raw.encode()).hexdigest(),
        title=title,
        body=body,
        canonical_url=f"https://{source}.example.org/{article_id}",
        published_at=published_at,
        language=language,
        extracted={"title": title, "body": body, "site_name": source.upper()},
        cluster_id=cluster_id or article_id,
        enrichment=enrichment,
    )


def wipe_store_and_index() -> None:
    """Empty store and a fresh index (no delete_by_query on the local node)."""
    from sqlalchemy import text

    from shared.db import get_engine
    from shared.search.client import get_client
    from shared.search.indices import alias_name, ensure_index, managed_indices
    from shared.search.service import forget_indexed_languages

    forget_indexed_languages()  # this process kept those of the index it replaces
    with get_engine().begin() as connection:
        connection.execute(text("TRUNCATE stage_events, articles CASCADE"))
    es = get_client()
    for name in managed_indices(es):
        es.options(ignore_status=404).indices.delete(index=name)
    es.options(ignore_status=404).indices.delete_alias(index="_all", name=f"{alias_name()}*")
    ensure_index(es)


def store_and_index(articles: Sequence[Any]) -> list[str]:
    """Insert the rows with their search documents stored (as the enrich stage leaves them),
    run the index stage on them, refresh; returns the ids indexed."""
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker
    from shared.search.client import get_client
    from shared.search.documents import store_document
    from shared.search.indices import alias_name

    with get_sessionmaker()() as session:
        session.add_all(articles)
        session.flush()  # the store's defaults (created_at) are part of the document
        for article in articles:
            if article.state == "enriched":
                store_document(article)
        session.commit()
        indexed = index_articles(session, [a.id for a in articles])
    get_client().indices.refresh(index=alias_name())
    return indexed


def _day(day: int, month: int = 8) -> datetime:
    return datetime(2025, month, day, 12, 0, tzinfo=UTC)


SUMMIT_BODY = (
    "Russian President Vladimir Putin and US President Donald Trump met in Anchorage, "
    'Alaska, for talks on the war in Ukraine. "We made progress," Trump told reporters. '
    "Putin said the summit was constructive."
)


def corpus() -> list[Any]:
    summit_entities = [
        ("Vladimir Putin", "person", 3),
        ("Donald Trump", "person", 3),
        ("Alaska", "place", 2),
        ("Anchorage", "place", 1),
        ("Ukraine", "place", 1),
    ]
    summit_quotes = [("We made progress", "Donald Trump")]
    articles = [
        # One story, three copies from three sources (near-duplicates share a cluster).
        make_article(
            "summit-wire",
            "Putin and Trump meet in Alaska",
            SUMMIT_BODY,
            source="wire",
            published_at=_day(15),
            cluster_id="summit-wire",
            entities=summit_entities,
            quotes=summit_quotes,
            keywords=["summit", "Ukraine war"],
        ),
        make_article(
            "summit-bbc",
            "Putin and Trump meet in Alaska for Ukraine talks",
            SUMMIT_BODY + " The meeting lasted three hours.",
            source="bbc",
            published_at=_day(16),
            cluster_id="summit-wire",
            entities=summit_entities,
            quotes=summit_quotes,
            keywords=["summit"],
        ),
        make_article(
            "summit-herald",
            "Alaska summit: Putin and Trump talk Ukraine",
            SUMMIT_BODY + " Protesters gathered outside.",
            source="herald",
            published_at=_day(16, 8),
            cluster_id="summit-wire",
            entities=summit_entities,
            quotes=summit_quotes,
        ),
        make_article(
            "rates-boe",
            "Banks raise interest rates again",
            "The Bank of England raised interest rates on Thursday. Lenders in London said "
            "mortgage banks would follow. Governor Andrew Bailey spoke of inflation.",
            source="bbc",
            published_at=_day(1, 7),
            entities=[
                ("Bank of England", "organization", 2),
                ("London", "place", 1),
                ("Andrew Bailey", "person", 1),
            ],
            quotes=[("Inflation is too high", "Andrew Bailey")],
            keywords=["interest rates", "inflation"],
        ),
        make_article(
            "zurich-ubs",
            "Zürich bank reports record profits",
            "UBS, the largest bank in Zürich, reported record profits as interest rates "
            "stayed high. Analysts in Zürich expect the bank to grow.",
            source="wire",
            published_at=_day(3, 7),
            entities=[("UBS", "organization", 2), ("Zürich", "place", 2)],
            keywords=["profits", "fintech"],
        ),
        make_article(
            "berlin-haeuser",
            "Die Bundesregierung kauft Häuser in Berlin",
            "Die Bundesregierung hat neue Häuser in Berlin gekauft. Der Kanzler sagte, "
            "das Haus sei ein gutes Geschäft.",
            language="de",
            source="tagblatt",
            published_at=_day(5, 7),
            entities=[("Berlin", "place", 2), ("Bundesregierung", "organization", 1)],
        ),
        make_article(
            "paris-elections",
            "Les élections en France",
            "Emmanuel Macron a annoncé des élections à Paris. Les électeurs parisiens votent "
            "dimanche.",
            language="fr",
            source="quotidien",
            published_at=_day(6, 7),
            entities=[("Emmanuel Macron", "person", 1), ("Paris", "place", 2)],
            quotes=[("Nous irons voter", "Emmanuel Macron")],
        ),
        make_article(
            "long-report",
            "A very long report on glaciers",
            ("Glaciers retreat every year in the Alps. " * (LONG_BODY_CHARS // 41))
            + "At the very end the needleword appears.",
            source="science",
            published_at=_day(2, 6),
            entities=[("Alps", "place", 10)],
        ),
        make_article(
            "no-date-unknown-language",
            "Harbour notes without a date",
            "Harbour cranes and harbour ships, noted without any publication date.",
            language=None,
            source="notes",
            published_at=None,
        ),
        make_article(
            "bare-enrichment",
            "Harbour pilots strike",
            "Harbour pilots went on strike in the port on Monday.",
            source="wire",
            published_at=_day(20, 5),
            enrichment={},
        ),
    ]
    # Harbour stories for paging: the word in the title for some, in the body for others.
    for i in range(8):
        in_title = i % 2 == 0
        articles.append(
            make_article(
                f"harbour-{i}",
                f"Harbour bridge works, part {i}" if in_title else f"City works, part {i}",
                f"Works continue near the old bridge, part {i}. "
                + ("" if in_title else "The harbour traffic is slow. "),
                source="council",
                published_at=_day(1 + i, 4),
                entities=[("Sydney", "place", 1)],
            )
        )
    return articles


@pytest.fixture(scope="module")
def indexed(stack: dict[str, str]) -> Iterator[dict[str, Any]]:
    wipe_store_and_index()
    articles = corpus()
    ids = store_and_index(articles)
    assert sorted(ids) == sorted(a.id for a in articles)
    yield {a.id: a for a in articles}
    wipe_store_and_index()


@pytest.fixture(scope="module")
def api(indexed: dict[str, Any]) -> Iterator[TestClient]:
    from services.api.app import create_app

    with TestClient(create_app()) as client:
        yield client


def search(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict[str, Any]) -> list[str]:
    return [h["id"] for h in page["hits"]]


# --- full text -------------------------------------------------------------------------


def test_title_matches_rank_above_body_matches(api: TestClient) -> None:
    page = search(api, q="harbour", collapse=False, size=50)
    found = ids(page)
    in_title = {"harbour-0", "harbour-2", "harbour-4", "harbour-6", "bare-enrichment"}
    in_title.add("no-date-unknown-language")
    in_body = {"harbour-1", "harbour-3", "harbour-5", "harbour-7"}
    assert set(found) == in_title | in_body
    assert set(found[: len(in_title)]) == in_title


def test_each_language_is_stemmed_with_its_own_analyzer(api: TestClient) -> None:
    # English stemming: "bank" finds "Banks raise ..." and "banks" finds "bank".
    assert "rates-boe" in ids(search(api, q="bank"))
    assert "zurich-ubs" in ids(search(api, q="banks"))
    # German: "Haus" finds "Häuser"; French: "élection" finds "élections".
    assert ids(search(api, q="Haus")) == ["berlin-haeuser"]
    assert ids(search(api, q="élection")) == ["paris-elections"]
    # Language-neutral folding: "zurich" finds "Zürich"; no analyzer needed for it.
    assert ids(search(api, q="zurich")) == ["zurich-ubs"]
    # An article without a detected language is still found by its words.
    assert "no-date-unknown-language" in ids(search(api, q="cranes"))


def test_phrases_exclusion_and_or(api: TestClient) -> None:
    assert set(ids(search(api, q='"interest rates"'))) == {"rates-boe", "zurich-ubs"}
    assert ids(search(api, q='"rates interest"')) == []
    assert ids(search(api, q="bank -zurich")) == ["rates-boe"]
    assert set(ids(search(api, q="berlin | paris"))) == {"berlin-haeuser", "paris-elections"}
    # Operators outside the safe set are plain text, never an error.
    for q in ["putin~2", "title:putin", "{", '"unbalanced', "a AND (b", "*", "\\"]:
        response = api.get("/v1/search", params={"q": q})
        assert response.status_code == 200, (q, response.text)


def test_entities_and_keywords_are_searched(api: TestClient) -> None:
    assert "rates-boe" in ids(search(api, q="Bailey"))
    assert set(ids(search(api, q="inflation", collapse=False))) == {"rates-boe"}
    assert ids(search(api, q="fintech")) == ["zurich-ubs"]  # only in its keywords


def test_highlights_work_on_a_body_beyond_max_analyzed_offset(
    api: TestClient, indexed: dict[str, Any]
) -> None:
    assert len(indexed["long-report"].body) > LONG_BODY_CHARS
    hit = search(api, q="needleword")["hits"][0]
    assert hit["id"] == "long-report"
    assert any("<em>needleword</em>" in f for f in hit["highlights"]["body"])
    assert "body" not in hit, "hits never carry the whole body"


def test_highlights_mark_stemmed_matches_and_escape_html(api: TestClient) -> None:
    hit = search(api, q="bank", sort="newest", size=50)
    rates = next(h for h in hit["hits"] if h["id"] == "rates-boe")
    assert "<em>Banks</em>" in rates["highlights"]["title"][0]


@pytest.mark.parametrize("collapse", ["true", "false"])
def test_highlight_false_gives_the_same_page_without_highlights(
    api: TestClient, collapse: str
) -> None:
    marked = search(api, q="bank", sort="newest", size=1, collapse=collapse)
    bare = search(api, q="bank", sort="newest", size=1, collapse=collapse, highlight="false")
    assert any(h["highlights"] for h in marked["hits"])
    assert [h["highlights"] for h in bare["hits"]] == [{} for _ in marked["hits"]]
    strip = [{k: v for k, v in h.items() if k != "highlights"} for h in marked["hits"]]
    assert [{k: v for k, v in h.items() if k != "highlights"} for h in bare["hits"]] == strip
    assert bare["facets"] == marked["facets"]
    # The cursor does not depend on highlighting: either page goes on from either cursor.
    assert bare["next_cursor"]
    following = search(
        api, q="bank", sort="newest", size=1, collapse=collapse, cursor=bare["next_cursor"]
    )
    assert following["hits"][0]["highlights"]


# --- filters and sorting ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"person": "Andrew Bailey"}, {"rates-boe"}),
        ({"person": "andrew bailey"}, {"rates-boe"}),  # case-insensitive
        ({"person": ["Andrew Bailey", "Emmanuel Macron"]}, {"rates-boe", "paris-elections"}),
        ({"organization": "UBS"}, {"zurich-ubs"}),
        ({"place": "Zurich"}, {"zurich-ubs"}),  # accent-insensitive
        ({"place": "Berlin"}, {"berlin-haeuser"}),
        ({"source": "tagblatt"}, {"berlin-haeuser"}),
        ({"language": "fr"}, {"paris-elections"}),
        ({"language": "DE"}, {"berlin-haeuser"}),
        ({"speaker": "Andrew Bailey"}, {"rates-boe"}),
        ({"speaker": "Emmanuel Macron"}, {"paris-elections"}),
        (
            {"since": "2025-07-02", "until": "2025-07-05T23:59:59Z"},
            {"zurich-ubs", "berlin-haeuser"},
        ),
        ({"q": "bank", "place": "London"}, {"rates-boe"}),
        ({"q": "bank", "source": "bbc", "organization": "UBS"}, set()),
    ],
)
def test_filters(api: TestClient, params: dict[str, Any], expected: set[str]) -> None:
    assert set(ids(search(api, **params, size=50))) == expected


def test_summit_copies_filtered_by_source_and_person(api: TestClient) -> None:
    page = search(api, person="Vladimir Putin", source="herald")
    assert ids(page) == ["summit-herald"]
    assert page["hits"][0]["copies"] == 0  # the other copies do not match the filter


def test_empty_query_lists_newest_first(api: TestClient) -> None:
    page = search(api, size=50, collapse=False)
    dates = [h["date"] for h in page["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert page["total"] == len(dates)
    # No publication date: dated by when it was received (now), so it comes first.
    assert page["hits"][0]["id"] == "no-date-unknown-language"
    assert page["hits"][0]["published_at"] is None


def test_sort_newest_with_a_query(api: TestClient) -> None:
    page = search(api, q="harbour", sort="newest", collapse=False, size=50)
    dates = [h["date"] for h in page["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert all(h["score"] is None for h in page["hits"])


@pytest.mark.parametrize(
    "params",
    [
        {"size": 0},
        {"size": 101},
        {"sort": "oldest"},
        {"since": "yesterday"},
        {"since": "2025-08-02", "until": "2025-08-01"},
        {"persons": "Putin"},  # unknown parameter: a typo must not silently match all
        {"facet_size": 500},
        {"interval": "decade"},
        {"q": "x" * 1001},
        {"person": ["p"] * 21},
    ],
)
def test_invalid_parameters_get_422_with_reasons(api: TestClient, params: dict[str, Any]) -> None:
    response = api.get("/v1/search", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["reason"] == "invalid_request"
    assert body["detail"]
    assert all("msg" in d for d in body["detail"])


# --- cursor paging ---------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["relevance", "newest"])
@pytest.mark.parametrize("collapse", [True, False])
def test_cursor_pages_through_every_hit_once(api: TestClient, sort: str, collapse: bool) -> None:
    everything = ids(search(api, q="harbour | putin", sort=sort, collapse=collapse, size=100))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": "harbour | putin", "sort": sort, "collapse": collapse}
        page = search(api, **params, size=3, **({"cursor": cursor} if cursor else {}))
        pages += 1
        seen += ids(page)
        assert ("facets" in page) == (cursor is None), "facets come with the first page only"
        cursor = page.get("next_cursor")
        if not cursor:
            break
        assert pages < 20
    assert pages > 2
    assert seen == everything
    assert len(seen) == len(set(seen))


def test_a_story_is_not_repeated_on_a_later_page(api: TestClient) -> None:
    seen = []
    cursor = None
    while True:
        page = search(api, q="putin", size=1, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert len(seen) == 1, seen


def test_bad_cursors_get_400(api: TestClient) -> None:
    import base64

    import orjson

    from shared.cursors import encode_cursor
    from shared.search.query import SearchParams

    first = search(api, q="harbour", size=2)
    cursor = first["next_cursor"]
    assert cursor
    # Unsigned (the old format), forged with a value ES cannot take, or signed but damaged.
    unsigned = base64.urlsafe_b64encode(
        orjson.dumps({"v": 1, "f": SearchParams(q="harbour").fingerprint(), "a": [1.0, 2, "a"]})
    ).decode()
    forged = cursor.split(".")[0] + "." + base64.urlsafe_b64encode(b"0" * 16).decode()
    fingerprint = SearchParams(q="harbour").fingerprint()
    huge = encode_cursor("search", {"f": fingerprint, "a": [1.0, 2**63, "a"]})
    wrong_kind = encode_cursor("failures", ["2024-01-01T00:00:00+00:00", "a"])
    bad_cursors = ["not-a-cursor", "eyJ2IjoxfQ", cursor[:-3], cursor + "x" * 2000, unsigned]
    for bad in [*bad_cursors, forged, huge, wrong_kind]:
        response = api.get("/v1/search", params={"q": "harbour", "cursor": bad})
        assert response.status_code == 400, bad
        assert response.json()["reason"] == "invalid_cursor"
    other_query = api.get("/v1/search", params={"q": "bridge", "cursor": cursor})
    assert other_query.status_code == 400
    assert "another query" in other_query.json()["detail"]
    # The same query with another page size is the same query.
    assert api.get("/v1/search", params={"q": "harbour", "cursor": cursor, "size": 5}).is_success


# --- facets ----------------------------------------------------------------------------


def test_facets(api: TestClient) -> None:
    page = search(api, q="putin | bank | harbour")
    facets = page["facets"]
    persons = {f["value"]: f["count"] for f in facets["persons"]}
    assert persons["Vladimir Putin"] == 3  # facets count articles, copies included
    assert persons["Andrew Bailey"] == 1
    organizations = {f["value"]: f["count"] for f in facets["organizations"]}
    assert organizations == {"Bank of England": 1, "UBS": 1}
    places = {f["value"]: f["count"] for f in facets["places"]}
    assert places["Sydney"] == 8
    assert places["Alaska"] == 3
    assert places["Zürich"] == 1
    sources = {f["value"]: f["count"] for f in facets["sources"]}
    assert sources["council"] == 8
    assert sources["bbc"] == 2
    languages = {f["value"]: f["count"] for f in facets["languages"]}
    assert languages == {"en": page["total"] - 1}  # the undated note has no language
    assert facets["dates"]["interval"] == "month"
    assert sum(b["count"] for b in facets["dates"]["buckets"]) == page["total"]
    assert page["stories"] == page["total"] - 2  # three summit copies, one story


def test_facets_count_a_sample_of_the_matches_when_many_match(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.api.app import create_app
    from shared.settings import get_settings

    sampled_note = "Counted in a sample of the matches."
    exact = search(api, q="harbour")
    assert exact["facets_approximate"] is False
    few_exact = search(api, q="putin alaska")
    # The console, as a browser on this machine calls it.
    console = TestClient(create_app(), base_url="http://127.0.0.1:8000")
    assert sampled_note not in console.get("/ui/search", params={"q": "harbour"}).text
    monkeypatch.setenv("NEWSFLOW_SEARCH_FACET_SAMPLE", "3")
    get_settings.cache_clear()
    try:
        sampled = search(api, q="harbour")
        sampled_newest = search(api, q="harbour", sort="newest", collapse=False)
        few = search(api, q="putin alaska")
        sampled_page = console.get("/ui/search", params={"q": "harbour"}).text
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    # More matches than the sample: the facets count 3 of them, each count a lower bound;
    # hits and totals are those of every match.
    assert exact["total"] > 3
    for page in (sampled, sampled_newest):
        assert page["facets_approximate"] is True
        assert page["total"] == exact["total"]
        assert sum(b["count"] for b in page["facets"]["dates"]["buckets"]) == 3
        assert 1 <= page["stories"] <= 3
        for name in ("persons", "places", "sources", "languages"):
            every = {f["value"]: f["count"] for f in exact["facets"][name]}
            for bucket in page["facets"][name]:
                assert bucket["count"] <= every[bucket["value"]]
    assert ids(sampled) == ids(exact)
    assert sampled_note in sampled_page
    assert f"in {sampled['stories']}+ stor" in " ".join(sampled_page.split())
    # No more matches than the sample: exact, as without one.
    assert few["total"] == 3
    assert few["facets_approximate"] is False
    assert (few["facets"], few["stories"]) == (few_exact["facets"], few_exact["stories"])


def test_facet_size_and_interval(api: TestClient) -> None:
    page = search(api, facet_size=1, since="2025-04-01", until="2025-04-30")
    assert len(page["facets"]["sources"]) == 1
    assert page["facets"]["dates"]["interval"] == "day"
    assert len(page["facets"]["dates"]["buckets"]) == 8  # one harbour article a day
    weekly = search(api, interval="week", since="2025-04-01", until="2025-04-30")
    assert weekly["facets"]["dates"]["interval"] == "week"
    assert "facets" not in search(api, facets=False)


# --- collapsing near-duplicates --------------------------------------------------------


def test_near_duplicates_collapse_into_one_hit_with_copies(api: TestClient) -> None:
    page = search(api, q="Putin Alaska")
    assert page["total"] == 3
    assert len(page["hits"]) == 1
    hit = page["hits"][0]
    assert hit["cluster_id"] == "summit-wire"
    assert hit["copies"] == 2
    others = {c["id"] for c in hit["copies_sample"]}
    assert others == {"summit-wire", "summit-bbc", "summit-herald"} - {hit["id"]}
    assert all(c["source"] for c in hit["copies_sample"])
    expanded = search(api, q="Putin Alaska", collapse=False)
    assert set(ids(expanded)) == {"summit-wire", "summit-bbc", "summit-herald"}


# --- suggest ---------------------------------------------------------------------------


def suggest(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/suggest", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_suggest_entities_from_any_word_of_their_name(api: TestClient) -> None:
    assert {"name": "Vladimir Putin", "type": "person"} in suggest(api, prefix="vlad")["entities"]
    assert {"name": "Vladimir Putin", "type": "person"} in suggest(api, prefix="Put")["entities"]
    assert suggest(api, prefix="zur")["entities"] == [{"name": "Zürich", "type": "place"}]
    by_type = suggest(api, prefix="b", type="organization")["entities"]
    assert {"name": "Bank of England", "type": "organization"} in by_type
    assert all(e["type"] == "organization" for e in by_type)


def test_suggest_titles(api: TestClient) -> None:
    titles = suggest(api, prefix="Zürich b")["titles"]
    assert titles == [{"id": "zurich-ubs", "title": "Zürich bank reports record profits"}]
    # A later word of the title works too, and copies' titles are not repeated.
    summit = suggest(api, prefix="alaska", size=10)["titles"]
    assert {t["title"] for t in summit} >= {"Alaska summit: Putin and Trump talk Ukraine"}
    assert len({t["title"] for t in summit}) == len(summit)


def test_suggest_rejects_bad_parameters(api: TestClient) -> None:
    assert api.get("/v1/suggest").status_code == 422
    assert api.get("/v1/suggest", params={"prefix": ""}).status_code == 422
    assert api.get("/v1/suggest", params={"prefix": "a" * 101}).status_code == 422
    assert api.get("/v1/suggest", params={"prefix": "a", "type": "animal"}).status_code == 422
    assert api.get("/v1/suggest", params={"prefix": "a", "size": 21}).status_code == 422


# --- similar ---------------------------------------------------------------------------


def test_similar_articles_leave_out_the_story_itself(api: TestClient) -> None:
    response = api.get("/v1/articles/rates-boe/similar")
    assert response.status_code == 200, response.text
    similar = ids(response.json())
    assert similar
    assert similar[0] == "zurich-ubs"
    assert "rates-boe" not in similar
    summit = ids(api.get("/v1/articles/summit-bbc/similar").json())
    assert not set(summit) & {"summit-wire", "summit-bbc", "summit-herald"}


def test_similar_of_an_unknown_article_is_404(api: TestClient) -> None:
    response = api.get("/v1/articles/nope/similar")
    assert response.status_code == 404
    assert response.json()["reason"] == "not_found"
    assert api.get("/v1/articles/rates-boe/similar", params={"size": 0}).status_code == 422


# --- failures and docs -----------------------------------------------------------------


def test_elasticsearch_down_gets_503_with_a_reason(indexed: dict[str, Any]) -> None:
    from elasticsearch import Elasticsearch

    from services.api.app import create_app
    from shared.search.client import get_client

    app = create_app()
    # A real, unreachable address: nothing listens on port 1.
    app.dependency_overrides[get_client] = lambda: Elasticsearch(
        "http://127.0.0.1:1", request_timeout=2, max_retries=0
    )
    with TestClient(app) as client:
        for path, params in [
            ("/v1/search", {"q": "putin"}),
            ("/v1/search", {}),
            ("/v1/suggest", {"prefix": "put"}),
            ("/v1/articles/rates-boe/similar", {}),
        ]:
            response = client.get(path, params=params)
            assert response.status_code == 503, (path, response.text)
            body = response.json()
            assert body["reason"] == "search_unavailable"
            assert "unreachable" in body["detail"]
            assert "Traceback" not in response.text


def test_openapi_documents_the_search_endpoints(api: TestClient) -> None:
    assert api.get("/docs").status_code == 200
    spec = api.get("/openapi.json").json()
    assert {"/v1/search", "/v1/suggest", "/v1/articles/{article_id}/similar"} <= set(spec["paths"])
    names = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert {"q", "person", "place", "speaker", "since", "sort", "cursor", "collapse"} <= names
