"""The whole pipeline: API -> Redis -> real Celery workers -> PostgreSQL -> Elasticsearch."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import FIXTURES, SEED, WorkerPool, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _payloads() -> list[dict[str, str]]:
    return [
        {"text": SEED.read_text(), "source": "seed"},
        {"text": (FIXTURES / "e2e" / "harbour-bridge.txt").read_text(), "source": "fixture"},
        {
            "html": (FIXTURES / "e2e" / "glacier-study.html").read_text(),
            "url": "https://meridian.example.org/science/patagonia-glaciers?utm_source=feed",
            "source": "meridian",
        },
    ]


def _states(api: TestClient, ids: list[str]) -> dict[str, str]:
    return {i: api.get(f"/v1/articles/{i}").json()["state"] for i in ids}


def _documents_per_article(alias: str) -> dict[str, int]:
    from shared.search.client import get_client

    es = get_client()
    es.indices.refresh(index=alias)
    response = es.search(
        index=alias, size=0, aggs={"ids": {"terms": {"field": "article_id", "size": 1000}}}
    )
    return {b["key"]: b["doc_count"] for b in response["aggregations"]["ids"]["buckets"]}


@pytest.mark.usefixtures("clean_store")
def test_articles_flow_through_real_workers_and_are_found_once(
    api: TestClient, workers: WorkerPool, stack: dict[str, str]
) -> None:
    workers.start_all()
    responses = [api.post("/v1/articles", json=p) for p in _payloads()]
    assert [r.status_code for r in responses] == [202, 202, 202]
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == 3

    wait_until(
        lambda: set(_states(api, ids).values()) == {"indexed"},
        timeout=180,
        message=f"articles not indexed: {_states(api, ids)}",
    )

    # Indexed means written; it becomes searchable at the next refresh (1s). The articles
    # may have come in separate bulk requests, so wait for all three to be visible.
    wait_until(
        lambda: api.get("/v1/search", params={"q": "", "size": 10}).json()["total"] == 3,
        timeout=15,
    )
    hits = api.get("/v1/search", params={"q": "Putin Alaska"}).json()["hits"]
    assert hits[0]["id"] == ids[0]
    # The same names the enrich stage finds in the seed (tests/unit/test_enrich_seed.py).
    assert sorted(hits[0]["persons"]) == ["Donald Trump", "Vladimir Putin", "Volodymyr Zelensky"]
    assert {"Alaska", "Anchorage"} <= set(hits[0]["places"])
    assert hits[0]["highlights"]["body"], "a search hit carries body highlights"

    glacier = api.get("/v1/search", params={"q": "Patagonia glaciers"}).json()["hits"]
    assert [h["id"] for h in glacier] == [ids[2]]

    # Posting the same articles again is a no-op: no new revision, no second document.
    again = [api.post("/v1/articles", json=p) for p in _payloads()]
    assert [r.json()["status"] for r in again] == ["unchanged"] * 3
    assert _documents_per_article(stack["alias"]) == dict.fromkeys(ids, 1)


@pytest.mark.usefixtures("clean_store")
def test_a_revised_article_replaces_its_document(
    api: TestClient, workers: WorkerPool, stack: dict[str, str]
) -> None:
    workers.start_all()
    text = (FIXTURES / "e2e" / "harbour-bridge.txt").read_text()
    first = api.post("/v1/articles", json={"text": text, "external_id": "hb-1", "source": "t"})
    article_id = first.json()["id"]
    wait_until(lambda: _states(api, [article_id])[article_id] == "indexed", timeout=180)

    revised = text.replace("40 million", "45 million")
    second = api.post("/v1/articles", json={"text": revised, "external_id": "hb-1", "source": "t"})
    assert second.json() | {"detail": None} == {
        "id": article_id,
        "status": "revised",
        "revision": 2,
        "reason": None,
        "detail": None,
    }
    wait_until(lambda: _states(api, [article_id])[article_id] == "indexed", timeout=180)

    from shared.search.client import get_client

    document = get_client().get(index=stack["alias"], id=article_id)
    assert document["_version"] == 2
    assert "45 million" in document["_source"]["body"]
    assert _documents_per_article(stack["alias"]) == {article_id: 1}
