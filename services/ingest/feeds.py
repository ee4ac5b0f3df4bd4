"""RSS 1.0/2.0 and Atom feeds: registered in the store, polled with conditional GETs.

A poll fetches the feed (If-None-Match / If-Modified-Since, so an unchanged feed costs one
304), parses it with feedparser, fetches the page of each entry the store does not hold yet
(politely: see `services.ingest.fetch`) and submits the pages through `submit_articles`,
the same door as the API and the CLI. An entry whose page cannot be fetched (robots.txt,
too large, an HTTP error) is not submitted; it is logged and counted in the feed's `error`,
and tried again when the feed next changes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser
import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.ingest.decoding import UndecodableInput, decode_bytes
from services.ingest.fetch import Fetcher, FetchError, FetchResult, check_url
from shared.errors import RejectedInput
from shared.identity import article_id, is_web_url
from shared.models import Article, Feed, utcnow
from shared.schemas import ArticleIn, SubmitResult
from shared.settings import get_settings
from shared.submission import parse_article, submit_articles

log = structlog.get_logger(__name__)

_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
_MAX_PAGE_WORKERS = 8  # threads per poll; the per-host limit still applies


class FeedExists(Exception):
    def __init__(self, feed: Feed) -> None:
        super().__init__(f"feed {feed.id} already has this URL")
        self.feed = feed


@dataclass
class Entry:
    """What a feed says about one article."""

    link: str
    external_id: str
    title: str | None = None
    published_at: datetime | None = None


@dataclass
class PollReport:
    feed_id: int
    url: str
    status: int | None = None  # HTTP status of the feed request
    entries: int = 0
    results: list[SubmitResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (link, reason)
    error: str | None = None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        if self.skipped:
            counts["skipped"] = len(self.skipped)
        return counts


def add_feed(session: Session, url: str, source: str | None = None) -> Feed:
    """Register a feed. Refused at once (`RejectedInput`) when the fetcher would refuse it at
    every poll: not http(s), a host that does not resolve or resolves into the private
    network (unless `fetch_allow_private`)."""
    url = url.strip()
    if not is_web_url(url):
        raise RejectedInput("a feed URL must be an absolute http(s) URL", reason="invalid_url")
    try:
        check_url(url, allow_private=get_settings().fetch_allow_private)
    except FetchError as exc:
        hint = ""
        if exc.reason == "blocked_address":
            hint = " (for an intranet feed, set NEWSFLOW_FETCH_ALLOW_PRIVATE=true)"
        raise RejectedInput(f"refusing {url}: {exc}{hint}", reason=exc.reason) from None
    existing = session.scalar(select(Feed).where(Feed.url == url))
    if existing is not None:
        raise FeedExists(existing)
    feed = Feed(url=url, source=(source or "").strip() or None)
    session.add(feed)
    session.commit()
    return feed


def find_feed(session: Session, url_or_id: str) -> Feed | None:
    if url_or_id.isdigit():
        return session.get(Feed, int(url_or_id))
    return session.scalar(select(Feed).where(Feed.url == url_or_id.strip()))


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.id)))


def remove_feed(session: Session, url_or_id: str) -> bool:
    feed = find_feed(session, url_or_id)
    if feed is None:
        return False
    session.delete(feed)
    session.commit()
    return True


def feed_source(feed: Feed) -> str:
    """The source name of a feed's articles: as registered, else the feed's host."""
    return feed.source or (urlsplit(feed.url).hostname or "feed").removeprefix("www.")


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return datetime(*value[:6], tzinfo=UTC)
    return None


def parse_entries(content: bytes, headers: dict[str, str] | None = None) -> list[Entry]:
    """The entries of an RSS or Atom document that link to a page."""
    parsed = feedparser.parse(content, response_headers=headers or {})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        error = parsed.get("bozo_exception")
        raise FetchError(f"not a readable RSS or Atom feed: {error}", reason="malformed_feed")
    entries = []
    for item in parsed.entries:
        link = (item.get("link") or "").strip()
        if not link:
            continue  # nothing to fetch; an entry without a page is not an article here
        entries.append(
            Entry(
                link=link,
                external_id=(item.get("id") or link).strip(),
                title=(item.get("title") or "").strip() or None,
                published_at=_entry_time(item),
            )
        )
    return entries


def _page_article(entry: Entry, page: FetchResult, source: str) -> ArticleIn:
    if page.media_type not in _PAGE_TYPES:
        raise RejectedInput(f"{page.media_type} is not a web page", reason="not_a_page")
    try:
        # A wrong charset header fails to decode and detection decides.
        text = decode_bytes(page.content, charset=page.charset)
    except UndecodableInput as exc:
        raise RejectedInput(str(exc), reason="undecodable_page") from None
    kind = "text" if page.media_type == "text/plain" else "html"
    return parse_article(
        {
            kind: text,
            "url": entry.link,
            "title": entry.title,
            "source": source,
            "external_id": entry.external_id,
            "published_at": entry.published_at.isoformat() if entry.published_at else None,
        }
    )


def _fetch_page(fetcher: Fetcher, entry: Entry, source: str) -> ArticleIn | tuple[str, str]:
    """The entry's page as an article, or (reason, message) when it cannot be had."""
    try:
        return _page_article(entry, fetcher.get(entry.link), source)
    except (FetchError, RejectedInput) as exc:
        return exc.reason, str(exc)


