"""The polite, guarded fetcher and feed parsing, against an in-process HTTP transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from services.ingest.feeds import parse_entries
from services.ingest.fetch import Fetcher, FetchError
from shared.celery_app import POLL_FEEDS_TASK, app
from shared.settings import Settings, get_settings
from shared.states import Stage

PUBLIC = "http://93.184.216.34"  # a public address literal: the guard needs no DNS for it


def fetcher(handler: Callable[[httpx.Request], httpx.Response], **settings: object) -> Fetcher:
    config = Settings(**settings)  # type: ignore[arg-type]
    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    return Fetcher(settings=config, client=client)


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the guard let {request.url} through")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/feed.xml", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("javascript:alert(1)", "unsupported_scheme"),
        ("gopher://example.org/", "unsupported_scheme"),
        ("http:///no-host", "invalid_url"),
        ("http://127.0.0.1:8000/admin", "blocked_address"),
        ("http://localhost/", "blocked_address"),
        ("http://10.1.2.3/", "blocked_address"),
        ("http://192.168.0.1/", "blocked_address"),
        ("http://172.16.5.4/", "blocked_address"),
        ("http://169.254.169.254/latest/meta-data/", "blocked_address"),  # cloud metadata
        ("http://100.64.0.1/", "blocked_address"),  # carrier-grade NAT
        ("http://0.0.0.0/", "blocked_address"),
        ("http://[::1]/", "blocked_address"),
        ("http://[fe80::1]/", "blocked_address"),
        ("http://[::ffff:127.0.0.1]/", "blocked_address"),
        ("http://224.0.0.1/", "blocked_address"),
    ],
)
def test_guard_refuses_other_schemes_and_the_private_network(url: str, reason: str) -> None:
    with fetcher(no_network) as f, pytest.raises(FetchError) as info:
        f.get(url, check_robots=False)
    assert info.value.reason == reason


def test_private_addresses_only_when_the_setting_allows_them() -> None:
    with fetcher(lambda r: httpx.Response(200, text="ok"), fetch_allow_private=True) as f:
        assert f.get("http://127.0.0.1/x", check_robots=False).content == b"ok"
        with pytest.raises(FetchError) as info:
            f.get("ftp://127.0.0.1/x", check_robots=False)  # schemes stay refused
        assert info.value.reason == "unsupported_scheme"


def test_a_redirect_into_the_private_network_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "93.184.216.34":
            return httpx.Response(302, headers={"location": "http://127.0.0.1/admin"})
        raise AssertionError("followed the redirect")

    with fetcher(handler) as f, pytest.raises(FetchError) as info:
        f.get(f"{PUBLIC}/story", check_robots=False)
    assert info.value.reason == "blocked_address"


def test_redirects_are_followed_a_bounded_number_of_times() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/final":
            return httpx.Response(200, text="here")
        if request.url.path == "/loop":
            return httpx.Response(301, headers={"location": "/loop"})
        return httpx.Response(301, headers={"location": "/final"})

    with fetcher(handler) as f:
        result = f.get(f"{PUBLIC}/moved", check_robots=False)
        assert (result.url, result.content) == (f"{PUBLIC}/final", b"here")
        with pytest.raises(FetchError) as info:
            f.get(f"{PUBLIC}/loop", check_robots=False)
        assert info.value.reason == "redirects"


def test_size_cap_on_declared_and_on_streamed_bodies() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/declared":
            return httpx.Response(200, content=b"x" * 2000)  # with a Content-Length
        # No Content-Length: the cap is enforced while streaming.
        return httpx.Response(200, content=iter([b"y" * 600, b"y" * 600]))

    with fetcher(handler, fetch_max_bytes=1000) as f:
        for path in ("/declared", "/streamed"):
            with pytest.raises(FetchError) as info:
                f.get(f"{PUBLIC}{path}", check_robots=False)
            assert info.value.reason == "too_large"


def test_http_errors_carry_their_status() -> None:
    with fetcher(lambda r: httpx.Response(503)) as f, pytest.raises(FetchError) as info:
        f.get(f"{PUBLIC}/feed", check_robots=False)
    assert (info.value.reason, info.value.status) == ("http_error", 503)


def test_a_timeout_is_a_fetch_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with fetcher(handler) as f, pytest.raises(FetchError) as info:
        f.get(f"{PUBLIC}/slow", check_robots=False)
    assert info.value.reason == "timeout"


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [
        (
            httpx.Response(200, text="User-agent: *\nDisallow: /private/\n"),
            {"/a": True, "/private/b": False},
        ),
        (httpx.Response(200, text="User-agent: newsflow\nDisallow: /\n"), {"/a": False}),
        (httpx.Response(200, text="User-agent: otherbot\nDisallow: /\n"), {"/a": True}),
        (httpx.Response(404), {"/a": True}),  # no robots.txt: no rules
        (httpx.Response(403), {"/a": False}),  # robots refused altogether
        (httpx.Response(500), {"/a": False}),  # rules unknown: stay out for now
    ],
)
def test_robots_txt_is_respected(robots: httpx.Response, allowed: dict[str, bool]) -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        return robots if request.url.path == "/robots.txt" else httpx.Response(200, text="page")

    with fetcher(handler) as f:
        for path, ok in allowed.items():
            assert f.allowed_by_robots(f"{PUBLIC}{path}") is ok
            if not ok:
                with pytest.raises(FetchError) as info:
                    f.get(f"{PUBLIC}{path}")
                assert info.value.reason == "robots_disallowed"
    assert requests.count("/robots.txt") == 1  # cached per site


RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.org/"><title>Example</title><link>https://example.org/</link>
    <description>d</description></channel>
  <item rdf:about="https://example.org/a">
    <title>First story</title><link>https://example.org/a</link><dc:date>2026-03-01T10:00:00Z</dc:date>
  </item>
  <item rdf:about="https://example.org/no-link"><title>No link</title></item>
</rdf:RDF>"""


def test_rss_1_entries() -> None:
    entries = parse_entries(RSS1)
    assert [(e.link, e.title) for e in entries] == [("https://example.org/a", "First story")]
    assert entries[0].external_id == "https://example.org/a"
    assert entries[0].published_at is not None
    assert entries[0].published_at.isoformat() == "2026-03-01T10:00:00+00:00"


def test_something_that_is_no_feed_is_an_error() -> None:
    with pytest.raises(FetchError) as info:
        parse_entries(b"<html><body><p>Just a page</p></body></html>")
    assert info.value.reason == "malformed_feed"
    assert parse_entries(b'<rss version="2.0"><channel><title>t</title></channel></rss>') == []


def test_feed_polling_is_scheduled_by_beat_and_run_by_the_ingest_worker() -> None:
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert POLL_FEEDS_TASK in schedule
    assert app.conf.task_routes[POLL_FEEDS_TASK]["queue"] == get_settings().queue_name(Stage.INGEST)
