"""POST /v1/articles, POST /v1/articles/batch and GET /v1/articles/{id} on the real store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]

DOORS = FIXTURES / "ingest" / "doors"
DEDUP = FIXTURES / "ingest" / "dedup"
STORY = (DOORS / "story.txt").read_text()
JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}


def stored_articles() -> int:
    from shared.db import session_scope
    from shared.models import Article

    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


# --- one article ---------------------------------------------------------------------------------


def test_one_article_accepted_unchanged_revised_and_duplicate(api: TestClient) -> None:
    url = "https://valley-herald.example.org/news/cycle-lane"
    accepted = api.post("/v1/articles", json={"text": STORY, "url": url})
    assert accepted.status_code == 202
    body = accepted.json()
    assert body == {
        "id": body["id"],
        "status": "accepted",
        "revision": 1,
        "reason": None,
        "detail": None,
    }
    again = api.post("/v1/articles", json={"text": STORY, "url": url + "?utm_source=x"})
    assert (again.status_code, again.json()["status"]) == (200, "unchanged")
    assert again.json()["id"] == body["id"]

    revised = api.post("/v1/articles", json={"text": STORY + "\nUpdated at noon.", "url": url})
    assert revised.status_code == 202
    assert (revised.json()["status"], revised.json()["revision"]) == ("revised", 2)

    # The original now has another text: the old one under another URL is a new article.
    other = api.post("/v1/articles", json={"text": STORY, "url": "https://mirror.example.net/1"})
    assert (other.status_code, other.json()["status"]) == (202, "accepted")

    first = api.post("/v1/articles", json={"html": (DOORS / "page.html").read_text()})
    second = api.post(
        "/v1/articles",
        json={"html": (DOORS / "page.html").read_text(), "url": "https://mirror.example.net/2"},
    )
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert second.json()["duplicate_of"] == first.json()["id"]
    view = api.get(f"/v1/articles/{second.json()['id']}").json()
    assert view["state"] == "duplicate"
    assert view["duplicate"] == {"of": first.json()["id"], "kind": "exact", "similarity": 1.0}


@pytest.mark.parametrize(
    ("content", "headers", "status", "reason"),
    [
        (b"", JSON, 400, "empty_request"),
        (b'{"text": "caf\xe9 au lait"}', JSON, 400, "invalid_utf8"),
        (b'{"text": "unterminated', JSON, 400, "malformed_json"),
        (b'{"text": "a"} trailing', JSON, 400, "malformed_json"),
        (b"text=hello", {"content-type": "application/x-www-form-urlencoded"}, 415, None),
        (b"<p>hello</p>", {"content-type": "text/html"}, 415, "unsupported_media_type"),
        (b'["not", "an", "object"]', JSON, 422, "not_an_object"),
        (b'{"title": "no content"}', JSON, 422, "content_required"),
        (b'{"text": 12345}', JSON, 422, "wrong_type"),
        (b'{"text": "a", "published_at": "soon"}', JSON, 422, "invalid_date"),
        (b'{"text": "a", "url": "file:///etc/passwd"}', JSON, 422, "invalid_url"),
        (b'{"text": "a", "author": "me"}', JSON, 422, "unknown_field"),
        (b'{"text": "   \\n\\t  "}', JSON, 422, "empty_body"),
        (b'{"text": "\\u0000\\u0001\\u0002binary"}', JSON, 422, "binary_content"),
        (b'{"text": "a", "title": "\\ud800"}', JSON, 400, "malformed_json"),  # lone surrogate
    ],
)
def test_bad_single_article_gets_a_4xx_with_a_reason(
    api: TestClient, content: bytes, headers: dict[str, str], status: int, reason: str | None
) -> None:
    response = api.post("/v1/articles", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["reason"] == (reason or "unsupported_media_type")
    assert response.json()["detail"]
    assert stored_articles() == 0


def test_size_limits(api: TestClient, settings_env: Callable[..., None]) -> None:
    settings_env(max_article_bytes=2000, max_request_bytes=10_000)
    too_big = api.post("/v1/articles", json={"text": "word " * 500})
    assert (too_big.status_code, too_big.json()["reason"]) == (413, "article_too_large")

    declared = api.post("/v1/articles", json={"text": "word " * 3000})
    assert (declared.status_code, declared.json()["reason"]) == (413, "request_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"text": "'
        for _ in range(100):
            yield b"word " * 50
        yield b'"}'

    chunked = api.post("/v1/articles", content=chunks(), headers=JSON)
    assert (chunked.status_code, chunked.json()["reason"]) == (413, "request_too_large")
    assert stored_articles() == 0


# --- batches -------------------------------------------------------------------------------------


def test_batch_as_json_array_answers_per_item(api: TestClient) -> None:
    response = api.post(
        "/v1/articles/batch",
        json=[
            {"text": STORY, "source": "herald"},
            {"text": 42},
            {"html": (DOORS / "page.html").read_text(), "url": "https://vh.example.org/lib"},
            "not an object",
            {"text": "   "},
            {"text": STORY, "source": "herald"},
            {"html": (DOORS / "page.html").read_text(), "url": "https://mirror.example.net/lib"},
        ],
    )
    assert response.status_code == 202
    items = response.json()["items"]
    assert [i["index"] for i in items] == list(range(7))
    assert [(i["status"], i["reason"]) for i in items] == [
        ("accepted", None),
        ("rejected", "wrong_type"),
        ("accepted", None),
        ("rejected", "not_an_object"),
        ("rejected", "empty_body"),
        ("unchanged", None),
        ("duplicate", None),
    ]
    assert items[6]["duplicate_of"] == items[2]["id"]
    assert response.json()["counts"] == {
        "accepted": 2,
        "rejected": 3,
        "unchanged": 1,
        "duplicate": 1,
    }
    assert stored_articles() == 3  # committed before the answer
    for item in items:
        if item["id"]:
            assert api.get(f"/v1/articles/{item['id']}").status_code == 200


def test_batch_as_ndjson_rejects_bad_lines_alone(api: TestClient) -> None:
    lines = [
        b'{"text": "First story: the ferry timetable is cut from next month.", "source": "s"}',
        b"",  # blank lines are skipped, and still counted in the index
        b'{"text": "broken',
        b'{"text": "caf\xe9"}',
        b"[1, 2]",
        b'{"html": "<p>The bridge over the river closes for two days of repairs.</p>"}\r',
    ]
    response = api.post("/v1/articles/batch", content=b"\n".join(lines) + b"\n", headers=NDJSON)
    assert response.status_code == 202
    items = response.json()["items"]
    assert [(i["index"], i["status"], i["reason"]) for i in items] == [
        (0, "accepted", None),
        (2, "rejected", "malformed_json"),
        (3, "rejected", "invalid_utf8"),
        (4, "rejected", "not_an_object"),
        (5, "accepted", None),
    ]
    # The file-level samples of the repository are NDJSON too.
    sample = (DOORS / "batch.jsonl").read_bytes()
    response = api.post("/v1/articles/batch", content=sample, headers=NDJSON)
    assert [i["status"] for i in response.json()["items"]] == [
        "accepted",
        "rejected",
        "rejected",
        "accepted",
    ]


@pytest.mark.parametrize(
    ("content", "headers", "status", "reason"),
    [
        (b'{"text": "one object is not a batch"}', JSON, 400, "expected_array"),
        (b"[]", JSON, 400, "empty_batch"),
        (b"\n\n", NDJSON, 400, "empty_batch"),
        (b"", JSON, 400, "empty_request"),
        (b"[{", JSON, 400, "malformed_json"),
        (b'[{"text": "caf\xe9"}]', JSON, 400, "invalid_utf8"),
        (b"a,b\n1,2", {"content-type": "text/csv"}, 415, "unsupported_media_type"),
    ],
)
def test_bad_batch_envelope_is_refused_whole(
    api: TestClient, content: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    response = api.post("/v1/articles/batch", content=content, headers=headers)
    assert (response.status_code, response.json()["reason"]) == (status, reason)
    assert stored_articles() == 0


def test_batch_item_limit(api: TestClient, settings_env: Callable[..., None]) -> None:
    settings_env(max_batch_items=3)
    items = [{"text": f"Story number {n} about the harbour."} for n in range(4)]
    response = api.post("/v1/articles/batch", json=items)
    assert (response.status_code, response.json()["reason"]) == (413, "too_many_items")
    ndjson = b"\n".join(b'{"text": "a story"}' for _ in range(4))
    response = api.post("/v1/articles/batch", content=ndjson, headers=NDJSON)
    assert (response.status_code, response.json()["reason"]) == (413, "too_many_items")
    assert api.post("/v1/articles/batch", json=items[:3]).status_code == 202


# --- reading -------------------------------------------------------------------------------------


def test_read_article_says_which_article_it_copies(api: TestClient) -> None:
    from services.ingest.stage import ingest_articles
    from shared.db import session_scope

    original = api.post(
        "/v1/articles",
        json={"html": (DEDUP / "lighthouse-page.html").read_text(), "url": "https://g.example/a"},
    ).json()["id"]
    edited = api.post("/v1/articles", json={"text": (DEDUP / "lighthouse-edited.txt").read_text()})
    edited_id = edited.json()["id"]
    with session_scope() as session:
        ingest_articles(session, [original, edited_id])
    view = api.get(f"/v1/articles/{edited_id}").json()
    assert view["state"] == "ingested"  # a near copy goes on to be indexed
    assert view["duplicate_of"] == original
    assert view["cluster_id"] == original
    assert view["duplicate"]["kind"] == "near"
    assert 0.6 <= view["duplicate"]["similarity"] < 1.0
    head = api.get(f"/v1/articles/{original}").json()
    assert (head["duplicate"], head["cluster_id"]) == (None, original)


def test_unknown_article_is_404_with_a_reason(api: TestClient) -> None:
    response = api.get("/v1/articles/0123456789abcdef0123456789abcdef")
    assert (response.status_code, response.json()["reason"]) == (404, "not_found")
