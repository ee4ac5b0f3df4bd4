"""`newsflow status` (one screen for ops) and `newsflow trace ID` (one article's path).

Screens and tables go to stderr, JSON (`--json`) to stdout, like every command.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from services.cli.output import console, print_json

# --- status --------------------------------------------------------------------------------


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def _render(snap: dict[str, Any]) -> Group:
    deps = snap["dependencies"]
    line = Text(f"newsflow status at {snap['at'][:19]}Z   ")
    for name, dep in deps.items():
        label = "ok" if dep["ok"] and dep["detail"] == "ok" else dep["detail"]
        style = "green" if dep["ok"] and dep["detail"] in ("ok", "green") else "red"
        if dep["ok"] and dep["detail"] == "yellow":
            style = "yellow"
        line.append(f"{name} ", style="bold")
        line.append(f"{label if dep['ok'] else 'DOWN: ' + label}   ", style=style)

    window = int(snap["window_s"])
    stages = Table(title=f"stages (last {window}s)", title_justify="left", expand=False)
    for column in ("stage", "workers", "rate/s", "ok", "failed", "retry", "queued", "oldest"):
        stages.add_column(column, justify="left" if column in ("stage", "workers") else "right")
    activity = snap["stages"] or {}
    queues = snap["queues"] or {}
    workers = snap["workers"] or {}
    for stage in ("ingest", "enrich", "index", "scheduler", "feeds", "alerts"):
        act = activity.get(stage, {})
        outcomes = act.get("outcomes", {})
        live = workers.get(stage) if isinstance(workers, dict) else None
        if snap["workers"] is None or "error" in workers:
            who = Text("unknown", style="yellow")
        elif live:
            who = Text(f"{len(live)} up", style="green")
        else:
            who = Text("NONE", style="red bold")
        queue = queues.get(stage, {})
        stages.add_row(
            stage,
            who,
            f"{act['per_s']:.2f}" if act else "-",
            str(outcomes.get("ok", 0) + outcomes.get("duplicate", 0)) if act else "-",
            str(outcomes.get("failed", 0)) if act else "-",
            str(outcomes.get("retry", 0)) if act else "-",
            str(queue.get("depth", "-")),
            _age(queue.get("oldest_age_s")) if queue else "-",
        )

    states = Table(title="articles", title_justify="left")
    states.add_column("state")
    states.add_column("count", justify="right")
    states.add_column("longest wait", justify="right")
    for state, stats in (snap["states"] or {}).items():
        states.add_row(state, str(stats["count"]), _age(stats["oldest_age_s"]))

    failures = Table(title="failures by reason", title_justify="left")
    for column in ("stage", "reason", "count"):
        failures.add_column(column, justify="right" if column == "count" else "left")
    for row in (snap["failures"] or [])[:10]:
        failures.add_row(str(row["stage"]), str(row["reason"]), str(row["count"]))
    if not snap["failures"]:
        failures.add_row("-", "none" if snap["failures"] is not None else "store unreachable", "0")
    return Group(line, stages, states, failures)


def status(
    watch: Annotated[bool, typer.Option("--watch", help="Refresh in place until Ctrl-C.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.", min=0.5)] = 2.0,
    window: Annotated[float, typer.Option(help="Seconds the rates look back.", min=1)] = 60.0,
) -> None:
    """Pipeline at a glance: stage rates, queues, states, failures, workers, dependencies.

    Exits 1 when a dependency (PostgreSQL, Redis, Elasticsearch) is down.
    """
    from shared.monitoring import snapshot

    def take() -> dict[str, Any]:
        return snapshot(window_s=window)

    def healthy(snap: dict[str, Any]) -> bool:
        return all(dep["ok"] for dep in snap["dependencies"].values())

    if as_json:
        while True:
            snap = take()
            sys.stdout.write(json.dumps(snap, default=str) + "\n")
            sys.stdout.flush()
            if not watch:
                raise typer.Exit(0 if healthy(snap) else 1)
            time.sleep(interval)
    if not watch:
        snap = take()
        console.print(_render(snap))
        raise typer.Exit(0 if healthy(snap) else 1)
    try:
        with Live(_render(take()), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(interval)
                live.update(_render(take()), refresh=True)
    except KeyboardInterrupt:
        pass


# --- trace ---------------------------------------------------------------------------------


def _stage_log_lines(article_id: str, logs: Path) -> list[dict[str, Any]]:
    """`stage_done` lines of the workers' JSON logs whose batch held the article."""
    found: list[dict[str, Any]] = []
    for path in sorted(logs.glob("*.log*")):
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                for raw in lines:
                    if article_id not in raw or '"stage_done"' not in raw:
                        continue
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        continue
                    if article_id in (entry.get("article_ids") or []):
                        found.append(entry)
        except OSError:
            continue
    return found


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def trace_article(article_id: str, logs: Path | None) -> dict[str, Any] | None:
    """One article's path through the pipeline: its stage events, the time between them, and
    (from the workers' logs, when given) the time its batch spent in each stage's work."""
    from shared.db import session_scope
    from shared.failures import article_history
    from shared.models import Article

    with session_scope() as session:
        article = session.get(Article, article_id)
        if article is None:
            return None
        history = article_history(session, article_id)
        accepted = article.created_at
        head: dict[str, Any] = {
            "id": article.id,
            "revision": article.revision,
            "state": article.state,
            "source": article.source,
            "accepted_at": accepted,
            "indexed_at": article.indexed_at,
        }
    done = _stage_log_lines(article_id, logs) if logs and logs.is_dir() else []
    steps: list[dict[str, Any]] = [
        {"at": accepted, "stage": "api", "outcome": "accepted", "revision": 1, "since_prev_s": 0.0}
    ]
    previous = accepted
    for event in history:
        step = {
            "at": event["at"],
            "stage": event["stage"],
            "outcome": event["outcome"],
            "revision": event["revision"],
            "since_prev_s": round((event["at"] - previous).total_seconds(), 3),
            "detail": (event["detail"] or "")[:200] or None,
        }
        # The log line of the batch that finished this step: within a few seconds after the
        # commit that recorded the event (the line is written once the task returns).
        if event["outcome"] in ("ok", "duplicate"):
            for entry in done:
                logged = _parse_time(entry["timestamp"])
                lag = (logged - event["at"]).total_seconds()
                if entry.get("stage") == event["stage"] and -1 <= lag <= 30:
                    step["work_s"] = entry.get("duration_s")
                    step["task_id"] = entry.get("task_id")
                    break
        steps.append(step)
        previous = event["at"]
    total = None
    if head["state"] == "indexed" and head["indexed_at"] is not None:
        total = round((head["indexed_at"] - accepted).total_seconds(), 3)
    return {**head, "steps": steps, "accepted_to_indexed_s": total}


