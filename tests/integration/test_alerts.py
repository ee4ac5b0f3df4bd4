"""Saved searches against the real PostgreSQL and Elasticsearch, with a real webhook receiver.

Articles are written into the store and indexed by the index stage function; matching and
delivery run as the alerts worker runs them (its plain functions), no workers needed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts_support import webhook_receiver
from tests.integration.test_search_api import make_article

pytestmark = [pytest.mark.integration]

WORDS = ["harbour", "glacier", "election", "budget", "striker", "vaccine"]
PERSONS = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
PLACES = ["Lisbon", "Oslo", "Nairobi"]
SOURCES = ["wire", "daily", "gazette"]


def _article(n: int, *, cluster: str | None = None, revision: int = 1, extra: str = "") -> Any:
    """Article n: two topic words, one person, one place and a source, all from n."""
    words = (WORDS[n % 6], WORDS[(n // 6 + 1 + n) % 6])
    person, place, source = PERSONS[n % 3], PLACES[(n // 3) % 3], SOURCES[(n // 9) % 3]
    body = (
        f"{person} spoke in {place} about the {words[0]} and the {words[1]}. "
        f"Observers followed the {words[1]} debate closely. {extra}"
    )
    return make_article(
        hashlib.md5(f"alerts-{n}".encode()).hexdigest(),
        f"Report {n}: {words[0]} news from {place}",
        body,
        source=source,
        cluster_id=cluster,
        entities=[(person, "person", 1), (place, "place", 1)],
        keywords=words,
        revision=revision,
    )


def _index(articles: Sequence[Any]) -> list[str]:
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker

    with get_sessionmaker()() as session:
        for article in articles:
            session.merge(article)
        session.commit()
        return index_articles(session, [a.id for a in articles])


def _wipe_alerts() -> None:
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().begin() as connection:
        connection.execute(text("TRUNCATE alerts, alert_matches, alert_deliveries, alert_scans"))


@pytest.fixture
def alerts_store(clean_store: None) -> Iterator[None]:
    _wipe_alerts()
    yield
    _wipe_alerts()


@pytest.fixture
def loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver runs on loopback: admit it on purpose, as an intranet receiver would be."""
    from shared.settings import get_settings

    monkeypatch.setattr(get_settings(), "alert_webhook_allow", ["127.0.0.0/8"])
    monkeypatch.setattr(get_settings(), "alert_retry_base_s", 0.01)
    monkeypatch.setattr(get_settings(), "alert_retry_max_s", 0.05)


@pytest.fixture
def api(stack: dict[str, str]) -> Iterator[TestClient]:
    from services.api.app import create_app

    with TestClient(create_app()) as client:
        yield client


def _save(**spec: Any) -> Any:
    from shared.alerts import AlertSpec, create_alert
    from shared.db import get_sessionmaker

    with get_sessionmaker()() as session:
        alert, _secret = create_alert(session, AlertSpec(**spec))
        session.commit()
        return alert


def _match(ids: Sequence[str]) -> list[int]:
    from services.alerts.matching import match_articles
    from shared.db import get_sessionmaker
    from shared.search.client import get_client

    with get_sessionmaker()() as session:
        return match_articles(session, get_client(), ids)


def _deliver() -> int:
    from services.alerts.delivery import deliver_due
    from shared.db import get_sessionmaker

    with get_sessionmaker()() as session:
        return deliver_due(session)


def _matches(alert_id: str) -> dict[str, str]:
    """article id -> delivery state of every match of the alert."""
    from sqlalchemy import select

    from shared.db import get_sessionmaker
    from shared.models import AlertMatch

    with get_sessionmaker()() as session:
        rows = session.execute(
            select(AlertMatch.article_id, AlertMatch.delivery_state).where(
                AlertMatch.alert_id == alert_id
            )
        )
        return dict(rows.tuples().all())


