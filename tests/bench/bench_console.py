"""Server time of the console's pages at scale, next to the API calls they wrap.

    .venv/bin/python tests/bench/bench_console.py /work/shared/corpus/bbc [--docs 100000]
        [--requests 20] [--keep] [--reuse]

The corpus's stories are extracted (plain text), given the bench's stub enrichment and
copied until there are `--docs` articles (each copy a new article, one in ten a near-copy
of its original so stories collapse, 1% failed, a few waiting), written to a fresh
PostgreSQL database with three stage events each and bulk-indexed behind a bench alias.
Then each page is requested `--requests` times in-process (no network) and its server
time reported (p50/p95 ms; "own": less the time waiting for Elasticsearch, the console's own
work), beside the baseline: the API endpoint that does the same work
(`GET /v1/search`, `/v1/articles/{id}`, `/v1/failures/summary`), measured the same way.
The database (`nfconsole<docs>`) and the index are dropped at the end, unless `--keep`;
`--reuse` measures what a kept run left (the store's migrations applied first), without
loading anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_bulk import (
    article_rows,
    drop_bench_indices,
    read_corpus,
    scratch_database,
    stub_enrichment,
)

os.environ["NEWSFLOW_INDEX_ALIAS"] = "newsflow-bench-console"
_CHUNK = 2000


def _copies(originals: list[Any], docs: int) -> list[dict[str, Any]]:
    """`docs` article rows (as dicts for a bulk INSERT) from the corpus's rows."""
    from shared.identity import content_hash

    now = datetime.now(UTC)
    rows = []
    for n in range(docs):
        original = originals[n % len(originals)]
        generation = n // len(originals)
        row = {c: getattr(original, c) for c in _COLUMNS}
        row["id"] = content_hash(f"{original.id}/{generation}")[:32]
        row["published_at"] = original.published_at + timedelta(days=generation % 300)
        near = generation and n % 10 == 0
        row["cluster_id"] = content_hash(f"{original.id}/0")[:32] if near else row["id"]
        row["duplicate_of"] = None
        row["state"] = "failed" if n % 100 == 7 else "received" if n % 1000 == 3 else "indexed"
        if row["state"] == "failed":
            row.update(failed_stage="enrich", error_class="bench_failure", error="bench")
        row["created_at"] = row["updated_at"] = now - timedelta(minutes=30 * n / docs)
        row["state_changed_at"] = row["created_at"] + timedelta(seconds=3)
        row["indexed_at"] = row["state_changed_at"] if row["state"] == "indexed" else None
        rows.append(row)
    return rows


_COLUMNS = (
    "revision",
    "source",
    "url",
    "input_format",
    "raw_content",
    "submitted",
    "raw_hash",
    "title",
    "body",
    "language",
    "extracted",
    "enrichment",
)


