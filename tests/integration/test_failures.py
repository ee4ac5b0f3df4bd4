"""Failures are visible and replayable: GET /v1/failures, POST /v1/failures/replay, an
article's history, and `newsflow failures list|replay`, against the real store and Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from typer.testing import CliRunner

from tests.reliability.chaos import submit, synthetic_article
from tests.support import NAMESPACE

pytestmark = [pytest.mark.integration]

T0 = datetime(2030, 1, 1, tzinfo=UTC)
# (stage that failed, reason, hours after T0)
FAILURES = [
    ("ingest", "no_article_text", 0),
    ("enrich", "stage_error", 1),
    ("enrich", "attempts_exhausted", 2),
    ("index", "index_rejected", 3),
]
INPUT_STATE = {"ingest": "received", "enrich": "ingested", "index": "enriched"}


@pytest.fixture
def failed(clean_store: None) -> list[str]:
    """Six stored articles, four of them failed at known stages, reasons and times."""
    from shared.db import session_scope
    from shared.models import Article
    from shared.pipeline import mark_failed
    from shared.states import Stage

    ids = submit([synthetic_article(i, seed=31) for i in range(6)])
    with session_scope() as session:
        for article_id, (stage, reason, hours) in zip(ids, FAILURES, strict=False):
            article = session.get(Article, article_id)
            assert article is not None
            article.state = INPUT_STATE[stage]
            mark_failed(session, article, Stage(stage), reason=reason, message=f"{reason} here")
            article.state_changed_at = T0 + timedelta(hours=hours)
    return ids


def _queue_length(stage: str) -> int:
    from shared.settings import get_settings

    return int(Redis.from_url(get_settings().redis_url).llen(f"{NAMESPACE}.{stage}"))


def test_failures_are_listed_newest_first_with_stage_reason_and_error(
    api: TestClient, failed: list[str]
) -> None:
    body = api.get("/v1/failures").json()
    assert body["total"] == 4
    assert [item["id"] for item in body["items"]] == failed[3::-1]
    newest = body["items"][0]
    assert newest["stage"] == "index"
    assert newest["reason"] == "index_rejected"
    assert newest["error"] == "index_rejected here"
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "enrich"}, [2, 1]),
        ({"reason": "index_rejected"}, [3]),
        ({"since": "2030-01-01T01:30:00Z"}, [3, 2]),
        ({"until": "2030-01-01T01:00:00Z"}, [1, 0]),
        ({"stage": "enrich", "since": "2030-01-01T01:30:00Z"}, [2]),
        ({"reason": "nothing_like_this"}, []),
    ],
)
def test_failures_can_be_filtered(
    api: TestClient, failed: list[str], params: dict[str, str], expected: list[int]
) -> None:
    body = api.get("/v1/failures", params=params).json()
    assert [item["id"] for item in body["items"]] == [failed[i] for i in expected]
    assert body["total"] == len(expected)


def test_failures_are_paged_by_cursor(api: TestClient, failed: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/v1/failures", params=params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == failed[3::-1]
    bad = api.get("/v1/failures", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["reason"] == "invalid_cursor"
    assert api.get("/v1/failures", params={"stage": "nowhere"}).status_code == 422


def test_summary_counts_failures_per_stage_and_reason(api: TestClient, failed: list[str]) -> None:
    counts = api.get("/v1/failures/summary").json()["counts"]
    assert sorted((c["stage"], c["reason"], c["count"]) for c in counts) == sorted(
        (stage, reason, 1) for stage, reason, _ in FAILURES
    )


def test_replay_of_one_article_reruns_its_failed_stage(api: TestClient, failed: list[str]) -> None:
    before = _queue_length("enrich")
    answer = api.post("/v1/failures/replay", json={"ids": [failed[1]]})
    assert answer.status_code == 200
    assert answer.json() == {"replayed": 1, "by_stage": {"enrich": 1}, "ids": [failed[1]]}
    article = api.get(f"/v1/articles/{failed[1]}").json()
    assert article["state"] == "ingested"
    assert _queue_length("enrich") == before + 1
    history = api.get(f"/v1/articles/{failed[1]}/history").json()
    assert [e["outcome"] for e in history["events"]] == ["failed", "replay"]
    assert history["events"][0]["stage"] == "enrich"
    assert "stage_error" in history["events"][0]["detail"]
    # Replaying it again does nothing: it is not failed any more.
    assert api.post("/v1/failures/replay", json={"ids": [failed[1]]}).json()["replayed"] == 0


def test_replay_by_filter_and_all(api: TestClient, failed: list[str]) -> None:
    by_stage = api.post("/v1/failures/replay", json={"stage": "enrich"}).json()
    assert by_stage["replayed"] == 2
    rest = api.post("/v1/failures/replay", json={"all": True}).json()
    assert rest["by_stage"] == {"ingest": 1, "index": 1}
    assert api.get("/v1/failures").json()["total"] == 0
    states = {i: api.get(f"/v1/articles/{i}").json()["state"] for i in failed[:4]}
    assert states == {
        failed[0]: "received",
        failed[1]: "ingested",
        failed[2]: "ingested",
        failed[3]: "enriched",
    }


def test_replay_needs_a_selector(api: TestClient, failed: list[str]) -> None:
    answer = api.post("/v1/failures/replay", json={})
    assert answer.status_code == 422
    assert answer.json()["reason"] == "invalid_request"
    assert api.post("/v1/failures/replay", json={"ids": ["../x"]}).status_code == 422
    assert api.get("/v1/failures").json()["total"] == 4


def test_history_of_an_unknown_article_is_404(api: TestClient, stack: dict[str, str]) -> None:
    answer = api.get(f"/v1/articles/{'0' * 32}/history")
    assert answer.status_code == 404
    assert answer.json()["reason"] == "not_found"


def test_cli_lists_and_replays_failures(failed: list[str]) -> None:
    from services.cli.main import app

    runner = CliRunner()
    listed = runner.invoke(app, ["failures", "list", "--json", "--stage", "enrich"])
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    assert [item["id"] for item in body["items"]] == [failed[2], failed[1]]

    table = runner.invoke(
        app, ["failures", "list", "--reason", "index_rejected"], env={"COLUMNS": "80"}
    )
    assert table.exit_code == 0, table.output
    assert failed[3] in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80, table.stdout

    dated = runner.invoke(app, ["failures", "list", "--json", "--since", "2030-01-01T02:30:00"])
    assert [item["id"] for item in json.loads(dated.stdout)["items"]] == [failed[3]]

    refused = runner.invoke(app, ["failures", "replay"])
    assert refused.exit_code != 0

    one = runner.invoke(app, ["failures", "replay", failed[0], "--json"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["by_stage"] == {"ingest": 1}

    every = runner.invoke(app, ["failures", "replay", "--all", "--json"])
    assert json.loads(every.stdout)["replayed"] == 3

    history = runner.invoke(app, ["failures", "history", failed[0]])
    assert [e["outcome"] for e in json.loads(history.stdout)["events"]] == ["failed", "replay"]
