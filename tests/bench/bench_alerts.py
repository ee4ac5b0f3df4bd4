"""Alert matching cost next to the index stage, with 0, 100 and 1,000 saved searches.

    .venv/bin/python tests/bench/bench_alerts.py /work/shared/corpus/bbc [--limit 1280]
        [--alerts 0,100,1000] [--batch 64] [--enrichment stub|real]

For each number of saved searches: a fresh index; every batch of `--batch` articles goes
through the index stage (`index_articles`, what the index worker runs) and then through
matching (`match_articles`, what the alerts worker runs after it), timed apart. Matching runs
in its own worker, so it is not the bottleneck as long as it handles articles at least as fast
as the index stage writes them (the "headroom" column).

Afterwards every saved search is run once more on the whole index (the brute-force check):
the matches recorded batch by batch must be exactly what it finds: `missed` and `spurious`
must both be 0. Saved searches are built from the corpus itself (frequent title words, names
the enrichment found, sources): single words, AND pairs, OR pairs, phrases, exclusions and
every filter. Runs in a namespace of its own (alias, temporary PostgreSQL database).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_bulk import (
    _create_database,
    _percentile,
    article_rows,
    drop_bench_indices,
    enrich,
    read_corpus,
)

os.environ["NEWSFLOW_INDEX_ALIAS"] = "newsflow-bench-alerts"
os.environ.setdefault("NEWSFLOW_LOG_LEVEL", "WARNING")

_STOP = frozenset(
    {"the", "a", "an", "of", "to", "in", "on", "for", "and", "with", "at", "by", "from", "as"}
    | {"is", "are", "was", "were", "be", "has", "have", "had", "it", "its", "after", "over"}
    | {"says", "said", "new", "not", "but", "more", "than", "into", "out", "up", "about"}
    | {"his", "her", "their"}
)


def saved_searches(
    articles: list[Any], enrichments: list[dict[str, Any]], n: int
) -> list[dict[str, Any]]:
    """`n` saved searches of varied shapes, from words and names of the corpus itself."""
    rng = random.Random(20261130)
    words = Counter(
        w
        for a in articles
        for w in {w.strip(".,:;'\"!?()").lower() for w in (a.title or "").split()}
        if len(w) > 3 and w.isalpha() and w not in _STOP
    )
    common = [w for w, c in words.most_common(400) if c >= 2]
    names: dict[str, Counter[str]] = {
        "person": Counter(),
        "place": Counter(),
        "organization": Counter(),
    }
    for enrichment in enrichments:
        for entity in enrichment.get("entities", []):
            if entity["type"] in names:
                names[entity["type"]][entity["name"]] += 1
    people = [p for p, _ in names["person"].most_common(100)] or ["Tony Blair"]
    places = [p for p, _ in names["place"].most_common(60)] or ["London"]
    sources = sorted({a.source for a in articles})
    shapes: list[Callable[[], dict[str, Any]]] = [
        lambda: {"q": rng.choice(common)},
        lambda: {"q": f"{rng.choice(common)} {rng.choice(common)}"},
        lambda: {"q": f"{rng.choice(common)} | {rng.choice(common)}"},
        lambda: {"q": f"{rng.choice(common)} -{rng.choice(common)}"},
        lambda: {"q": f'"{rng.choice(people)}"'},
        lambda: {"person": [rng.choice(people)]},
        lambda: {"place": [rng.choice(places)]},
        lambda: {"q": rng.choice(common), "source": [rng.choice(sources)]},
        lambda: {"q": rng.choice(common), "place": [rng.choice(places)]},
    ]
    return [{"name": f"bench {i}", **shapes[i % len(shapes)]()} for i in range(n)]


def _reset(count: int, specs: list[dict[str, Any]]) -> None:
    """Empty alert tables and index, articles back to `enriched`, `count` alerts saved."""
    from sqlalchemy import delete, update

    from shared.alerts import AlertSpec, create_alert
    from shared.db import get_sessionmaker
    from shared.models import Alert, AlertDelivery, AlertMatch, AlertScan, Article, utcnow
    from shared.search.client import get_client
    from shared.search.indices import ensure_index

    drop_bench_indices()
    ensure_index(get_client())
    with get_sessionmaker()() as session:
        for model in (AlertDelivery, AlertMatch, AlertScan, Alert):
            session.execute(delete(model))
        session.execute(update(Article).values(state="enriched", attempts=0))
        for spec in specs[:count]:
            alert, _ = create_alert(session, AlertSpec(**spec))
            alert.created_at = utcnow() - timedelta(hours=1)
        session.commit()


def run(ids: list[str], batch: int) -> dict[str, Any]:
    from services.alerts.matching import match_articles
    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker
    from shared.search.client import get_client

    es = get_client()
    index_s: list[float] = []
    match_s: list[float] = []
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with get_sessionmaker()() as session:
            began = time.perf_counter()
            index_articles(session, chunk)
            index_s.append(time.perf_counter() - began)
        with get_sessionmaker()() as session:
            began = time.perf_counter()
            match_articles(session, es, chunk)
            match_s.append(time.perf_counter() - began)
    return {
        "index_per_s": len(ids) / sum(index_s),
        "match_per_s": len(ids) / sum(match_s),
        "match_p50_ms": _percentile(match_s, 0.5) * 1000,
        "match_p99_ms": _percentile(match_s, 0.99) * 1000,
    }


def brute_force_check(total: int) -> tuple[int, int, int]:
    """Run every saved search on the whole index; compare with the recorded matches."""
    from sqlalchemy import select

    from shared.alerts import search_params
    from shared.db import get_sessionmaker
    from shared.models import Alert, AlertMatch
    from shared.search.client import get_client
    from shared.search.indices import alias_name
    from shared.search.query import base_query

    es = get_client()
    es.indices.refresh(index=alias_name())
    missed = spurious = found = 0
    with get_sessionmaker()() as session:
        recorded: dict[str, set[str]] = {}
        for alert_id, article_id in session.execute(
            select(AlertMatch.alert_id, AlertMatch.article_id)
        ):
            recorded.setdefault(alert_id, set()).add(article_id)
        for alert in session.scalars(select(Alert)):
            response = es.search(
                index=alias_name(),
                query=base_query(search_params(alert)),
                size=total,
                source=False,
            )
            expected = {hit["_id"] for hit in response["hits"]["hits"]}
            got = recorded.get(alert.id, set())
            missed += len(expected - got)
            spurious += len(got - expected)
            found += len(expected)
    return missed, spurious, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "corpus", type=Path, help="a directory of articles in any format `newsflow extract` reads"
    )
    parser.add_argument("--limit", type=int, default=1280)
    parser.add_argument("--alerts", default="0,100,1000", help="saved searches, comma-separated")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--enrichment", choices=["stub", "real"], default="stub")
    args = parser.parse_args()

    url, drop_database = _create_database(use_sqlite=False)
    os.environ["NEWSFLOW_DATABASE_URL"] = url
    from shared.db import get_sessionmaker, upgrade_database

    try:
        upgrade_database(url)
        articles, _ = read_corpus(args.corpus, args.limit)
        enrichments, _ = enrich(articles, args.enrichment)
        with get_sessionmaker()() as session:
            session.add_all(article_rows(articles, enrichments))
            session.commit()
        ids = [a.id for a in articles]
        counts = [int(c) for c in args.alerts.split(",")]
        specs = saved_searches(articles, enrichments, max(counts))
        print(f"{len(ids)} articles from {args.corpus}, batches of {args.batch}\n")
        print(
            "| saved searches | index stage art/s | matching art/s | headroom "
            "| match p50 / p99 ms per batch | matches | missed | spurious |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for count in counts:
            _reset(count, specs)
            result = run(ids, args.batch)
            missed, spurious, found = brute_force_check(len(ids)) if count else (0, 0, 0)
            print(
                f"| {count} | {result['index_per_s']:.0f} | {result['match_per_s']:.0f} | "
                f"{result['match_per_s'] / result['index_per_s']:.1f}x | "
                f"{result['match_p50_ms']:.0f} / {result['match_p99_ms']:.0f} | {found} | "
                f"{missed} | {spurious} |",
                flush=True,
            )
    finally:
        drop_bench_indices()
        drop_database()


if __name__ == "__main__":
    main()
