"""`newsflow ingest` and `newsflow feeds`: the command-line doors of the ingest stage.

Files are read by `services.ingest.files` and submitted in chunks through
`shared.submission.submit_articles`, the same path as POST /v1/articles/batch.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from services.ingest.feeds import PollReport
    from services.ingest.files import InputItem
    from shared.schemas import ArticleIn, SubmitResult

console = Console(stderr=True)
feeds_app = typer.Typer(no_args_is_help=True, help="RSS and Atom feeds the scheduler polls.")

# Articles per submission: one transaction and a few queries each; a failure costs a chunk.
CHUNK_ITEMS = 200
STATUSES = ("accepted", "unchanged", "revised", "duplicate", "rejected")


def _label(item: InputItem) -> str:
    return item.path if item.index is None else f"{item.path}#{item.index}"


def _as_article(item: InputItem, source: str | None) -> ArticleIn | SubmitResult:
    """The item as an article, or the rejection that explains why it is not one."""
    from shared.errors import RejectedInput
    from shared.schemas import SubmitResult
    from shared.submission import parse_article

    if item.error is not None or item.content is None:
        return SubmitResult(
            status="rejected", reason="unreadable_input", detail=item.error or "no content"
        )
    data: dict[str, object] = {item.input_format: item.content, **item.metadata()}
    if source and not data.get("source"):
        data["source"] = source
    try:
        return parse_article(data)
    except RejectedInput as exc:
        return SubmitResult(status="rejected", reason=exc.reason, detail=str(exc))


def _chunks(items: Iterator[InputItem], size: int) -> Iterator[list[InputItem]]:
    chunk: list[InputItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories.")],
    source: Annotated[
        str | None, typer.Option(help="Source name for articles that do not name their own.")
    ] = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="Print one JSON result per article on stdout.")
    ] = False,
) -> None:
    """Submit files to the pipeline: .txt, .html/.htm, .json, .jsonl/.ndjson, and their .gz.

    Same path as POST /v1/articles/batch. Ends with a summary; exits 1 if any article was
    rejected.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from services.ingest.files import find_input_files, input_kind, read_inputs
    from shared.db import session_scope
    from shared.schemas import ArticleIn
    from shared.submission import submit_articles

    files = list(find_input_files(paths))
    skipped = [
        p
        for path in paths
        if path.is_dir()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not input_kind(p)
    ]
    if skipped:
        console.print(
            f"[yellow]skipped[/] {len(skipped)} file(s) of other types under the directories "
            f"(first: {skipped[0]}); read are .txt, .html/.htm, .json, .jsonl/.ndjson and .gz",
            highlight=False,
            soft_wrap=True,
        )
    counts = dict.fromkeys(STATUSES, 0)
    started = time.monotonic()
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )

    def read_all() -> Iterator[InputItem]:
        for file in files:
            yield from read_inputs(file)
            progress.advance(task)

    with progress, session_scope() as session:
        task = progress.add_task("ingesting files", total=len(files))
        for chunk in _chunks(read_all(), CHUNK_ITEMS):
            outcomes = [_as_article(item, source) for item in chunk]
            articles = [o for o in outcomes if isinstance(o, ArticleIn)]
            submitted = iter(submit_articles(session, articles))
            for item, outcome in zip(chunk, outcomes, strict=True):
                result = next(submitted) if isinstance(outcome, ArticleIn) else outcome
                counts[result.status] += 1
                if result.status == "rejected":
                    progress.console.print(
                        f"[yellow]rejected[/] {_label(item)}: {result.reason} ({result.detail})",
                        highlight=False,
                        soft_wrap=True,  # one line per article, greppable
                    )
                if json_lines:
                    line = {"path": item.path, "index": item.index, **result.model_dump()}
                    sys.stdout.write(json.dumps(line) + "\n")
    elapsed = time.monotonic() - started
    total = sum(counts.values())
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    rate = f" ({total / elapsed:.0f}/s)" if elapsed > 0 and total else ""
    console.print(
        f"{total} articles from {len(files)} files in {elapsed:.1f}s{rate}: {summary}",
        highlight=False,
        soft_wrap=True,
    )
    if counts["rejected"]:
        raise typer.Exit(1)


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS 1.0/2.0 or Atom).")],
    source: Annotated[
        str | None, typer.Option(help="Source name of its articles (default: the host).")
    ] = None,
) -> None:
    """Register a feed; the scheduler polls it from now on."""
    from services.ingest.feeds import FeedExists, add_feed
    from shared.db import session_scope
    from shared.errors import RejectedInput

    with session_scope() as session:
        try:
            feed = add_feed(session, url, source)
        except RejectedInput as exc:
            console.print(f"[red]{exc}[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except FeedExists as exc:
            console.print(f"feed {exc.feed.id} already polls {exc.feed.url}")
            return
        console.print(f"feed {feed.id} added: {feed.url}")


@feeds_app.command("list")
def feeds_list(
    json_lines: Annotated[bool, typer.Option("--json", help="One JSON object per feed.")] = False,
) -> None:
    """The registered feeds and how their last poll went."""
    from rich.table import Table

    from services.ingest.feeds import list_feeds
    from shared.db import session_scope

    with session_scope() as session:
        feeds = list_feeds(session)
        rows = [
            {
                "id": f.id,
                "url": f.url,
                "source": f.source,
                "last_polled_at": f.last_polled_at.isoformat() if f.last_polled_at else None,
                "last_status": f.last_status,
                "error": f.error,
            }
            for f in feeds
        ]
    if json_lines:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
        return
    table = Table("id", "url", "source", "last polled", "status", "error")
    for row in rows:
        table.add_row(*(str(row[k] if row[k] is not None else "") for k in row))
    Console().print(table)


@feeds_app.command("remove")
def feeds_remove(url_or_id: Annotated[str, typer.Argument(help="Feed URL or id.")]) -> None:
    """Stop polling a feed (its articles stay)."""
    from services.ingest.feeds import remove_feed
    from shared.db import session_scope

    with session_scope() as session:
        if not remove_feed(session, url_or_id):
            console.print(f"no feed {url_or_id}")
            raise typer.Exit(1)
    console.print(f"feed {url_or_id} removed")


def _print_report(report: PollReport) -> None:
    status = f"HTTP {report.status}, " if report.status is not None else ""
    if report.error:  # the feed itself could not be had: no count would mean anything
        line = f"feed {report.feed_id} {report.url}: {status}[red]failed: {report.error}[/]"
    else:
        counts = ", ".join(f"{v} {k}" for k, v in report.counts().items()) or "nothing new"
        line = f"feed {report.feed_id} {report.url}: {status}{counts}"
    console.print(line, highlight=False, soft_wrap=True)
    for link, reason in report.skipped:
        console.print(f"  [yellow]skipped[/] {link}: {reason}", highlight=False)


@feeds_app.command("poll")
def feeds_poll(
    feeds: Annotated[
        list[str] | None, typer.Argument(help="Feed URLs or ids (default: every feed).")
    ] = None,
) -> None:
    """Poll feeds now, due or not, and submit their new entries."""
    from services.ingest.feeds import find_feed, list_feeds, poll_feeds
    from shared.db import session_scope

    with session_scope() as session:
        if feeds:
            found = [find_feed(session, f) for f in feeds]
            missing = [f for f, feed in zip(feeds, found, strict=True) if feed is None]
            if missing:
                console.print(f"no feed {', '.join(missing)}")
                raise typer.Exit(1)
            selected = [feed for feed in found if feed is not None]
        else:
            selected = list_feeds(session)
        reports = poll_feeds(session, selected)
    for report in reports:
        _print_report(report)
    if any(r.error for r in reports):
        raise typer.Exit(1)
