"""`newsflow extract`: run extraction on files, no services needed, one JSON line per article."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer

from services.cli.output import write_json_lines
from services.ingest.files import InputItem, iter_inputs

_FIELDS = (
    "title",
    "dateline",
    "headings",
    "body",
    "authors",
    "published_at",
    "site_name",
    "canonical_url",
    "language",
)
# Items per task sent to a worker process: large enough to amortise the pickling.
_CHUNK = 8


def extract_item(item: InputItem) -> dict[str, Any]:
    """The output object for one input: extracted fields, or the error that prevented them."""
    from services.ingest.extraction import extract

    out: dict[str, Any] = {"path": item.path}
    if item.index is not None:
        out["index"] = item.index
    if item.error is not None or item.content is None:
        return {**out, "error": item.error or "no content"}
    try:
        extracted = extract(item.content, item.input_format, url=item.url)
    except Exception as exc:  # noqa: BLE001 - one bad file must not end the run
        return {**out, "error": f"{type(exc).__name__}: {exc}"}
    data = extracted.with_submitted(
        title=item.title, published_at=item.published_at, language=item.language
    ).to_json()
    out.update({key: data[key] for key in _FIELDS})
    if not extracted.body:
        out["error"] = "no article text found"
    return out


def _results(paths: list[Path], jobs: int) -> Iterator[dict[str, Any]]:
    items = iter_inputs(paths)
    if jobs <= 1:
        yield from map(extract_item, items)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # map keeps the input order, so output lines follow the files as given.
        yield from pool.map(extract_item, items, chunksize=_CHUNK)


def extract(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories.")],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Worker processes (0: one per CPU).")
    ] = 0,
) -> None:
    """Extract articles from .txt/.html/.json/.jsonl files (optionally .gz); print JSON lines."""
    write_json_lines(_results(paths, jobs or min(os.cpu_count() or 1, 8)))
