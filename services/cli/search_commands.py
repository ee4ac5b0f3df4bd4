"""`newsflow search`, `newsflow reindex` and `newsflow index ...`: the search side of the CLI."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from services.cli.output import console, print_json

index_app = typer.Typer(no_args_is_help=True, help="The search index.")


def search(
    q: Annotated[
        str, typer.Argument(help='Query: words, "phrases", -exclusion, OR (docs/search.md).')
    ] = "",
    person: Annotated[list[str] | None, typer.Option(help="Person (repeatable: any).")] = None,
    organization: Annotated[list[str] | None, typer.Option(help="Organization.")] = None,
    place: Annotated[list[str] | None, typer.Option(help="Place.")] = None,
    event: Annotated[list[str] | None, typer.Option(help="Event.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source.")] = None,
    language: Annotated[list[str] | None, typer.Option(help="ISO 639-1 code.")] = None,
    speaker: Annotated[list[str] | None, typer.Option(help="Quoted speaker.")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Keyword.")] = None,
    since: Annotated[
        str | None, typer.Option(help="ISO date or time (UTC); a date alone: from 00:00.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="ISO date or time (UTC); a date alone: the whole day.")
    ] = None,
    sort: Annotated[str | None, typer.Option(help="relevance or newest.")] = None,
    size: Annotated[int, typer.Option(help="Hits per page.")] = 10,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
    collapse: Annotated[bool, typer.Option(help="One hit per story.")] = True,
    facets: Annotated[bool, typer.Option(help="Facets with the first page.")] = False,
    facet_size: Annotated[int, typer.Option(help="Values per facet.")] = 10,
    interval: Annotated[
        str | None, typer.Option(help="Date histogram: hour, day, week, month, year.")
    ] = None,
    highlight: Annotated[bool, typer.Option(help="Highlights in each hit.")] = True,
    full: Annotated[bool, typer.Option(help="Every field of each hit.")] = False,
) -> None:
    """Search the index with the options of GET /v1/search; print the page as JSON."""
    from pydantic import ValidationError

    from shared.cursors import InvalidCursor
    from shared.search.client import get_client
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    try:
        # Validated by the same model as the API's query parameters (dates, sort, bounds).
        params = SearchParams.model_validate(
            {
                "q": q,
                "person": person or [],
                "organization": organization or [],
                "place": place or [],
                "event": event or [],
                "source": source or [],
                "language": language or [],
                "speaker": speaker or [],
                "keyword": keyword or [],
                "since": since,
                "until": until,
                "sort": sort,
                "size": size,
                "cursor": cursor,
                "collapse": collapse,
                "facets": facets,
                "facet_size": facet_size,
                "interval": interval,
                "highlight": highlight,
            }
        )
        page = search_articles(get_client(), params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'query'}: {e['msg']}" for e in exc.errors()
        )
        raise typer.BadParameter(problems) from exc
    except InvalidCursor as exc:
        raise typer.BadParameter(str(exc)) from exc
    if not full:
        page["hits"] = [
            {
                "id": h["id"],
                "title": h.get("title"),
                "date": h.get("date"),
                "source": h.get("source"),
                "persons": h.get("persons"),
                "places": h.get("places"),
                "copies": h.get("copies"),
                "highlights": h.get("highlights", {}).get("body", [])[:1],
            }
            for h in page["hits"]
        ]
    print_json(page)


def reindex(
    batch_size: Annotated[int, typer.Option(help="Rows per bulk request.")] = 500,
    parallel: Annotated[int, typer.Option(help="Bulk requests in flight.")] = 2,
    max_rejected_ratio: Annotated[
        float, typer.Option(help="Abort above this share of rejected documents.")
    ] = 0.01,
) -> None:
    """Rebuild the index from the store and swap the alias, with zero downtime."""
    from services.indexer.reindex import ReindexFailed, ReindexInProgress, reindex_from_store

    def progress(loaded: int) -> None:
        console.print(f"  {loaded} documents loaded", highlight=False)

    # What is loaded by now lives as long as the command: out of the garbage collector's full
    # passes while millions of documents are projected (as in a worker, shared/worker.py).
    gc.freeze()
    try:
        result = reindex_from_store(
            batch_size=batch_size,
            parallel=parallel,
            max_rejected_ratio=max_rejected_ratio,
            on_batch=progress,
        )
    except (ReindexInProgress, ReindexFailed) as exc:
        console.print(f"reindex not done: {exc}")
        raise typer.Exit(1) from exc
    console.print(
        f"alias -> {result.index}: {result.documents} documents in {result.seconds:.1f}s "
        f"({result.docs_per_second:.0f}/s), {len(result.rejected)} rejected, "
        f"dropped {', '.join(result.previous) or 'nothing'}"
    )
    for article_id, reason in list(result.rejected.items())[:20]:
        console.print(f"  rejected {article_id}: {reason}", highlight=False)


@index_app.command("init")
def index_init(
    upgrade: Annotated[
        bool, typer.Option(help="Reindex from the store if the index's mapping is older.")
    ] = True,
) -> None:
    """Install the index template, create the alias's first index, upgrade an old mapping."""
    from services.indexer.reindex import reindex_from_store
    from shared.search.client import get_client
    from shared.search.indices import alias_name, ensure_index, mapping_version
    from shared.search.mapping import MAPPING_VERSION

    es = get_client()
    name = ensure_index(es)
    version = mapping_version(es, name)
    if version < MAPPING_VERSION and upgrade:
        console.print(f"{name} has mapping v{version}, code has v{MAPPING_VERSION}: reindexing")
        name = reindex_from_store(es=es).index
    console.print(f"alias {alias_name()} -> {name}")


@index_app.command("status")
def index_status() -> None:
    """The aliases, every versioned index, its mapping version and document count."""
    from shared.search.client import get_client
    from shared.search.indices import (
        alias_name,
        live_index,
        managed_indices,
        mapping_version,
        next_index,
    )

    es = get_client()
    live, building = live_index(es), next_index(es)
    indices = []
    for name in managed_indices(es):
        indices.append(
            {
                "index": name,
                "mapping_version": mapping_version(es, name),
                "documents": es.count(index=name)["count"],
                "role": "live" if name == live else "building" if name == building else "orphan",
            }
        )
    print_json({"alias": alias_name(), "live": live, "building": building, "indices": indices})
