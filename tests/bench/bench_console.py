"""Server time of the console's pages at scale, next to the API calls they wrap.

    .venv/bin/python tests/bench/bench_console.py /work/shared/corpus/bbc [--docs 100000]
        [--requests 20]

The corpus's stories are extracted (plain text), given the bench's stub enrichment and
copied until there are `--docs` articles (each copy a new article, one in ten a near-copy
of its original so stories collapse, 1% failed, a few waiting), written to a fresh
PostgreSQL database with three stage events each and bulk-indexed behind a bench alias.
Then each page is requested `--requests` times in-process (no network) and its server
time reported (p50/p95 ms), beside the baseline: the API endpoint that does the same work
(`GET /v1/search`, `/v1/articles/{id}`, `/v1/failures/summary`), measured the same way.
The database and the index are dropped at the end.
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
    _create_database,
    article_rows,
    drop_bench_indices,
    read_corpus,
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


def _measure(client: Any, url: str, requests: int) -> tuple[float, float, float | None]:
    """p50 and p95 wall ms of `requests` GETs (after one warm-up), and the p50 of the
    page's own Server-Timing when it sends one."""
    client.get(url)
    walls: list[float] = []
    servers: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        walls.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        timing = response.headers.get("server-timing", "")
        if timing.startswith("app;dur="):
            servers.append(float(timing.split("=", 1)[1]))
    walls.sort()
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    return statistics.median(walls), p95, statistics.median(servers) if servers else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, help="directory of <category>/*.txt files")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    url, drop_database = _create_database(use_sqlite=False)
    os.environ["NEWSFLOW_DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from shared.db import upgrade_database

    try:
        upgrade_database(url)
        drop_bench_indices()
        articles, _ = read_corpus(args.corpus)
        originals = article_rows(articles, [stub_enrichment(a.title, a.body) for a in articles])
        rows = _copies(originals, args.docs)
        started = time.perf_counter()
        _load_store(rows)
        _load_index(rows)
        print(
            f"{len(rows)} articles ({len(articles)} corpus stories copied), store and index "
            f"loaded in {time.perf_counter() - started:.0f}s"
        )
        from services.api.app import create_app

        article = next(r for r in rows if r["state"] == "indexed")
        words = " ".join((article["title"] or "news").split()[:2])
        person = next(
            (e["name"] for e in article["enrichment"]["entities"] if e["type"] == "person"),
            "",
        )
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
                ("article", f"/ui/articles/{article['id']}", f"/v1/articles/{article['id']}"),
                ("pipeline", "/ui/pipeline", "/v1/failures/summary"),
                ("pipeline panel (refresh)", "/ui/pipeline/panel", "/v1/failures/summary"),
            ]
            print(
                f"{'page':28} {'console p50/p95 ms':>20} {'server p50':>11}  baseline API p50/p95"
            )
            for name, page, baseline in cases:
                p50, p95, server = _measure(client, page, args.requests)
                b50, b95, _ = _measure(client, baseline, args.requests)
                print(
                    f"{name:28} {p50:9.1f} / {p95:7.1f} {server or 0:11.1f}  "
                    f"{b50:7.1f} / {b95:6.1f}  ({baseline.split('?')[0]})"
                )
    finally:
        drop_bench_indices()
        drop_database()


if __name__ == "__main__":
    main()
