"""Alerts through the whole pipeline: API -> real workers -> index -> alerts worker -> webhook.

A real receiver on loopback fails, hangs or answers; the alerts worker is SIGKILLed while a
delivery is in flight. What must hold: every match reaches the receiver, signed, and any
repeat carries the same idempotency key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.alerts_support import Receiver, webhook_receiver
from tests.support import FIXTURES, WorkerPool, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Delivery rounds every second, short request timeouts and backoff: the test waits seconds.
FAST_ALERTS_ENV = {
    "NEWSFLOW_ALERT_WEBHOOK_ALLOW": '["127.0.0.0/8"]',
    "NEWSFLOW_ALERT_DELIVERY_INTERVAL_S": "1",
    "NEWSFLOW_ALERT_DELIVERY_TIMEOUT_S": "2",
    "NEWSFLOW_ALERT_RETRY_BASE_S": "0.2",
    "NEWSFLOW_ALERT_RETRY_MAX_S": "1",
}


@pytest.fixture
def api(stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from services.api.app import create_app
    from shared.settings import get_settings

    monkeypatch.setattr(get_settings(), "alert_webhook_allow", ["127.0.0.0/8"])
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def alerts_store(clean_store: None) -> Iterator[None]:
    from sqlalchemy import text

    from shared.db import get_engine

    def wipe() -> None:
        with get_engine().begin() as connection:
            connection.execute(
                text("TRUNCATE alerts, alert_matches, alert_deliveries, alert_scans")
            )

    wipe()
    yield
    wipe()


def _start(workers: WorkerPool) -> None:
    for stage in ("ingest", "enrich", "index", "alerts"):
        workers.start(stage, extra_env=FAST_ALERTS_ENV)
    workers.start("scheduler", beat=True, extra_env=FAST_ALERTS_ENV)


def _delivered_ids(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["article"]["id"] for r in receiver.delivered()]


@pytest.mark.usefixtures("alerts_store")
def test_matches_reach_a_flaky_receiver_once_signed_and_survive_a_killed_alerts_worker(
    api: TestClient, workers: WorkerPool
) -> None:
    from shared.alerts import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify_signature

    _start(workers)
    with webhook_receiver(script=[503, 503]) as receiver:
        secret = "a-secret-of-32-characters-at-least"
        summit_alert = api.post(
            "/v1/alerts",
            json={
                "name": "summit",
                "q": "Putin Alaska",
                "webhook_url": receiver.url,
                "secret": secret,
            },
        ).json()
        bridge_alert = api.post(
            "/v1/alerts",
            json={
                "name": "bridge",
                "q": '"Harbour Bridge"',
                "webhook_url": receiver.url,
                "secret": secret,
            },
        ).json()
        pull_alert = api.post("/v1/alerts", json={"name": "glaciers", "q": "glacier"}).json()

        # 1. A receiver that fails twice, then answers: the match arrives once, signed.
        summit = api.post(
            "/v1/articles",
            json={"text": (FIXTURES / "alaska-summit.txt").read_text(), "source": "seed"},
        ).json()["id"]
        wait_until(lambda: _delivered_ids(receiver) == [summit], timeout=240, message="summit")
        assert [r.answered for r in receiver.requests] == [503, 503, 200]

        # 2. The alerts worker dies while the receiver holds the request: sent again later.
        receiver.gate.clear()
        receiver.arrived.clear()
        bridge = api.post(
            "/v1/articles",
            json={"text": (FIXTURES / "e2e" / "harbour-bridge.txt").read_text(), "source": "t"},
        ).json()["id"]
        assert receiver.arrived.wait(timeout=240), "the bridge match was never sent"
        workers.kill("alerts", 9)
        receiver.gate.set()
        workers.start("alerts", extra_env=FAST_ALERTS_ENV)
        wait_until(
            lambda: (
                api.get(f"/v1/alerts/{bridge_alert['id']}").json()["matches"] == {"delivered": 1}
            ),
            timeout=120,
            message="the bridge match is delivered after the worker came back",
        )

    bridge_requests = [
        r for r in receiver.requests if json.loads(r.body)["article"]["id"] == bridge
    ]
    assert len(bridge_requests) >= 2, "the killed worker's delivery was sent again"
    assert {r.headers[IDEMPOTENCY_HEADER] for r in bridge_requests} == {
        f"{bridge_alert['id']}:{bridge}:1"
    }
    for request in receiver.requests:
        assert verify_signature(secret, request.headers[SIGNATURE_HEADER], request.body)
    # Nothing matched twice, nothing matched that should not have.
    assert sorted(set(_delivered_ids(receiver))) == sorted({summit, bridge})
    assert api.get(f"/v1/alerts/{summit_alert['id']}").json()["matches"] == {"delivered": 1}
    assert api.get(f"/v1/alerts/{pull_alert['id']}").json()["matches"] == {}
