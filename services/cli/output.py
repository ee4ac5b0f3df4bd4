"""What every `newsflow` command prints the same way: JSON on stdout, messages on stderr."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.console import Console

if TYPE_CHECKING:  # the store's modules load only for the commands that use it
    from sqlalchemy.orm import Session

    from shared.models import Article

# Messages and tables a person reads; stdout carries only the data, for pipes.
console = Console(stderr=True)


def print_json(data: Any) -> None:
    """One JSON document, indented (dates as ISO strings)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def write_json_lines(records: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line as each record comes (a record with an `error` counts as
    failed), then a summary line on stderr; exit code 1 when any record failed (a missing
    file, say), after every record is printed."""
    started = time.perf_counter()
    count = failed = 0
    out = sys.stdout.buffer
    for record in records:
        out.write(orjson.dumps(record) + b"\n")
        out.flush()
        count += 1
        failed += "error" in record
    elapsed = time.perf_counter() - started
    console.print(f"{count} inputs, {failed} with errors, in {elapsed:.1f}s")
    if failed:
        raise typer.Exit(1)


def article_or_exit(session: Session, article_id: str) -> Article:
    """The stored article, or exit 1 saying there is none."""
    from shared.models import Article

    article = session.get(Article, article_id)
    if article is None:
        console.print(f"no article {article_id}")
        raise typer.Exit(1)
    return article
