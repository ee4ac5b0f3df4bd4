"""Feeds end to end against a local HTTP server (127.0.0.1) and the real store.

The server plays a small news site: an RSS 2.0 and an Atom feed with validators (304 on an
unchanged poll), pages for the entries, a robots.txt that disallows /private/, a page above
the size cap, and an entry with a non-http link. Loopback is allowed explicitly by the test
(NEWSFLOW_FETCH_ALLOW_PRIVATE), as the SSRF guard refuses it by default.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shared.settings import get_settings
from tests.support import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]

FEEDS = FIXTURES / "ingest" / "feeds"
LAST_MODIFIED = "Wed, 04 Mar 2026 10:00:00 GMT"
MAX_PAGE_BYTES = 20_000


class NewsSite(BaseHTTPRequestHandler):
    """Serves the fixtures; records every request (path and headers) it gets."""

    requests: ClassVar[list[tuple[str, dict[str, str]]]] = []
    rss_version: ClassVar[str] = "v1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _fixture(self, name: str) -> bytes:
        base = f"http://{self.headers['Host']}"
        content = (FEEDS / name).read_text()
        return content.replace("{base}", base).replace("{host}", self.headers["Host"]).encode()

    def do_GET(self) -> None:
        type(self).requests.append((self.path, dict(self.headers.items())))
        html = {"Content-Type": "text/html; charset=utf-8"}
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
        elif self.path == "/feeds/rss2.xml":
            etag = f'"rss-{self.rss_version}"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, headers={"ETag": etag})
            else:
                headers = {"Content-Type": "application/rss+xml", "ETag": etag}
                self._send(200, self._fixture("rss2.xml"), headers)
        elif self.path == "/feeds/atom.xml":
            if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                self._send(304)
            else:
                headers = {"Content-Type": "application/atom+xml", "Last-Modified": LAST_MODIFIED}
                self._send(200, self._fixture("atom.xml"), headers)
        elif self.path == "/feeds/slow.xml":  # one byte every 0.2 s, for up to 10 s
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # cut: fine
                for _ in range(50):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
        elif self.path == "/feeds/not-a-feed.xml":
            self._send(200, b"<html><body><p>Moved</p></body></html>", html)
        elif self.path == "/news/huge.html":
            self._send(200, b"<html><body>" + b"<p>parade</p>" * 5000 + b"</body></html>", html)
        elif self.path.startswith(("/news/", "/notes/", "/private/")):
            name = self.path.rsplit("/", 1)[1]
            if (FEEDS / name).is_file():
                self._send(200, self._fixture(name), html)
            else:
                self._send(200, self._fixture("market-roof.html"), html)  # /private/: never asked
        else:
            self._send(404, b"not found")


@pytest.fixture
def site() -> Iterator[str]:
    NewsSite.requests = []
    NewsSite.rss_version = "v1"
    server = ThreadingHTTPServer(("127.0.0.1", 0), NewsSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def local_fetching(settings_env: Callable[..., None]) -> None:
    """The test server is on loopback, which the SSRF guard refuses unless allowed."""
    settings_env(fetch_allow_private="true", fetch_max_bytes=MAX_PAGE_BYTES)


@pytest.fixture
def session(stack: dict[str, str]) -> Iterator[Session]:
    from shared.db import get_engine, get_sessionmaker

    def wipe() -> None:
        with get_engine().begin() as connection:
            connection.execute(text("TRUNCATE feeds"))

    wipe()
    db = get_sessionmaker()()
    yield db
    db.close()
    wipe()


def paths() -> list[str]:
    return [path for path, _ in NewsSite.requests]


@pytest.mark.usefixtures("local_fetching")
def test_rss2_feed_is_polled_politely_and_its_pages_submitted(site: str, session: Session) -> None:
    from services.ingest.feeds import add_feed, poll_due_feeds, poll_feeds
    from services.ingest.stage import ingest_articles
    from shared.models import Article, Feed

    feed = add_feed(session, f"{site}/feeds/rss2.xml", source="valley-herald")
    [report] = poll_due_feeds(session)
    assert (report.status, report.entries, report.error) == (200, 5, None)
    assert [r.status for r in report.results] == ["accepted", "accepted"]
    assert sorted(reason for _link, reason in report.skipped) == [
        "robots_disallowed",
        "too_large",
        "unsupported_scheme",
    ]
    # Polite: robots.txt once, nothing under /private/, our User-Agent on every request.
    assert paths().count("/robots.txt") == 1
    assert not [p for p in paths() if p.startswith("/private/")]
    user_agent = get_settings().fetch_user_agent
    assert {headers.get("User-Agent") for _, headers in NewsSite.requests} == {user_agent}

    session.expire_all()
    row = session.get(Feed, feed.id)
    assert row is not None
    assert (row.etag, row.last_status) == ('"rss-v1"', 200)
    assert row.last_polled_at is not None
    assert row.error is not None
    assert "1 robots_disallowed" in row.error
    assert "1 too_large" in row.error

    articles = {
        a.external_id: a
        for a in session.scalars(select(Article).where(Article.source == "valley-herald"))
    }
    assert set(articles) == {"vh-rss-001", "vh-rss-002"}
    roof = articles["vh-rss-001"]
    assert roof.url == f"{site}/news/market-roof.html"
    assert roof.input_format == "html"
    assert roof.submitted["title"] == "Market hall roof repaired in time for winter"
    assert roof.submitted["published_at"] == "2026-03-02T08:30:00Z"
    ingest_articles(session, [a.id for a in articles.values()])
    session.refresh(roof)
    assert roof.state == "ingested"
    assert roof.published_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert "Victorian market hall" in (roof.body or "")
    budget = articles["vh-rss-002"]
    assert session.get(Article, budget.id).published_at == datetime(2026, 3, 3, 16, 5, tzinfo=UTC)  # type: ignore[union-attr]

    # Not due again before feed_poll_interval_s.
    assert poll_due_feeds(session) == []
    # Polled anyway: a conditional GET, answered 304, and nothing else fetched.
    before = len(NewsSite.requests)
    [again] = poll_feeds(session, [row])
    assert (again.status, again.results, again.skipped, again.error) == (304, [], [], None)
    assert NewsSite.requests[before:][0][1].get("If-None-Match") == '"rss-v1"'
    assert len(NewsSite.requests) == before + 1

    # The feed changes: known entries are not fetched again; only the skipped ones are retried.
    NewsSite.rss_version = "v2"
    before = len(NewsSite.requests)
    [changed] = poll_feeds(session, [row])
    assert changed.status == 200
    assert changed.results == []
    fetched = [p for p in paths()[before:] if p.startswith("/news/")]
    assert fetched == ["/news/huge.html"]


@pytest.mark.usefixtures("local_fetching")
def test_atom_feed_with_last_modified(site: str, session: Session) -> None:
    from services.ingest.feeds import add_feed, poll_feeds
    from shared.models import Article

    feed = add_feed(session, f"{site}/feeds/atom.xml")
    [report] = poll_feeds(session, [feed])
    assert (report.status, report.entries, report.skipped) == (200, 2, [])
    assert [r.status for r in report.results] == ["accepted", "accepted"]
    articles = {
        a.external_id: a
        for a in session.scalars(select(Article).where(Article.source == "127.0.0.1"))
    }
    dredging = articles["tag:harbour-notes.example.org,2026:dredging"]
    assert dredging.submitted["title"] == "Dredging of the inner harbour starts next month"
    assert dredging.submitted["published_at"] == "2026-03-04T09:00:00Z"
    garden = articles["tag:harbour-notes.example.org,2026:garden"]
    assert garden.submitted["published_at"] == "2026-03-03T15:00:00Z"  # `updated` when no date

    [again] = poll_feeds(session, [feed])
    assert again.status == 304
    assert NewsSite.requests[-1][1].get("If-Modified-Since") == LAST_MODIFIED


def test_the_guard_refuses_loopback_by_default(site: str, session: Session) -> None:
    from services.ingest.feeds import add_feed, poll_due_feeds
    from shared.errors import RejectedInput
    from shared.models import Feed

    get_settings.cache_clear()
    assert get_settings().fetch_allow_private is False
    with pytest.raises(RejectedInput) as refused:
        add_feed(session, f"{site}/feeds/rss2.xml")
    assert refused.value.reason == "blocked_address"
    # A feed registered while private addresses were allowed (or whose host now resolves
    # into the private network) is still refused at every poll.
    feed = Feed(url=f"{site}/feeds/rss2.xml")
    session.add(feed)
    session.commit()
    [report] = poll_due_feeds(session)
    assert report.error is not None
    assert report.error.startswith("blocked_address")
    assert NewsSite.requests == []  # refused before any connection
    session.expire_all()
    row = session.get(Feed, feed.id)
    assert row is not None
    assert row.error == report.error
    assert row.last_polled_at is not None


@pytest.mark.usefixtures("local_fetching")
@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [("/feeds/not-a-feed.xml", 200, "malformed_feed"), ("/feeds/gone.xml", 404, "http_error")],
)
def test_a_broken_feed_is_recorded_on_the_feed(
    site: str, session: Session, path: str, status: int, reason: str
) -> None:
    from services.ingest.feeds import add_feed, poll_feeds

    feed = add_feed(session, f"{site}{path}")
    [report] = poll_feeds(session, [feed])
    assert report.error is not None
    assert report.error.startswith(reason)
    assert feed.last_status == status
    assert (feed.error, feed.etag) == (report.error, None)


@pytest.mark.usefixtures("local_fetching")
def test_feeds_cli_and_the_scheduled_task(site: str, session: Session) -> None:
    from services.cli.main import app
    from services.ingest.tasks import poll_feeds_task

    runner = CliRunner()
    url = f"{site}/feeds/atom.xml"
    added = runner.invoke(app, ["feeds", "add", url, "--source", "harbour-notes"])
    assert added.exit_code == 0, added.output
    assert "added" in added.stderr
    assert "already" in runner.invoke(app, ["feeds", "add", url]).stderr
    refused = runner.invoke(app, ["feeds", "add", "file:///etc/passwd"])
    assert refused.exit_code == 2

    listed = runner.invoke(app, ["feeds", "list", "--json"])
    assert listed.exit_code == 0
    assert '"source": "harbour-notes"' in listed.stdout
    assert '"last_polled_at": null' in listed.stdout

    # What beat runs: polls every due feed.
    assert poll_feeds_task() == {"feeds": 1, "articles": 2}
    assert poll_feeds_task() == {"feeds": 0, "articles": 0}  # not due again yet

    polled = runner.invoke(app, ["feeds", "poll", url])
    assert polled.exit_code == 0, polled.output
    assert "HTTP 304" in polled.stderr

    removed = runner.invoke(app, ["feeds", "remove", url])
    assert removed.exit_code == 0
    assert runner.invoke(app, ["feeds", "remove", url]).exit_code == 1
    assert "[]" not in runner.invoke(app, ["feeds", "list", "--json"]).stdout


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/feed.xml", "blocked_address"),
        ("http://10.1.2.3/rss", "blocked_address"),
        ("http://192.168.0.1/rss", "blocked_address"),
        ("http://[::1]/rss", "blocked_address"),
        ("http://[64:ff9b::7f00:1]/rss", "blocked_address"),
        ("http://localhost/rss", "blocked_address"),
        ("ftp://example.org/rss", "invalid_url"),
    ],
)
def test_feeds_add_refuses_what_the_fetcher_would_refuse(
    session: Session, url: str, reason: str
) -> None:
    from services.cli.main import app
    from shared.models import Feed

    get_settings.cache_clear()
    refused = CliRunner().invoke(app, ["feeds", "add", url])
    assert refused.exit_code == 2
    assert refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()  # one line saying why
    assert url in line or reason == "invalid_url"
    assert session.scalars(select(Feed)).all() == []


def test_a_failed_poll_says_so_instead_of_nothing_new(site: str, session: Session) -> None:
    from services.cli.main import app
    from shared.models import Feed

    get_settings.cache_clear()
    session.add(Feed(url=f"{site}/feeds/rss2.xml"))
    session.commit()
    polled = CliRunner().invoke(app, ["feeds", "poll"])
    assert polled.exit_code == 1
    assert "failed: blocked_address" in polled.stderr
    assert "nothing new" not in polled.stderr
    assert "HTTP -" not in polled.stderr


def test_a_slow_feed_is_cut_at_the_fetch_deadline(
    site: str, session: Session, settings_env: Callable[..., None]
) -> None:
    from services.ingest.feeds import poll_feeds
    from shared.models import Feed

    settings_env(fetch_allow_private="true", fetch_timeout_s=1, fetch_deadline_s=1.5)
    feed = Feed(url=f"{site}/feeds/slow.xml")
    session.add(feed)
    session.commit()
    started = time.monotonic()
    [report] = poll_feeds(session, [feed])
    assert time.monotonic() - started < 4  # the server would go on for 10 s
    assert report.error is not None
    assert report.error.startswith("timeout")
    assert feed.error == report.error
