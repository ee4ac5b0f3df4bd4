"""The polite, guarded fetcher and feed parsing, against an in-process HTTP transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from services.ingest.feeds import parse_entries
from services.ingest.fetch import Fetcher, FetchError
from shared.celery_app import POLL_FEEDS_TASK, app
from shared.netguard import embedded_ipv4, is_blocked_address
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


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64 well-known prefix
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # ... to the cloud metadata service
        ("64:ff9b:1:7f00:0:100::", "127.0.0.1"),  # NAT64 local-use /48 (RFC 6052 layout)
        ("64:ff9b:1::a00:1", "10.0.0.1"),  # ... used as a /96
        ("2002:a9fe:a9fe::", "169.254.169.254"),  # 6to4
        ("2002:c0a8:101::1", "192.168.1.1"),
        ("::127.0.0.1", "127.0.0.1"),  # IPv4-compatible
        ("::a00:1", "10.0.0.1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped, dotted
        ("::ffff:7f00:1", "127.0.0.1"),  # ... hex
        ("0:0:0:0:0:ffff:a9fe:a9fe", "169.254.169.254"),  # ... written out
        ("::ffff:0:7f00:1", "127.0.0.1"),  # IPv4-translated (SIIT)
        ("::ffff:0:10.1.2.3", "10.1.2.3"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo client (inverted)
        ("2a00:1450::5efe:a00:1", "10.0.0.1"),  # ISATAP
        ("2a00:1450::200:5efe:c0a8:1", "192.168.0.1"),
    ],
)
def test_every_ipv4_embedding_in_ipv6_is_checked(address: str, embedded: str) -> None:
    import ipaddress

    assert ipaddress.IPv4Address(embedded) in embedded_ipv4(ipaddress.IPv6Address(address))
    assert is_blocked_address(address)
    with fetcher(no_network) as f, pytest.raises(FetchError) as info:
        f.get(f"http://[{address}]/", check_robots=False)
    assert info.value.reason == "blocked_address"


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "2a00:1450:4001:82b::200e", "2002:5db8:d822::1", "64:ff9b::5db8:d822"],
)
def test_public_addresses_pass_including_embedded_public_ipv4(address: str) -> None:
    assert not is_blocked_address(address)


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


def test_feed_polling_has_its_own_queue_and_worker() -> None:
    """A slow feed server must hold neither the sweeper (scheduler queue) nor articles
    (ingest queue): polls go to the feeds queue, which `newsflow worker feeds` consumes."""
    from services.cli.main import WORKER_APPS
    from shared.celery_app import FEEDS_QUEUE, SCHEDULER_QUEUE, SWEEP_TASK

    settings = get_settings()
    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert POLL_FEEDS_TASK in schedule
    assert schedule[POLL_FEEDS_TASK]["options"]["expires"] > 0  # no pile-up behind a slow one
    feeds_queue = app.conf.task_routes[POLL_FEEDS_TASK]["queue"]
    assert feeds_queue == settings.queue_name(FEEDS_QUEUE)
    assert app.conf.task_routes[SWEEP_TASK]["queue"] == settings.queue_name(SCHEDULER_QUEUE)
    assert feeds_queue not in {settings.queue_name(stage) for stage in Stage}
    assert WORKER_APPS["feeds"] == "services.ingest.worker"  # where the task is defined
    limits = app.conf.task_annotations[POLL_FEEDS_TASK]
    assert 0 < limits["soft_time_limit"] < limits["time_limit"]


class _DripServer:
    """A real loopback server that answers one byte at a time, `interval` apart, for as long
    as the client listens: in the body, or already in the status line and headers."""

    def __init__(self, *, in_headers: bool, interval: float = 0.2) -> None:
        import socket
        import threading

        self.in_headers, self.interval = in_headers, interval
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/feed.xml"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import contextlib

        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.recv(65536)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                if not self.in_headers:
                    conn.sendall(head + b"Content-Length: 100000\r\n\r\n")
                elif head:
                    conn.sendall(head[:10])
                while not self.stop.wait(self.interval):
                    conn.sendall(b"X-Slow: y\r\n"[:1] if self.in_headers else b"<")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.mark.parametrize("in_headers", [False, True], ids=["slow-body", "slow-headers"])
def test_a_dripping_server_is_cut_at_the_overall_deadline(in_headers: bool) -> None:
    import time

    server = _DripServer(in_headers=in_headers)
    settings = Settings(fetch_allow_private=True, fetch_timeout_s=1.0, fetch_deadline_s=1.5)  # type: ignore[call-arg]
    try:
        with Fetcher(settings=settings) as f:
            started = time.monotonic()
            with pytest.raises(FetchError) as info:
                f.get(server.url, check_robots=False)
            elapsed = time.monotonic() - started
    finally:
        server.close()
    assert info.value.reason == "timeout"
    # Every read got a byte well within the 1 s read timeout: only the deadline ends it.
    assert 1.4 < elapsed < 3.0
