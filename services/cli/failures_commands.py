"""`newsflow failures list|summary|replay|history`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from services.cli.output import article_or_exit, console, print_json
from shared.times import as_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

failures_app = typer.Typer(no_args_is_help=True, help="Failed articles: list and replay.")

StageOption = Annotated[
    str | None, typer.Option(help="Only failures of this stage: ingest, enrich or index.")
]
ReasonOption = Annotated[
    str | None, typer.Option(help="Only failures with this reason (error class).")
]
_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
SinceOption = Annotated[
    datetime | None,
    typer.Option(help="Failed at or after (UTC, ISO 8601).", formats=_DATE_FORMATS),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option(help="Failed at or before (UTC, ISO 8601).", formats=_DATE_FORMATS),
]


def _filter(
    stage: str | None,
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
    ids: list[str] | None = None,
) -> Any:
    from shared.failures import FailureFilter
    from shared.states import Stage

    try:
        stage_value = Stage(stage) if stage else None
    except ValueError as exc:
        raise typer.BadParameter(f"unknown stage {stage!r}", param_hint="--stage") from exc
    return FailureFilter(
        stage=stage_value,
        reason=reason,
        since=as_utc(since),
        until=as_utc(until),
        ids=list(ids or []),
    )


@failures_app.command("list")
def list_command(
    stage: StageOption = None,
    reason: ReasonOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Rows per page.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="Cursor printed by a previous list.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Failed articles, newest first."""
    from shared.cursors import InvalidCursor
    from shared.db import session_scope
    from shared.failures import count_failures, failure_view, list_failures

    failures = _filter(stage, reason, since, until)
    with session_scope() as session:
        try:
            page, next_cursor = list_failures(session, failures, limit=limit, cursor=cursor)
        except InvalidCursor as exc:
            raise typer.BadParameter("invalid page cursor", param_hint="--cursor") from exc
        total = count_failures(session, failures)
        items = [failure_view(article) for article in page]
    if as_json:
        print_json({"total": total, "items": items, "next_cursor": next_cursor})
        return
    # Two lines per failure, each under 80 columns: the id whole (to copy into `replay`),
    # then the first line of the error, cut to the width.
    out = Console(width=min(Console().width, 200))
    out.print(f"{total} failed article(s)", highlight=False)
    for item in items:
        out.print(
            f"{item['id']}  {item['stage'] or '-'}  {item['failed_at']:%m-%d %H:%M}  "
            f"x{item['attempts']}  {item['reason'] or ''}",
            highlight=False,
            overflow="ellipsis",
            no_wrap=True,
        )
        error = (item["error"] or "").splitlines()[0] if item["error"] else ""
        if error:
            out.print(f"    {error}", highlight=False, overflow="ellipsis", no_wrap=True)
    if next_cursor:
        console.print(f"more: --cursor {next_cursor}")


@failures_app.command("summary")
def summary_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """How many articles failed, per stage and reason."""
    from shared.db import session_scope
    from shared.failures import failure_counts

    with session_scope() as session:
        counts = failure_counts(session)
    if as_json:
        print_json({"counts": counts})
        return
    table = Table(title="failures")
    for column in ("stage", "reason", "count"):
        table.add_column(column)
    for row in counts:
        table.add_row(row["stage"] or "", row["reason"] or "", str(row["count"]))
    Console().print(table)


@failures_app.command("replay")
def replay_command(
    ids: Annotated[list[str] | None, typer.Argument(help="Article ids to replay.")] = None,
    stage: StageOption = None,
    reason: ReasonOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every failure.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Re-run failed articles from the stage that failed them: ids, a filter, or --all."""
    from shared.db import session_scope
    from shared.failures import replay_failures

    failures = _filter(stage, reason, since, until, ids)
    if failures.is_empty and not replay_all:
        raise typer.BadParameter(
            "give article ids, a filter (--stage, --reason, --since, --until) or --all"
        )
    with session_scope() as session:
        result = replay_failures(session, failures)
        unknown = _unknown_ids(session, ids or [])
    if as_json:
        print_json({**result, "unknown_ids": unknown})
    else:
        by_stage = ", ".join(f"{n} to {stage}" for stage, n in result["by_stage"].items())
        suffix = f": {by_stage}" if by_stage else ""
        console.print(f"replayed {result['replayed']} article(s){suffix}")
    if unknown:
        shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        console.print(f"{len(unknown)} of {len(set(ids or []))} ids are unknown: {shown}")
        raise typer.Exit(1)


def _unknown_ids(session: Session, ids: list[str]) -> list[str]:
    """The ids given that name no article at all (not merely one that is not failed)."""
    from sqlalchemy import select

    from shared.models import Article

    if not ids:
        return []
    known = set(session.scalars(select(Article.id).where(Article.id.in_(ids))))
    return [i for i in dict.fromkeys(ids) if i not in known]


@failures_app.command("history")
def history_command(article_id: str) -> None:
    """Every recorded stage attempt of one article, as JSON."""
    from shared.db import session_scope
    from shared.failures import article_history

    with session_scope() as session:
        article = article_or_exit(session, article_id)
        events = article_history(session, article_id)
        print_json({"id": article.id, "state": article.state, "events": events})
