"""`newsflow enrich`: extraction + enrichment on files, no services, one JSON line per article.

The same plain functions as the pipeline (`extract`, then `enrich_texts` in batches so spaCy's
`nlp.pipe` pays off), run in this process: the quickest way to see what the enrich stage makes
of an article.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

console = Console(stderr=True)


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def enrich_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the enrichment fields to `newsflow extract` records (those without an error)."""
    from services.enrich.enrichment import ArticleText, enrich_texts

    ready = [r for r in records if "error" not in r]
    texts = [
        ArticleText(
            title=r.get("title"),
            body=r.get("body") or "",
            headings=list(r.get("headings") or []),
            dateline=r.get("dateline"),
        )
        for r in ready
    ]
    for record, enrichment in zip(ready, enrich_texts(texts), strict=True):
        # The language the text is in wins over what the page declared.
        record["language"] = enrichment["language"] or record.get("language")
        record["entities"] = [
            {"name": e["name"], "type": e["type"], "mentions": e["mentions"]}
            for e in enrichment["entities"]
        ]
        record["quotes"] = [
            {"text": q["text"], "speaker": q["speaker"]} for q in enrichment["quotes"]
        ]
        record["keywords"] = enrichment["keywords"]
        record["summary"] = enrichment["summary"]
    return records


def enrich(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories.")],
    batch_size: Annotated[int, typer.Option(help="Articles per spaCy batch.")] = 32,
) -> None:
    """Extract and enrich .txt/.html/.json/.jsonl files (optionally .gz); print JSON lines."""
    from services.cli.extract_commands import extract_item
    from services.ingest.files import iter_inputs

    started = time.perf_counter()
    count = failed = 0
    out = sys.stdout.buffer
    records = (extract_item(item) for item in iter_inputs(paths))
    for batch in _batches(records, max(1, batch_size)):
        for record in enrich_records(batch):
            out.write(orjson.dumps(record) + b"\n")
            count += 1
            failed += "error" in record
        out.flush()
    elapsed = time.perf_counter() - started
    console.print(f"{count} inputs, {failed} with errors, in {elapsed:.1f}s")