def _make_due() -> None:
    """Retries are due at once (the backoff itself is unit-tested)."""
    from sqlalchemy import update

    from shared.db import get_engine
    from shared.models import AlertMatch, utcnow

    with get_engine().begin() as connection:
        connection.execute(
            update(AlertMatch)
            .where(AlertMatch.delivery_state == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


# --- the API -----------------------------------------------------------------------------


@pytest.mark.usefixtures("alerts_store")
def test_alerts_api_creates_lists_and_deletes_without_showing_the_secret(
    api: TestClient, loopback_webhooks: None
) -> None:
    created = api.post(
        "/v1/alerts",
        json={
            "name": "harbours",
            "q": "harbour",
            "place": ["Oslo"],
            "webhook_url": "http://127.0.0.1:9/h",
        },
    )
    assert created.status_code == 201, created.text
    alert = created.json()
    assert len(alert["secret"]) >= 32
    assert alert["query"] == {"q": "harbour", "place": ["Oslo"]}
    listed = api.get("/v1/alerts").json()["items"]
    assert [a["id"] for a in listed] == [alert["id"]]
    assert "secret" not in listed[0]
    assert api.get(f"/v1/alerts/{alert['id']}").json()["paused"] is False
    assert api.delete(f"/v1/alerts/{alert['id']}").status_code == 204
    missing = api.get(f"/v1/alerts/{alert['id']}")
    assert missing.status_code == 404
    assert missing.json()["reason"] == "not_found"


@pytest.mark.usefixtures("alerts_store")
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"name": "x", "webhook_url": "http://127.0.0.1:8000/hook"}, "webhook_blocked_address"),
        ({"name": "x", "webhook_url": "http://[64:ff9b::7f00:1]/hook"}, "webhook_blocked_address"),
        ({"name": "x", "webhook_url": "file:///etc/passwd"}, "webhook_unsupported_scheme"),
    ],
)
def test_webhooks_into_the_private_network_are_refused(
    api: TestClient, body: dict[str, Any], reason: str
) -> None:
    answer = api.post("/v1/alerts", json=body)
    assert answer.status_code == 422
    assert answer.json()["reason"] == reason


