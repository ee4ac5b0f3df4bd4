"""`newsflow enrich`: extraction + enrichment on files, no services, one JSON line per article.

The same plain functions as the pipeline (`extract`, then `enrich_texts` in batches so spaCy's
`nlp.pipe` pays off), run in this process: the quickest way to see what the enrich stage makes
of an article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from services.cli.output import write_json_lines


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

    records = (extract_item(item) for item in iter_inputs(paths))
    batches = _batches(records, max(1, batch_size))
    write_json_lines(record for batch in batches for record in enrich_records(batch))


def models() -> None:
    """What each language gets: the spaCy model that reads it, or none (no entities, no
    speakers; keywords are words). Nothing is loaded or downloaded."""
    from services.enrich.enrichment import ENTITY_RULES, QUOTES_METHOD
    from services.enrich.language import detector_version
    from services.enrich.models import language_support

    typer.echo(f"rules: {ENTITY_RULES}, {QUOTES_METHOD}; language detection: {detector_version()}")
    for row in language_support():
        if row.model is None:
            what = "none: language, keywords (words), summary; no entities, no speakers"
        elif row.model.startswith("xx_"):
            what = f"{row.model} (multilingual): entities; keywords (words)"
        else:
            what = f"{row.model}: entities, speakers, keywords (noun phrases), summary"
        typer.echo(f"{row.language}  {what}")
