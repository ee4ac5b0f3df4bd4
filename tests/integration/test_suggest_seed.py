"""Suggestions over the seed article run through the real ingest, enrich and index stages:
a name mentioned once is as suggestible as the main ones, and any word of the title counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_search_api import wipe_store_and_index
from tests.reliability.chaos import submit
from tests.support import FIXTURES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack: dict[str, str]) -> Iterator[TestClient]:
    from services.api.app import create_app
    from services.enrich.stage import enrich_articles
    from services.indexer.stage import index_articles
    from services.ingest.stage import ingest_articles
    from shared.db import session_scope
    from shared.search.client import get_client

    wipe_store_and_index()
    text = (FIXTURES / "alaska-summit.txt").read_text()
    ids = submit([{"text": text, "source": "seed", "url": "https://seed.example.org/alaska"}])
    with session_scope() as session:
        ready = ingest_articles(session, ids)
    with session_scope() as session:
        ready = enrich_articles(session, ready)
    with session_scope() as session:
        assert index_articles(session, ready) == ids
    get_client().indices.refresh(index=stack["alias"])
    with TestClient(create_app()) as client:
        yield client
    wipe_store_and_index()


def _suggest(api: TestClient, prefix: str, **params: str) -> dict[str, list[dict[str, str]]]:
    response = api.get("/v1/suggest", params={"prefix": prefix, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("prefix", ["Zele", "Volo", "zelensky", "volodymyr z"])
def test_a_name_mentioned_once_is_suggested_from_any_of_its_words(
    api: TestClient, prefix: str
) -> None:
    assert {"name": "Volodymyr Zelensky", "type": "person"} in _suggest(api, prefix)["entities"]


def test_any_word_of_the_title_completes_it(api: TestClient) -> None:
    for prefix in ("Alas", "alaska: talks", "turning po", "Ukrai"):
        titles = [t["title"] for t in _suggest(api, prefix)["titles"]]
        assert len(titles) == 1, prefix
        assert titles[0].startswith("Trump and Putin Meet in Alaska"), prefix


def test_entities_rank_by_mentions(api: TestClient) -> None:
    # Putin is mentioned far more often than any other "P" person or place of the article.
    first = _suggest(api, "p", type="person")["entities"][0]
    assert first == {"name": "Vladimir Putin", "type": "person"}
    places = [e["name"] for e in _suggest(api, "a", type="place")["entities"]]
    assert places[0] == "Alaska", places