@pytest.mark.usefixtures("alerts_store")
def test_bad_alert_specs_are_422_with_a_reason(api: TestClient) -> None:
    for body in (
        {"q": "x"},
        {"name": ""},
        {"name": "x", "q": "y" * 5000},
        {"name": "x", "secret": "short"},
    ):
        answer = api.post("/v1/alerts", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["reason"]


# --- matching ----------------------------------------------------------------------------


def _saved_searches() -> list[dict[str, Any]]:
    """Words, phrases, OR, exclusions and every filter, alone and combined."""
    specs: list[dict[str, Any]] = []
    for word in WORDS:
        specs += [
            {"q": word},
            {"q": f"{word} -{WORDS[0]}"},
            {"q": f'"the {word}"'},
            {"q": f"{word} | {WORDS[-1]}"},
        ]
    for person, place in itertools.product(PERSONS, PLACES):
        specs += [{"person": [person], "place": [place]}, {"q": WORDS[1], "person": [person]}]
    for source, word in itertools.product(SOURCES, WORDS):
        specs.append({"source": [source], "q": word})
    specs += [{"keyword": [w]} for w in WORDS] + [{"q": "nothing-matches-this"}]
    return [{"name": f"saved {i}", **spec} for i, spec in enumerate(specs)]


@pytest.mark.usefixtures("alerts_store")
def test_matching_a_batch_finds_exactly_what_the_same_searches_find_afterwards() -> None:
    from shared.db import get_sessionmaker
    from shared.models import AlertMatch
    from shared.search.client import get_client
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    alerts = [_save(**spec) for spec in _saved_searches()]
    assert len(alerts) > 60
    articles = [_article(n) for n in range(27)]
    indexed = _index(articles)
    assert len(indexed) == 27
    for start in range(0, 27, 10):  # batches, as the index stage sends them
        _match(indexed[start : start + 10])

    with get_sessionmaker()() as session:
        matched: dict[str, set[str]] = {}
        for match in session.query(AlertMatch):
            matched.setdefault(match.alert_id, set()).add(match.article_id)
    es = get_client()
    total = 0
    for alert in alerts:
        params = SearchParams(**alert.query, size=100, collapse=False, facets=False)
        expected = {hit["id"] for hit in search_articles(es, params)["hits"]}
        assert matched.get(alert.id, set()) == expected, alert.query
        total += len(expected)
    assert total > 200, "the saved searches match a fair share of the articles"


@pytest.mark.usefixtures("alerts_store")
def test_an_article_matches_once_revisions_that_start_to_match_notify_copies_are_grouped() -> None:
    alert = _save(name="vaccines", q="vaccine", webhook_url="https://hooks.example.org/x")
    first = _article(5)  # about the vaccine
    _index([first])
    assert len(_match([first.id])) == 1
    # The same article again (a redelivery, a revision that still matches): not news.
    _index([_article(5, revision=2)])
    assert _match([first.id]) == []
    # A copy of the story from another source: recorded, grouped under the first, not sent.
    copy = _article(41, cluster=first.id, extra="vaccine")
    _index([copy])
    assert _match([copy.id]) == []
    # An article that did not match, revised so that it does now: one notification.
    later = _article(0)
    _index([later])
    _match([later.id])
    assert later.id not in _matches(alert.id)
    _index([_article(0, revision=2, extra="A vaccine trial began.")])
    assert len(_match([later.id])) == 1
    assert _matches(alert.id) == {first.id: "pending", copy.id: "grouped", later.id: "pending"}


@pytest.mark.usefixtures("alerts_store")
def test_the_catch_up_job_matches_articles_whose_matching_message_was_lost() -> None:
    from sqlalchemy import update

    from services.alerts.matching import catch_up, unscanned_articles
    from shared.db import get_engine, get_sessionmaker
    from shared.models import Alert, Article, utcnow
    from shared.search.client import get_client

    alert = _save(name="glaciers", q="glacier")
    articles = [_article(n) for n in range(12)]
    _index(articles)  # indexed, never matched: the message to the alerts worker was lost
    with get_engine().begin() as connection:  # saved two minutes ago, indexed one minute ago
        connection.execute(update(Alert).values(created_at=utcnow() - timedelta(seconds=120)))
        connection.execute(update(Article).values(indexed_at=utcnow() - timedelta(seconds=60)))
    with get_sessionmaker()() as session:
        assert len(unscanned_articles(session)) == 12
        catch_up(session, get_client())
        assert unscanned_articles(session) == []  # each article is matched once
    expected = {a.id for a in articles if "glacier" in f"{a.title} {a.body}"}
    assert expected
    assert _matches(alert.id) == dict.fromkeys(expected, "pull")


@pytest.mark.usefixtures("alerts_store")
def test_without_saved_searches_no_matching_message_and_one_saved_meanwhile_catches_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No saved search: the index stage sends no matching message. A search saved around
    the moment a batch was indexed (created before the articles' `indexed_at`, committed
    after the stage looked) hears of them from the catch-up job, once; a batch indexed
    once a search exists is sent to matching at once."""
    from sqlalchemy import update

    from services.alerts.matching import catch_up, unscanned_articles
    from shared.db import get_engine, get_sessionmaker
    from shared.models import Alert, Article, utcnow
    from shared.search.client import get_client

    sent: list[list[str]] = []
    monkeypatch.setattr("services.indexer.stage.enqueue_alert_matching", sent.append)
    articles = [_article(n) for n in range(12)]
    assert sorted(_index(articles)) == sorted(a.id for a in articles)
    assert sent == []  # nobody to tell
    alert = _save(name="glaciers", q="glacier")
    with get_engine().begin() as connection:  # saved just before they were indexed
        connection.execute(update(Alert).values(created_at=utcnow() - timedelta(seconds=61)))
        connection.execute(update(Article).values(indexed_at=utcnow() - timedelta(seconds=60)))
    expected = {a.id for a in articles if "glacier" in f"{a.title} {a.body}"}
    assert expected
    with get_sessionmaker()() as session:
        catch_up(session, get_client())
        catch_up(session, get_client())  # a second round finds nothing new
        assert unscanned_articles(session) == []
    assert _matches(alert.id) == dict.fromkeys(expected, "pull")
    later = [_article(n) for n in range(12, 18)]
    assert sorted(_index(later)) == sorted(a.id for a in later)
    assert [sorted(ids) for ids in sent] == [sorted(a.id for a in later)]


# --- delivery ----------------------------------------------------------------------------


@pytest.mark.usefixtures("alerts_store", "loopback_webhooks")
def test_a_failing_receiver_gets_the_match_once_signed_after_retries() -> None:
    from shared.alerts import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify_signature

    with webhook_receiver(script=[503, 500, 429]) as receiver:
        alert = _save(name="budget", q="budget", webhook_url=receiver.url, secret="s" * 32)
        article = _article(3)  # about the budget
        _index([article])
        assert len(_match([article.id])) == 1
        delivered = 0
        for _ in range(6):
            delivered += _deliver()
            _make_due()
        assert delivered == 1
        assert [r.answered for r in receiver.requests] == [503, 500, 429, 200]
    keys = {r.headers[IDEMPOTENCY_HEADER] for r in receiver.requests}
    assert keys == {f"{alert.id}:{article.id}:1"}
    for request in receiver.requests:
        assert verify_signature("s" * 32, request.headers[SIGNATURE_HEADER], request.body)
        assert not verify_signature("t" * 32, request.headers[SIGNATURE_HEADER], request.body)
    body = json.loads(receiver.requests[-1].body)
    assert body["article"]["id"] == article.id
    assert body["alert"] == {"id": alert.id, "name": "budget"}
    assert _matches(alert.id) == {article.id: "delivered"}


@pytest.mark.usefixtures("alerts_store", "loopback_webhooks")
def test_a_4xx_is_not_retried_and_the_dead_letter_can_be_replayed(api: TestClient) -> None:
    with webhook_receiver(script=[410]) as receiver:
        alert = _save(name="striker", q="striker", webhook_url=receiver.url)
        article = _article(4)
        _index([article])
        _match([article.id])
        assert _deliver() == 0
        _make_due()
        assert _deliver() == 0
        assert len(receiver.requests) == 1
        assert _matches(alert.id) == {article.id: "dead"}
        log = api.get(f"/v1/alerts/{alert.id}/deliveries").json()["items"]
        assert [(d["outcome"], d["status_code"]) for d in log] == [("dead", 410)]

        assert api.post(f"/v1/alerts/{alert.id}/deliveries/replay").json() == {"replayed": 1}
        assert _deliver() == 1
    assert _matches(alert.id) == {article.id: "delivered"}


@pytest.mark.usefixtures("alerts_store", "loopback_webhooks")
def test_an_endpoint_that_keeps_failing_pauses_its_alert_until_resumed(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.settings import get_settings

    monkeypatch.setattr(get_settings(), "alert_pause_after_failures", 3)
    with webhook_receiver(script=[500] * 3) as receiver:
        alert = _save(name="election", q="election", webhook_url=receiver.url)
        articles = [a for a in (_article(n) for n in range(12)) if "election" in a.body]
        _index(articles)
        _match([a.id for a in articles])
        for _ in range(5):
            _deliver()
            _make_due()
        assert len(receiver.requests) == 3
        shown = api.get(f"/v1/alerts/{alert.id}").json()
        assert shown["paused"] is True
        assert "3 failed deliveries in a row" in shown["paused_reason"]
        assert "HTTP 500" in shown["paused_reason"]

        assert api.post(f"/v1/alerts/{alert.id}/resume").json()["paused"] is False
        for _ in range(3):
            _deliver()
            _make_due()
    # In the order they matched, each once.
    delivered = [json.loads(r.body)["article"]["id"] for r in receiver.delivered()]
    assert sorted(delivered) == sorted(a.id for a in articles)
    assert len(delivered) == len(set(delivered))
    assert set(_matches(alert.id).values()) == {"delivered"}


@pytest.mark.usefixtures("alerts_store", "loopback_webhooks")
def test_matches_of_one_alert_go_out_in_order_behind_a_retry() -> None:
    with webhook_receiver(script=[503]) as receiver:
        _save(name="harbour", q="harbour", webhook_url=receiver.url)
        first, second = [a for a in (_article(n) for n in range(12)) if "harbour" in a.body][:2]
        _index([first])
        _match([first.id])
        _index([second])
        _match([second.id])
        _deliver()  # the first fails: the second must wait behind it
        assert len(receiver.requests) == 1
        _make_due()
        _deliver()
    order = [json.loads(r.body)["article"]["id"] for r in receiver.requests]
    assert order == [first.id, first.id, second.id]


@pytest.mark.usefixtures("alerts_store")
def test_pull_alerts_page_their_matches_and_serve_atom(api: TestClient) -> None:
    alert = api.post("/v1/alerts", json={"name": "oslo", "place": ["Oslo"]}).json()
    articles = [_article(n) for n in range(9)]
    _index(articles)
    _match([a.id for a in articles])
    expected = {a.id for a in articles if "Oslo" in a.body}
    assert len(expected) == 3
    first = api.get(f"/v1/alerts/{alert['id']}/matches", params={"size": 2}).json()
    assert len(first["items"]) == 2
    second = api.get(
        f"/v1/alerts/{alert['id']}/matches", params={"size": 2, "cursor": first["next_cursor"]}
    ).json()
    assert second["next_cursor"] is None
    assert {m["article_id"] for m in first["items"] + second["items"]} == expected
    assert {m["delivery"] for m in first["items"]} == {"pull"}
    atom = api.get(f"/v1/alerts/{alert['id']}/matches.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert atom.text.count("<entry>") == 3
    forged = api.get(f"/v1/alerts/{alert['id']}/matches", params={"cursor": "eyJrIjoxfQ.AAAA"})
    assert (forged.status_code, forged.json()["reason"]) == (400, "invalid_cursor")