def _load_store(rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    from shared.db import get_engine
    from shared.models import Article, StageEvent

    with get_engine().begin() as connection:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            connection.execute(insert(Article), chunk)
            events = [
                {
                    "article_id": r["id"],
                    "revision": 1,
                    "stage": stage,
                    "outcome": "failed" if r["state"] == "failed" and stage == "enrich" else "ok",
                    "detail": None,
                    "at": r["created_at"] + timedelta(seconds=i + 1),
                }
                for r in chunk
                if r["state"] != "received"
                for i, stage in enumerate(("ingest", "enrich", "index"))
                if not (r["state"] == "failed" and stage == "index")
            ]
            connection.execute(insert(StageEvent), events)


def _load_index(rows: list[dict[str, Any]]) -> None:
    from services.indexer.bulk import Document, bulk_write
    from shared.models import Article
    from shared.search.client import get_client
    from shared.search.documents import from_db
    from shared.search.indices import alias_name, ensure_index

    es = get_client()
    ensure_index(es)
    indexed = [r for r in rows if r["state"] == "indexed"]
    for start in range(0, len(indexed), _CHUNK):
        documents = [
            Document(r["id"], 1, from_db(Article(**r))) for r in indexed[start : start + _CHUNK]
        ]
        bulk_write(es, documents, [alias_name()])
    es.indices.refresh(index=alias_name())


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _server_timing(header: str) -> dict[str, float]:
    """`app;dur=12.5, search;dur=10.1` -> {"app": 12.5, "search": 10.1}."""
    metrics = {}
    for metric in header.split(","):
        name, _, duration = metric.strip().partition(";dur=")
        if duration:
            metrics[name] = float(duration)
    return metrics


def _measure(
    client: Any, url: str, requests: int
) -> tuple[tuple[float, float], tuple[float, float] | None, tuple[float, float] | None]:
    """p50 and p95 ms of `requests` GETs (after one warm-up): wall, the page's server time
    (its Server-Timing `app`) and the console's own part of it (`app` less `search`, the
    time spent waiting for Elasticsearch), when the page sends them."""
    client.get(url)
    walls: list[float] = []
    servers: list[float] = []
    owns: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        walls.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        timing = _server_timing(response.headers.get("server-timing", ""))
        if "app" in timing:
            servers.append(timing["app"])
            owns.append(timing["app"] - timing.get("search", 0.0))
    server = _p50_p95(servers) if servers else None
    return _p50_p95(walls), server, _p50_p95(owns) if owns else None


def _sample() -> tuple[str, str, str, int]:
    """An indexed article of the store (id, two title words, a person of it), and how many
    articles the store holds."""
    from sqlalchemy import func, select

    from shared.db import get_sessionmaker
    from shared.models import Article

    with get_sessionmaker()() as session:
        total = session.scalar(select(func.count()).select_from(Article)) or 0
        article = session.scalars(
            select(Article).where(Article.state == "indexed").order_by(Article.id).limit(1)
        ).one()
        entities = (article.enrichment or {}).get("entities") or []
        person = next((e["name"] for e in entities if e["type"] == "person"), "")
        words = " ".join((article.title or "news").split()[:2])
        return article.id, words, person, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "corpus", type=Path, help="a directory of articles in any format `newsflow extract` reads"
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the store and the index")
    parser.add_argument("--reuse", action="store_true", help="measure what --keep left")
    args = parser.parse_args()

    url, drop_database = scratch_database(f"nfconsole{args.docs}", reuse=args.reuse)
    os.environ["NEWSFLOW_DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from shared.db import upgrade_database

    try:
        upgrade_database(url)
        if not args.reuse:
            drop_bench_indices()
            articles, _ = read_corpus(args.corpus)
            enrichments = [stub_enrichment(a.title, a.body) for a in articles]
            rows = _copies(article_rows(articles, enrichments), args.docs)
            started = time.perf_counter()
            _load_store(rows)
            _load_index(rows)
            print(
                f"{len(rows)} articles ({len(articles)} corpus stories copied), store and "
                f"index loaded in {time.perf_counter() - started:.0f}s"
            )
            del rows
        from services.api.app import create_app

        article_id, words, person, total = _sample()
        print(f"{total} articles in the store; {args.requests} requests per page")
        with TestClient(create_app(), base_url="http://127.0.0.1") as client:
            cursor = client.get("/v1/search", params={"q": words}).json().get("next_cursor")
            cases = [
                ("search, no query", "/ui/search", "/v1/search"),
                (f"search {words!r}", f"/ui/search?q={words}", f"/v1/search?q={words}"),
                (
                    "search + person filter",
                    f"/ui/search?q={words}&person={person}",
                    f"/v1/search?q={words}&person={person}",
                ),
                (
                    "search page 2 (cursor)",
                    f"/ui/search?q={words}&cursor={cursor}",
                    f"/v1/search?q={words}&cursor={cursor}",
                ),
                ("article", f"/ui/articles/{article_id}", f"/v1/articles/{article_id}"),
                (
                    "article: similar (after it)",
                    f"/ui/articles/{article_id}/similar",
                    f"/v1/articles/{article_id}/similar?size=8",
                ),
                ("pipeline", "/ui/pipeline", "/v1/failures/summary"),
                ("pipeline panel (refresh)", "/ui/pipeline/panel", "/v1/failures/summary"),
            ]
            print(
                f"{'page':28} {'server p50/p95 ms':>18} {'own p50/p95':>15} "
                f"{'wall p50/p95':>15}  baseline API wall p50/p95"
            )
            for name, page, baseline in cases:
                (p50, p95), server, own = _measure(client, page, args.requests)
                (b50, b95), _, _ = _measure(client, baseline, args.requests)
                s50, s95 = server or (0.0, 0.0)
                o50, o95 = own or (0.0, 0.0)
                print(
                    f"{name:28} {s50:8.1f} / {s95:7.1f} {o50:6.1f} / {o95:6.1f} "
                    f"{p50:6.1f} / {p95:6.1f}  {b50:7.1f} / {b95:6.1f}  "
                    f"({baseline.split('?')[0]})"
                )
    finally:
        if not args.keep:
            drop_bench_indices()
            drop_database()


if __name__ == "__main__":
    main()
