"""Search latency (p50/p95/p99) over a few hundred mixed queries against a corpus index.

    .venv/bin/python tests/bench/bench_search.py /work/shared/corpus/bbc [--queries 400]
        [--reuse] [--keep] [--seed 7]

The index is `newsflow-bench-articles`: reused if `bench_bulk.py --keep` left it (--reuse),
otherwise built here from the corpus (plain-text extraction, stub enrichment, `from_db`
projection, bulk writes; no database needed) and removed at the end unless --keep.

Queries go through `shared.search.service` (what GET /v1/search runs, minus HTTP): words and
phrases from the corpus's titles, exclusions, ORs, entity and source filters, date ranges,
newest-first listings, a second page by cursor, suggestions and similar articles. First
pages ask for facets (five terms aggregations, a date histogram, a story count) and collapse
near-duplicates, as the API does by default. One client thread; figures are wall-clock
milliseconds per call.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

# Run as a script: the repository root must be importable for `tests.bench`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_bulk import (
    BENCH_ALIAS,
    drop_bench_indices,
    read_corpus,
    stub_enrichment,
)

_WORD = re.compile(r"[A-Za-z]{4,}")


def build_index(corpus: Path) -> list[Any]:
    """Project the corpus with `from_db` and bulk-load it behind the bench alias."""
    from services.indexer.bulk import Document, bulk_write
    from shared.search.client import get_client
    from shared.search.documents import from_db
    from shared.search.indices import alias_name, ensure_index
    from tests.bench.bench_bulk import article_rows

    articles, _ = read_corpus(corpus)
    enrichments = [stub_enrichment(a.title, a.body) for a in articles]
    es = get_client()
    drop_bench_indices()
    ensure_index(es)
    rows = article_rows(articles, enrichments)
    started = time.perf_counter()
    documents = [Document(r.id, r.revision, from_db(r)) for r in rows]
    results = bulk_write(es, documents, [alias_name()])
    failed = [r for rs in results.values() for r in rs if not r.ok]
    assert not failed, failed[:3]
    es.indices.refresh(index=alias_name())
    print(f"built {alias_name()}: {len(rows)} docs in {time.perf_counter() - started:.1f}s")
    return articles


def indexed_names(es: Any, field: str) -> list[str]:
    """The 300 most frequent values of `field` in the index, whatever enrichment made it."""
    response = es.search(
        index=BENCH_ALIAS, size=0, aggs={"top": {"terms": {"field": field, "size": 300}}}
    )
    return [b["key"] for b in response["aggregations"]["top"]["buckets"]]


def make_queries(
    es: Any, articles: list[Any], count: int, rng: random.Random
) -> list[tuple[str, Callable[[Any], Any]]]:
    from shared.search.query import SearchParams
    from shared.search.service import search_articles, similar_articles, suggest

    def words(title: str | None) -> list[str]:
        return [w.lower() for w in _WORD.findall(title or "")]

    persons, places = indexed_names(es, "persons"), indexed_names(es, "places")
    sources = sorted({a.source for a in articles})

    def page(**params: Any) -> Callable[[Any], Any]:
        return lambda es: search_articles(es, SearchParams(**params))

    def second_page(**params: Any) -> Callable[[Any], Any]:
        def run(es: Any) -> Any:
            first = search_articles(es, SearchParams(**params, facets=False))
            cursor = first["next_cursor"]
            return search_articles(es, SearchParams(**params, facets=False, cursor=cursor))

        return run

    def one() -> tuple[str, Callable[[Any], Any]]:
        article = rng.choice(articles)
        title_words = words(article.title) or ["market"]
        roll = rng.random()
        if roll < 0.30:
            q = " ".join(rng.sample(title_words, min(len(title_words), rng.randint(1, 3))))
            return "words", page(q=q)
        if roll < 0.40 and len(title_words) > 1:
            i = rng.randrange(len(title_words) - 1)
            return "phrase", page(q=f'"{title_words[i]} {title_words[i + 1]}"')
        if roll < 0.50:
            a, b = rng.choice(title_words), rng.choice(words(rng.choice(articles).title) or ["b"])
            return "or/not", page(q=rng.choice([f"{a} | {b}", f"{a} -{b}"]))
        if roll < 0.65:
            filters: dict[str, Any] = rng.choice(
                [
                    {"source": [rng.choice(sources)]},
                    {"person": [rng.choice(persons)]} if persons else {},
                    {"place": [rng.choice(places)]} if places else {},
                ]
            )
            return "filtered", page(q=rng.choice(title_words), **filters)
        if roll < 0.75:
            since = article.published_at - timedelta(days=rng.randint(1, 60))
            return "newest+dates", page(since=since, until=article.published_at, sort="newest")
        if roll < 0.85:
            return "page 2", second_page(q=rng.choice(title_words), size=10)
        if roll < 0.93:
            prefix = rng.choice(title_words)[: rng.randint(2, 4)]
            return "suggest", lambda es: suggest(es, prefix)
        return "similar", lambda es: similar_articles(es, article.id)

    return [one() for _ in range(count)]


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--reuse", action="store_true", help="use the index bench_bulk kept")
    parser.add_argument("--keep", action="store_true", help="leave the index in place")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from shared.logging import configure_logging
    from shared.search.client import get_client
    from shared.search.indices import live_index

    configure_logging()
    es = get_client()
    reused = args.reuse and live_index(es) is not None
    try:
        if reused:
            articles, _ = read_corpus(args.corpus)
            print(f"reusing {live_index(es)} ({es.count(index=BENCH_ALIAS)['count']} docs)")
        else:
            articles = build_index(args.corpus)
        rng = random.Random(args.seed)
        queries = make_queries(es, articles, args.queries, rng)
        for _, run in queries[:30]:  # warm caches and connections
            run(es)
        latencies: dict[str, list[float]] = defaultdict(list)
        started = time.perf_counter()
        for kind, run in queries:
            began = time.perf_counter()
            run(es)
            latencies[kind].append((time.perf_counter() - began) * 1000)
        elapsed = time.perf_counter() - started
        every = [v for values in latencies.values() for v in values]
        print(f"{len(every)} queries in {elapsed:.1f}s ({len(every) / elapsed:.0f}/s, 1 thread)")
        print(f"{'kind':<14}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for kind, values in [*sorted(latencies.items()), ("all", every)]:
            print(
                f"{kind:<14}{len(values):>5}{_pct(values, 0.5):>9.1f}{_pct(values, 0.95):>9.1f}"
                f"{_pct(values, 0.99):>9.1f}{max(values):>9.1f}"
            )
    finally:
        if not args.keep and not reused:
            drop_bench_indices()


if __name__ == "__main__":
    main()