def trace(
    article_id: str,
    logs: Annotated[
        Path | None,
        typer.Option(help="Directory of the workers' JSON logs (default: the stack's logs/)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """Follow one article from the API to the index, with the time spent in each step."""
    from shared.settings import get_settings

    logs = logs if logs is not None else get_settings().stack_dir / "logs"
    result = trace_article(article_id, logs)
    if result is None:
        console.print(f"no article {article_id}")
        raise typer.Exit(1)
    if as_json:
        print_json(result)
        return
    table = Table(
        title=f"article {result['id']} (revision {result['revision']}, {result['state']}, "
        f"source {result['source']})",
        title_justify="left",
    )
    for column in (
        f"{result['accepted_at']:%Y-%m-%d} UTC",
        "stage",
        "outcome",
        "rev",
        "+time",
        "work",
        "task",
        "detail",
    ):
        table.add_column(column, justify="right" if column in ("+time", "work") else "left")
    for step in result["steps"]:
        work = step.get("work_s")
        table.add_row(
            step["at"].strftime("%H:%M:%S.%f")[:-3],
            step["stage"],
            step["outcome"],
            str(step["revision"]),
            f"+{step['since_prev_s']:.3f}s",
            f"{work:.3f}s" if isinstance(work, int | float) else "",
            (step.get("task_id") or "")[:8],
            step.get("detail") or "",
        )
    console.print(table)
    if result["accepted_to_indexed_s"] is not None:
        console.print(f"accepted -> indexed in {result['accepted_to_indexed_s']:.3f}s")
