"""No way in without the right key: scopes on every router of the real app, open health
checks, admin-only metrics, size limits, and keys that never reach the logs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shared.apikeys import hash_api_key
from shared.settings import get_settings
from tests.reliability.chaos import synthetic_article

pytestmark = [pytest.mark.integration]

KEYS = {
    "ingest": "ik-3f9a0c51e7d24b8e-ingest",
    "search": "sk-7be2c0d9a4f1e356-search",
    "admin": "ak-0d5e8f2b6c9a1734-admin",
}


@pytest.fixture
def keyed(
    stack: dict[str, str], clean_store: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app with one key per scope, and small request limits."""
    from services.api.app import create_app

    monkeypatch.setenv(
        "NEWSFLOW_API_KEYS", json.dumps({hash_api_key(k): [s] for s, k in KEYS.items()})
    )
    monkeypatch.setenv("NEWSFLOW_MAX_REQUEST_BYTES", "200000")
    monkeypatch.setenv("NEWSFLOW_MAX_BATCH_ITEMS", "5")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), client=("198.51.100.23", 40000)) as client:
            yield client
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def _as(scope: str | None) -> dict[str, str]:
    return {"X-API-Key": KEYS[scope]} if scope else {}


def _article() -> dict[str, str]:
    return synthetic_article(1, seed=11)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/v1/articles", {"ingest", "admin"}),
        ("POST", "/v1/articles/batch", {"ingest", "admin"}),
        ("GET", "/v1/search", {"search", "admin"}),
        ("GET", "/v1/suggest?prefix=a", {"search", "admin"}),
        ("GET", "/v1/failures", {"admin"}),
        ("GET", "/v1/failures/summary", {"admin"}),
        ("POST", "/v1/failures/replay", {"admin"}),
        ("GET", "/metrics", {"admin"}),
    ],
)
def test_each_route_needs_its_scope(
    keyed: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    bodies = {
        "/v1/articles": _article(),
        "/v1/articles/batch": [_article()],
        "/v1/failures/replay": {"all": True},
    }
    body = bodies.get(path)
    anonymous = keyed.request(method, path, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["reason"] == "api_key_required"
    wrong = keyed.request(method, path, json=body, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    assert wrong.json()["reason"] == "invalid_api_key"
    for scope in KEYS:
        answer = keyed.request(method, path, json=body, headers=_as(scope))
        if scope in allowed:
            assert answer.status_code < 400, (scope, answer.status_code, answer.text[:200])
        else:
            assert answer.status_code == 403, (scope, answer.status_code)
            assert answer.json()["reason"] == "insufficient_scope"


def test_articles_are_readable_with_an_ingest_or_search_key(keyed: TestClient) -> None:
    accepted = keyed.post("/v1/articles", json=_article(), headers=_as("ingest"))
    assert accepted.status_code == 202
    article_id = accepted.json()["id"]
    for path in (f"/v1/articles/{article_id}", f"/v1/articles/{article_id}/history"):
        assert keyed.get(path).status_code == 401
        for scope in ("ingest", "search", "admin"):
            assert keyed.get(path, headers=_as(scope)).status_code == 200, (path, scope)
    bearer = {"Authorization": f"Bearer {KEYS['search']}"}
    assert keyed.get(f"/v1/articles/{article_id}", headers=bearer).status_code == 200


def test_health_checks_need_no_key(keyed: TestClient) -> None:
    assert keyed.get("/healthz").status_code == 200
    ready = keyed.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "elasticsearch": "ok"}


def test_metrics_count_accepted_articles(keyed: TestClient) -> None:
    def accepted() -> float:
        text = keyed.get("/metrics", headers=_as("admin")).text
        line = [x for x in text.splitlines() if x.startswith(ACCEPTED_SERIES)]
        return float(line[0].rsplit(" ", 1)[1]) if line else 0.0

    before = accepted()
    fresh = synthetic_article(7, seed=111)
    assert keyed.post("/v1/articles", json=fresh, headers=_as("ingest")).status_code == 202
    assert accepted() == before + 1


ACCEPTED_SERIES = 'newsflow_articles_accepted_total{outcome="accepted"}'


def test_oversized_bodies_are_refused_before_parsing(keyed: TestClient) -> None:
    huge = b'{"text": "' + b"x" * 300_000 + b'"}'
    json_type = {"content-type": "application/json"}
    # Without a key the body is never read: 401 comes first (issue 9).
    anonymous = keyed.post("/v1/articles", content=huge, headers=json_type)
    assert (anonymous.status_code, anonymous.json()["reason"]) == (401, "api_key_required")
    answer = keyed.post("/v1/articles", content=huge, headers={**json_type, **_as("ingest")})
    assert answer.status_code == 413
    assert answer.json()["reason"] == "request_too_large"
    # A replay selector is small: a big one is refused long before the article limit.
    replay = keyed.post(
        "/v1/failures/replay", content=b" " * 1_500_000, headers={**json_type, **_as("admin")}
    )
    assert (replay.status_code, replay.json()["reason"]) == (413, "request_too_large")


def test_batches_above_the_item_limit_are_refused(keyed: TestClient) -> None:
    items = [synthetic_article(i, seed=12) for i in range(6)]
    answer = keyed.post("/v1/articles/batch", json=items, headers=_as("ingest"))
    assert answer.status_code == 413
    assert answer.json()["reason"] == "too_many_items"


def test_keys_never_reach_the_logs(keyed: TestClient, capfd: pytest.CaptureFixture[str]) -> None:
    keyed.post("/v1/articles", json=_article(), headers=_as("ingest"))
    keyed.get("/v1/search", params={"q": "plan"}, headers=_as("search"))
    keyed.get("/v1/failures", headers={"Authorization": f"Bearer {KEYS['admin']}"})
    keyed.get("/v1/failures", headers={"X-API-Key": KEYS["search"]})
    keyed.get("/v1/failures", headers={"X-API-Key": "a-wrong-key-that-must-not-be-logged"})
    out, err = capfd.readouterr()
    for secret in [*KEYS.values(), "a-wrong-key-that-must-not-be-logged"]:
        assert secret not in out + err


def test_without_keys_only_local_clients_are_served(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.api.app import create_app

    monkeypatch.setenv("NEWSFLOW_API_KEYS", "{}")
    get_settings.cache_clear()
    try:
        remote = TestClient(create_app(), client=("198.51.100.23", 40000))
        refused = remote.get("/v1/search")
        assert refused.status_code == 403
        assert refused.json()["reason"] == "auth_not_configured"
        local = TestClient(create_app(), client=("127.0.0.1", 40000))
        assert local.get("/v1/failures/summary").status_code == 200
        monkeypatch.setenv("NEWSFLOW_API_HOST", "0.0.0.0")
        get_settings.cache_clear()
        with pytest.raises(RuntimeError, match="refusing to serve"):
            create_app()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