def _new_entries(session: Session, entries: Sequence[Entry], source: str) -> list[Entry]:
    """Entries whose article the store does not hold yet (one query): a feed lists the same
    entries poll after poll, and their pages must not be fetched every time."""
    ids = {
        e.link: article_id(source=source, external_id=e.external_id, url=e.link, content="")
        for e in entries
    }
    known = set(session.scalars(select(Article.id).where(Article.id.in_(list(ids.values())))))
    unique = {e.link: e for e in entries if ids[e.link] not in known}
    return list(unique.values())


def poll_feed(session: Session, feed: Feed, fetcher: Fetcher) -> PollReport:
    """Poll one feed now; records the outcome on the feed row and commits."""
    settings = get_settings()
    report = PollReport(feed.id, feed.url)
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    feed.last_polled_at = utcnow()
    try:
        response = fetcher.get(feed.url, headers=headers, check_robots=False)
    except FetchError as exc:
        return _poll_failed(session, feed, report, exc, exc.status)
    report.status = feed.last_status = response.status
    if response.status == 304:
        feed.error = None
        session.commit()
        return report
    try:
        entries = parse_entries(response.content, dict(response.headers))
    except FetchError as exc:
        return _poll_failed(session, feed, report, exc, response.status)
    # Validators only after a successful parse: a broken response must not hide the next one.
    feed.etag = response.headers.get("etag")
    feed.last_modified = response.headers.get("last-modified")
    report.entries = len(entries)
    source = feed_source(feed)
    todo = _new_entries(session, entries[: settings.feed_max_entries], source)
    with ThreadPoolExecutor(max_workers=_MAX_PAGE_WORKERS) as pool:
        pages = list(pool.map(lambda e: _fetch_page(fetcher, e, source), todo))
    items = []
    for entry, page in zip(todo, pages, strict=True):
        if isinstance(page, ArticleIn):
            items.append(page)
        else:
            report.skipped.append((entry.link, page[0]))
            log.warning("feed_entry_skipped", feed_id=feed.id, url=entry.link, reason=page[0])
    report.results = submit_articles(session, items) if items else []
    report.skipped += [
        (item.url or "", result.reason or "rejected")
        for item, result in zip(items, report.results, strict=True)
        if result.status == "rejected"
    ]
    feed.error = _skipped_summary(report.skipped)
    session.commit()
    log.info("feed_polled", feed_id=feed.id, entries=len(entries), **report.counts())
    return report


def _poll_failed(
    session: Session, feed: Feed, report: PollReport, exc: FetchError, status: int | None
) -> PollReport:
    report.status = feed.last_status = status
    report.error = feed.error = f"{exc.reason}: {exc}"
    session.commit()
    log.warning("feed_poll_failed", feed_id=feed.id, reason=exc.reason, error=str(exc))
    return report


def _skipped_summary(skipped: Sequence[tuple[str, str]]) -> str | None:
    if not skipped:
        return None
    reasons: dict[str, int] = {}
    for _link, reason in skipped:
        reasons[reason] = reasons.get(reason, 0) + 1
    summary = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    return f"entries skipped: {summary}; first: {skipped[0][0]}"


def _claim_due(session: Session, feed: Feed, cutoff: datetime) -> bool:
    """Stamp the feed as being polled unless another scheduler did since we looked."""
    claimed = session.execute(
        update(Feed)
        .where(Feed.id == feed.id, or_(Feed.last_polled_at.is_(None), Feed.last_polled_at < cutoff))
        .values(last_polled_at=utcnow())
    )
    session.commit()
    return bool(getattr(claimed, "rowcount", 0))


def poll_due_feeds(session: Session, fetcher: Fetcher | None = None) -> list[PollReport]:
    """Poll every feed not polled within `feed_poll_interval_s` (the scheduler's task)."""
    cutoff = utcnow() - timedelta(seconds=get_settings().feed_poll_interval_s)
    due = session.scalars(
        select(Feed)
        .where(or_(Feed.last_polled_at.is_(None), Feed.last_polled_at < cutoff))
        .order_by(Feed.last_polled_at.nulls_first(), Feed.id)
    ).all()
    reports = []
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        for feed in due:
            if _claim_due(session, feed, cutoff):
                session.refresh(feed)
                reports.append(poll_feed(session, feed, fetcher))
    finally:
        if own_fetcher:
            fetcher.close()
    return reports


def poll_feeds(
    session: Session, feeds: Sequence[Feed], fetcher: Fetcher | None = None
) -> list[PollReport]:
    """Poll these feeds now, due or not (the CLI's `feeds poll`)."""
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        return [poll_feed(session, feed, fetcher) for feed in feeds]
    finally:
        if own_fetcher:
            fetcher.close()
