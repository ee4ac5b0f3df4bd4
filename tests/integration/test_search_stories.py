"""Collapsed search over many stories with copies, and the languages a search reads.

A first page of stories is one Elasticsearch request (`collapse` with `inner_hits`); later
pages go on from its cursor with the two-pass algorithm (ranking, then the stories' heads).
These tests hold the first page to what the two-pass algorithm makes of it, and paging to
every story exactly once, in order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_search_api import make_article, store_and_index, wipe_store_and_index

pytestmark = pytest.mark.integration

_WORDS = ["harbour", "budget", "election", "storm", "market", "court", "strike", "vaccine"]


def story_corpus() -> list[Any]:
    """40 stories of 1 to 5 copies; words repeated so scores differ within and across
    stories; some copies share a date and a text (ties broken by article id)."""
    rng = random.Random(16)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    articles: list[Any] = []
    for story in range(40):
        words = rng.sample(_WORDS, 3)
        day = start + timedelta(days=rng.randrange(300))
        for copy in range(rng.randint(1, 5)):
            body = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            body += " and other news of the day."
            same = copy > 0 and rng.random() < 0.3  # an exact copy: a tie on every sort key
            articles.append(
                make_article(
                    f"s{story:02d}-c{copy}",
                    f"Story {story}: {words[0]} news",
                    articles[-1].body if same else body,
                    source=rng.choice(["wire", "bbc", "herald", "times"]),
                    published_at=day if same or rng.random() < 0.5 else day + timedelta(hours=copy),
                    cluster_id=f"s{story:02d}-c0",
                )
            )
    return articles


@pytest.fixture(scope="module")
def stories(stack: dict[str, str]) -> Iterator[list[Any]]:
    wipe_store_and_index()
    articles = story_corpus()
    store_and_index(articles)
    yield articles
    wipe_store_and_index()


def _two_pass_page(params: Any, after: list[Any] | None) -> dict[str, Any]:
    """A page as the two-pass algorithm makes it (what every page was before the first
    became one request)."""
    from shared.search import service
    from shared.search.client import get_client

    searcher = service._Searcher(get_client())
    languages = service._searched_languages(searcher, params)
    return service._collapsed_page(searcher, params, after, params.fingerprint(), languages)


def _page_through(
    fetch: Any, size: int, **query: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every hit of every page, and the first page."""
    from shared.search.query import SearchParams, decode_cursor

    hits: list[dict[str, Any]] = []
    first: dict[str, Any] = {}
    cursor = None
    for _ in range(100):
        params = SearchParams(**query, size=size, cursor=cursor, facets=False)
        page = fetch(params, decode_cursor(params))
        first = first or page
        hits += page["hits"]
        cursor = page.get("next_cursor")
        if not cursor:
            return hits, first
    raise AssertionError("paging did not end")


def _shown(hits: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (h["id"], h["copies"], [c["id"] for c in h["copies_sample"]], h.get("highlights"))
        for h in hits
    ]


QUERIES = [
    {"q": "harbour"},
    {"q": "harbour OR budget OR storm"},
    {"q": "storm", "sort": "newest"},
    {"q": "", "sort": "newest"},
    {"q": "market", "source": ["wire", "bbc"]},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: str(q))
@pytest.mark.parametrize("size", [1, 3, 7, 100])
def test_paging_shows_each_story_once_in_the_order_of_the_two_pass_algorithm(
    stories: list[Any], query: dict[str, Any], size: int
) -> None:
    from shared.search.client import get_client
    from shared.search.service import search_articles

    es = get_client()
    now, first = _page_through(lambda params, _: search_articles(es, params), size, **query)
    before, old_first = _page_through(_two_pass_page, size, **query)
    assert _shown(now) == _shown(before)
    assert _shown(first["hits"]) == _shown(old_first["hits"])
    assert (first["total"], first["total_relation"]) == (
        old_first["total"],
        old_first["total_relation"],
    )
    # Each matching story once, with all its matching copies counted.
    every, _ = _page_through(
        lambda params, _: search_articles(es, params), 100, **query, collapse=False
    )
    clusters: dict[str, int] = {}
    for hit in every:
        clusters[hit["cluster_id"]] = clusters.get(hit["cluster_id"], 0) + 1
    assert sorted(h["cluster_id"] for h in now) == sorted(clusters)
    assert all(h["copies"] == clusters[h["cluster_id"]] - 1 for h in now)
    assert len(now) > 1


def _params(query: dict[str, Any], **more: Any) -> Any:
    from shared.search.query import SearchParams

    return SearchParams(**query, **more)


def test_a_first_page_has_a_cursor_only_when_more_stories_follow(stories: list[Any]) -> None:
    from shared.search.client import get_client
    from shared.search.service import search_articles

    es = get_client()
    every = search_articles(es, _params({"q": "harbour"}, size=100, facets=False))
    count = len(every["hits"])
    assert every["next_cursor"] is None
    assert search_articles(es, _params({"q": "harbour"}, size=count))["next_cursor"] is None
    last = search_articles(es, _params({"q": "harbour"}, size=count - 1))
    following = search_articles(
        es, _params({"q": "harbour"}, size=count - 1, cursor=last["next_cursor"])
    )
    assert [h["id"] for h in following["hits"]] == [every["hits"][-1]["id"]]


def test_a_language_new_to_the_index_is_searched_once_a_page_shows_it(
    stories: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.search import service
    from shared.search.client import get_client
    from shared.search.service import search_articles

    es = get_client()

    def found(q: str) -> list[str]:
        return [h["id"] for h in search_articles(es, _params({"q": q}, facets=False))["hits"]]

    service.forget_indexed_languages()
    assert found("harbour")  # the process now keeps the languages: English only
    store_and_index(
        [
            make_article(
                "berlin-de",
                "Neue Häuser am Hafen",
                "Die Stadt hat neue Häuser am Hafen gekauft.",
                language="de",
                published_at=datetime(2024, 5, 1, tzinfo=UTC),
            )
        ]
    )
    # Kept languages: the German article matches on the language-neutral fields only.
    assert found("Haus") == []
    assert found("häuser") == ["berlin-de"]
    # That page showed German: the next search reads the German fields (stemmed) too.
    assert found("Haus") == ["berlin-de"]

    # Once the time to keep them has passed, a new language is read without a page showing it.
    store_and_index(
        [
            make_article(
                "paris-fr",
                "Les maisons de Paris",
                "Les maisons anciennes de Paris sont à vendre.",
                language="fr",
                published_at=datetime(2024, 5, 2, tzinfo=UTC),
            )
        ]
    )
    assert found("maison") == []
    later = service._clock() + service.LANGUAGES_TTL_S + 1
    monkeypatch.setattr(service, "_clock", lambda: later)
    assert found("maison") == ["paris-fr"]
