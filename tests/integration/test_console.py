"""The console's gates, against the real app and store: the API's keys and scopes, sign-in,
the CSRF guard on replay, loopback-only without keys, its own assets, errors as pages."""

from __future__ import annotations

import base64
import html
import json
import re
import time
import zlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shared.apikeys import hash_api_key
from shared.settings import get_settings

pytestmark = [pytest.mark.integration]

KEYS = {"search": "sk-console-0a1b2c3d4e5f-search", "admin": "ak-console-9f8e7d6c5b4a-admin"}
HTMX = {"HX-Request": "true"}


def _csrf(client: TestClient, path: str = "/ui/login") -> dict[str, str]:
    """The headers the console's own page sends with a write: htmx's and the session's CSRF
    token, read from the page as the browser has it (the client keeps the session cookie)."""
    page = client.get(path)
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', html.unescape(page.text))
    assert token, page.text[:500]
    return {**HTMX, "X-CSRF-Token": token.group(1)}


@pytest.fixture
def local(stack: dict[str, str]) -> Iterator[TestClient]:
    """The app without keys, called as a browser on this machine would."""
    from services.api.app import create_app

    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture
def keyed(stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with a search key and an admin key, called from another machine."""
    from services.api.app import create_app

    monkeypatch.setenv(
        "NEWSFLOW_API_KEYS", json.dumps({hash_api_key(k): [s] for s, k in KEYS.items()})
    )
    get_settings.cache_clear()
    try:
        with TestClient(
            create_app(), base_url="https://news.example.org", client=("198.51.100.7", 5000)
        ) as client:
            yield client
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_root_leads_to_the_console_and_assets_are_served_by_us(local: TestClient) -> None:
    root = local.get("/", follow_redirects=False)
    assert root.status_code == 307
    assert root.headers["location"] == "/ui/search"
    page = local.get("/ui/search")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    # The page's server time, and the search's share of it.
    assert re.fullmatch(r"app;dur=[0-9.]+, search;dur=[0-9.]+", page.headers["server-timing"])
    for asset, kind in (("htmx.min.js", "text/javascript"), ("console.css", "text/css")):
        assert f"/ui/static/{asset}?v=" in page.text
        answer = local.get(f"/ui/static/{asset}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(kind)
    assert local.get("/ui/static/htmx.min.js").text.startswith("/*! htmx 2.0.11")
    # Every script and stylesheet comes from newsflow itself: no CDN.
    head = page.text.split("<body", 1)[0]
    links = re.findall(r'(?:src|href)="([^"]*)"', head)
    assert len(links) == 3
    assert all(link.startswith("/ui/static/") or link == "data:," for link in links), links
    assert local.get("/ui/static/..%2Fauth.py").status_code == 404


def test_without_keys_only_loopback_hosts_get_the_console(local: TestClient) -> None:
    # A page on another site pointing its own name at 127.0.0.1 (DNS rebinding) is refused.
    rebound = local.get("/ui/search", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 403
    assert "loopback" in rebound.text
    assert local.get("/ui/search", headers={"Host": "localhost:8000"}).status_code == 200


def test_form_errors_are_explained(local: TestClient) -> None:
    backwards = local.get("/ui/search", params={"since": "2025-03-01", "until": "2025-02-01"})
    assert backwards.status_code == 422
    assert "The From date is after the To date." in backwards.text
    bad_day = local.get("/ui/search", params={"since": "yesterday"})
    assert bad_day.status_code == 422
    assert "is not a date like 2025-08-15" in bad_day.text
    cursor = local.get("/ui/search", params={"q": "x", "cursor": "bm9wZQ"})
    assert cursor.status_code == 400
    assert "does not belong to this search" in cursor.text
    missing = local.get("/ui/articles/" + "0" * 32)
    assert missing.status_code == 404
    assert "There is no article" in missing.text


def test_replay_needs_the_htmx_header_a_same_origin_and_the_csrf_token(
    local: TestClient,
) -> None:
    # A reason no article has: the replay itself runs, and finds nothing.
    form = {"stage": "ingest", "reason": "console-test-no-such-reason"}
    plain = local.post("/ui/failures/replay", data=form)  # what a form on another site sends
    assert plain.status_code == 403
    assert "csrf_check_failed" in plain.text
    # htmx's header alone is not enough: the page's token is missing.
    untokened = local.post("/ui/failures/replay", data=form, headers=HTMX)
    assert untokened.status_code == 403
    assert "csrf_check_failed" in untokened.text
    headers = _csrf(local, "/ui/pipeline")
    cross = local.post(
        "/ui/failures/replay", data=form, headers={**headers, "Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    forged = local.post(
        "/ui/failures/replay", data=form, headers={**headers, "X-CSRF-Token": "guessed"}
    )
    assert forged.status_code == 403
    same = local.post(
        "/ui/failures/replay", data=form, headers={**headers, "Origin": "http://127.0.0.1:8000"}
    )
    assert same.status_code == 200
    assert "Replayed 0 articles" in same.text
    assert same.headers["hx-trigger-after-settle"] == "pipeline-changed"
    # The token belongs to this browser's session: another browser's cookie does not match it.
    local.cookies.clear()
    _csrf(local, "/ui/pipeline")
    stolen = local.post("/ui/failures/replay", data=form, headers=headers)
    assert stolen.status_code == 403
    empty = local.post("/ui/failures/replay", data={}, headers=_csrf(local, "/ui/pipeline"))
    assert empty.status_code == 422
    assert "Nothing to replay" in empty.text


def test_a_page_left_open_takes_the_new_sessions_token_from_its_refresh(
    local: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = _csrf(local, "/ui/pipeline")
    later = time.time() + 13 * 3600  # the session has ended
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    form = {"stage": "ingest", "reason": "console-test-no-such-reason"}
    assert local.post("/ui/failures/replay", data=form, headers=stale).status_code == 403
    refresh = local.get("/ui/pipeline/panel", headers=HTMX)  # a new session by now
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', html.unescape(refresh.text))
    assert token
    assert token.group(1) != stale["X-CSRF-Token"]
    fresh = {**HTMX, "X-CSRF-Token": token.group(1)}
    assert local.post("/ui/failures/replay", data=form, headers=fresh).status_code == 200


def test_keys_sign_in_and_scopes(keyed: TestClient) -> None:
    anonymous = keyed.get("/ui/search?q=x", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/ui/login?next=%2Fui%2Fsearch%3Fq%3Dx"
    invalid = keyed.get("/ui/search", headers={"X-API-Key": "nope"}, follow_redirects=False)
    assert invalid.status_code == 303

    login = _csrf(keyed)
    wrong = keyed.post("/ui/login", data={"api_key": "guess"}, headers=login)
    assert wrong.status_code == 401
    assert "That API key is not valid." in wrong.text
    signed = keyed.post(
        "/ui/login", data={"api_key": KEYS["search"], "next": "/ui/pipeline"}, headers=login
    )
    assert signed.status_code == 204
    assert signed.headers["hx-redirect"] == "/ui/pipeline"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("newsflow_console_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/ui" in cookie
    assert "Secure" in cookie
    # The cookie holds the key's id, signed: never the key itself.
    session = keyed.cookies["newsflow_console_session"]
    assert KEYS["search"] not in session
    assert hash_api_key(KEYS["search"]) in base64_payload(session)

    # The search key (through the session) reads pages but cannot see failures or replay.
    assert keyed.get("/ui/search").status_code == 200
    pipeline = keyed.get("/ui/pipeline")
    assert pipeline.status_code == 200
    assert "need an API key with the admin scope" in pipeline.text
    nothing = {"stage": "ingest", "reason": "console-test-no-such-reason"}
    # Signing in made a new session: the token of the page before it is void.
    stale = keyed.post("/ui/failures/replay", data=nothing, headers=login)
    assert stale.status_code == 403
    assert "csrf_check_failed" in stale.text
    headers = _csrf(keyed, "/ui/pipeline")
    refused = keyed.post("/ui/failures/replay", data=nothing, headers=headers)
    assert refused.status_code == 403
    assert "insufficient_scope" in refused.text

    admin = keyed.post(
        "/ui/failures/replay",
        data=nothing,
        headers={**headers, "X-API-Key": KEYS["admin"]},
    )
    assert admin.status_code == 200
    assert "Replayed 0 articles" in admin.text

    # An edited session is no session.
    for cookie, status in ((session[:-2] + "xx", 303), (session, 200)):
        keyed.cookies.clear()
        keyed.cookies.set("newsflow_console_session", cookie, "news.example.org", "/ui")
        assert keyed.get("/ui/search", follow_redirects=False).status_code == status

    out = keyed.post("/ui/logout", headers=headers)
    assert out.headers["hx-redirect"] == "/ui/login"
    assert keyed.get("/ui/search", follow_redirects=False).status_code == 303


def test_a_session_ends_when_its_key_is_removed_or_it_expires(
    keyed: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = keyed.post("/ui/login", data={"api_key": KEYS["admin"]}, headers=_csrf(keyed))
    assert signed.status_code == 204
    assert keyed.get("/ui/pipeline").status_code == 200
    # The key is taken out of the configuration: its session stops at once.
    only_search = {hash_api_key(KEYS["search"]): ["search"]}
    monkeypatch.setenv("NEWSFLOW_API_KEYS", json.dumps(only_search))
    get_settings.cache_clear()
    gone = keyed.get("/ui/pipeline", follow_redirects=False)
    assert gone.status_code == 303
    assert gone.headers["location"].startswith("/ui/login")

    # Thirteen hours later a session is over, however valid its key.
    signed = keyed.post("/ui/login", data={"api_key": KEYS["search"]}, headers=_csrf(keyed))
    assert keyed.get("/ui/search").status_code == 200
    later = time.time() + 13 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert keyed.get("/ui/search", follow_redirects=False).status_code == 303


def base64_payload(token: str) -> str:
    """The readable part of an itsdangerous token (its payload, before the signature).

    itsdangerous zlib-compresses the payload when that makes it shorter (which depends on
    the random CSRF token) and marks it with a leading dot."""
    compressed = token.startswith(".")
    payload = token.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if compressed else data).decode()


def test_the_session_cookie_is_secure_behind_a_trusted_tls_proxy(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.api.app import create_app

    monkeypatch.setenv("NEWSFLOW_API_KEYS", json.dumps({hash_api_key(KEYS["search"]): ["search"]}))
    monkeypatch.setenv("NEWSFLOW_API_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    get_settings.cache_clear()
    proxied = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    try:
        for peer, secure in ((("10.1.2.3", 5000), True), (("203.0.113.9", 5000), False)):
            # The app sees http: TLS ends at the proxy. Only a trusted proxy is believed.
            with TestClient(create_app(), base_url="http://news.example.org", client=peer) as c:
                signed = c.post(
                    "/ui/login",
                    data={"api_key": KEYS["search"]},
                    headers={**_csrf(c), **proxied},
                )
                assert signed.status_code == 204
                assert ("Secure" in signed.headers["set-cookie"]) is secure
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_an_open_redirect_is_not_possible(keyed: TestClient) -> None:
    signed = keyed.post(
        "/ui/login",
        data={"api_key": KEYS["search"], "next": "https://evil.example/"},
        headers=_csrf(keyed),
    )
    assert signed.headers["hx-redirect"] == "/ui/search"


def test_dependency_trouble_is_explained(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No index yet: search says so (503, retry); Redis down: the pipeline page still shows
    what the store knows."""
    from services.api.app import create_app

    monkeypatch.setenv("NEWSFLOW_INDEX_ALIAS", "nfconsole-no-such-alias")
    monkeypatch.setenv("NEWSFLOW_REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
            search = client.get("/ui/search", params={"q": "anything"})
            assert search.status_code == 503
            assert search.headers["retry-after"] == "5"
            assert "Search is unavailable right now" in search.text
            pipeline = client.get("/ui/pipeline")
            assert pipeline.status_code == 200
            assert "unknown (Redis unreachable)" in pipeline.text
            assert "Articles by state" in pipeline.text
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def _store(tag: str, failed: int, feeds: int, events: int) -> str:
    """`failed` failed articles over three stages and two reasons, `feeds` feeds, and one
    indexed article with `events` stage events and as many copies in its story; returns its
    id. `tag` (one hex digit) keeps the ids of two calls apart."""
    from shared.db import get_sessionmaker
    from shared.models import Feed, StageEvent, utcnow
    from tests.integration.test_search_api import make_article

    now = utcnow()
    lead_id = tag * 32
    with get_sessionmaker()() as session:
        session.add(
            make_article(lead_id, "Lead", "The lead story.", state="indexed", cluster_id=tag)
        )
        for n in range(failed):
            article = make_article(f"{tag}f{n:030x}", f"Failed {n}", "Body.", state="failed")
            article.failed_stage = ("ingest", "enrich", "index")[n % 3]
            article.error_class = f"reason_{n % 2}"
            session.add(article)
        for n in range(events):
            session.add(make_article(f"{tag}c{n:030x}", f"Copy {n}", "Copy.", cluster_id=tag))
            stage = ("ingest", "enrich", "index")[n % 3]
            event = StageEvent(article_id=lead_id, revision=1, stage=stage, outcome="ok", at=now)
            session.add(event)
        session.add_all(Feed(url=f"https://feeds.example.org/{tag}/{n}.xml") for n in range(feeds))
        session.commit()
    return lead_id


def _statements(client: TestClient, path: str) -> int:
    """How many SQL statements serving `path` runs."""
    from sqlalchemy import event

    from shared.db import get_engine

    count = 0

    def counted(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(get_engine(), "before_cursor_execute", counted)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(get_engine(), "before_cursor_execute", counted)
    return count


@pytest.mark.usefixtures("clean_store")
def test_pages_run_the_same_few_queries_whatever_the_store_holds(local: TestClient) -> None:
    """No query per row: the pipeline page and an article page cost the same number of SQL
    statements with 3 failures, 1 feed and 3 events as with 30 more, 12 and 30."""
    small_lead = _store("a", failed=3, feeds=1, events=3)
    small = [_statements(local, "/ui/pipeline"), _statements(local, f"/ui/articles/{small_lead}")]
    big_lead = _store("b", failed=30, feeds=12, events=30)
    big = [_statements(local, "/ui/pipeline"), _statements(local, f"/ui/articles/{big_lead}")]
    assert small == big
    assert max(big) <= 10, big
