"""Collapsed search over many stories with copies, and the languages a search reads."""

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


def _page_through(size: int, **query: Any) -> list[dict[str, Any]]:
    """Every hit of every page."""
    from shared.search.client import get_client
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    hits: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        page = search_articles(get_client(), SearchParams(**query, size=size, cursor=cursor))
        hits += page["hits"]
        cursor = page.get("next_cursor")
        if not cursor:
            return hits
    raise AssertionError("paging did not end")


QUERIES = [
    {"q": "harbour"},
    {"q": "harbour OR budget OR storm"},
    {"q": "storm", "sort": "newest"},
    {"q": "", "sort": "newest"},
    {"q": "market", "source": ["wire", "bbc"]},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: str(q))
@pytest.mark.parametrize("size", [1, 3, 7, 100])
def test_paging_shows_each_story_once_at_its_best_hit_with_its_copies(
    stories: list[Any], query: dict[str, Any], size: int
) -> None:
    stories_shown = _page_through(size, **query)
    every = _page_through(100, **query, collapse=False)
    # A story's place and hit are those of its best matching article, under the same sort.
    best: dict[str, str] = {}
    copies: dict[str, int] = {}
    for hit in every:
        best.setdefault(hit["cluster_id"], hit["id"])
        copies[hit["cluster_id"]] = copies.get(hit["cluster_id"], 0) + 1
    assert [(h["cluster_id"], h["id"]) for h in stories_shown] == list(best.items())
    assert [h["copies"] for h in stories_shown] == [copies[c] - 1 for c in best]
    for hit in stories_shown:
        sample = [c["id"] for c in hit["copies_sample"]]
        others = [h["id"] for h in every if h["cluster_id"] == hit["cluster_id"]][1:]
        assert sample == others[:3]
    assert len(best) > 3


def test_a_language_new_to_the_index_is_searched_once_a_page_shows_it(
    stories: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.search import service
    from shared.search.client import get_client
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    es = get_client()

    def found(q: str) -> list[str]:
        return [h["id"] for h in search_articles(es, SearchParams(q=q, facets=False))["hits"]]

    def index(article_id: str, language: str, title: str, body: str) -> None:
        day = datetime(2024, 5, 1, tzinfo=UTC)
        store_and_index(
            [make_article(article_id, title, body, language=language, published_at=day)]
        )

    service.forget_indexed_languages()
    assert found("harbour")  # the process now keeps the languages: English only
    index("berlin-de", "de", "Neue Häuser am Hafen", "Die Stadt hat neue Häuser am Hafen gekauft.")
    # Kept languages: the German article matches on the language-neutral fields only.
    assert found("Haus") == []
    assert found("häuser") == ["berlin-de"]
    # That page showed German: the next search reads the German fields (stemmed) too.
    assert found("Haus") == ["berlin-de"]

    # Once the time to keep them has passed, a new language is read without a page showing it.
    index("paris-fr", "fr", "Les maisons de Paris", "Les maisons anciennes de Paris sont à vendre.")
    assert found("maison") == []
    later = service._clock() + service.LANGUAGES_TTL_S + 1
    monkeypatch.setattr(service, "_clock", lambda: later)
    assert found("maison") == ["paris-fr"]


@pytest.mark.parametrize("query", QUERIES[:3], ids=lambda q: str(q))
def test_a_first_page_has_a_cursor_exactly_when_stories_are_left(
    stories: list[Any], query: dict[str, Any]
) -> None:
    from shared.search.client import get_client
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    def first_page(size: int) -> dict[str, Any]:
        return search_articles(get_client(), SearchParams(**query, size=size, facets=False))

    every = list(dict.fromkeys(hit["cluster_id"] for hit in _page_through(100, **query)))
    assert first_page(len(every))["next_cursor"] is None
    assert first_page(len(every) + 1)["next_cursor"] is None
    short = first_page(len(every) - 1)
    assert short["next_cursor"]
    rest = search_articles(
        get_client(), SearchParams(**query, size=10, facets=False, cursor=short["next_cursor"])
    )
    assert [h["cluster_id"] for h in rest["hits"]] == [
        c for c in every if c not in {h["cluster_id"] for h in short["hits"]}
    ]
    assert rest["next_cursor"] is None
