"""Cost of the most expensive searches a client can build, against a plain one-word search.

    .venv/bin/python tests/bench/bench_query_cost.py /work/shared/corpus/bbc [--runs 15]

Builds its own index (`newsflow-bench-cost-articles`) from the corpus the way bench_search.py
does, then times, through `shared.search.service.search_articles` (what GET /v1/search runs,
with its defaults: collapsed stories, facets on the first page), a plain query of one word
(the baseline) and the heaviest queries the bounds of docs/search.md allow (the most prefixes with
frequent words, every word in OR groups nested as deep as allowed, the longest phrase, prefixes
AND-ed with exclusions). Each query is run with words drawn afresh for every run
(so caches help neither side), median of `--runs`. Target of issue 9: ratio <= 10.
Also prints the old construct (`simple_query_string` with 26 one-letter prefixes), run once
directly against Elasticsearch, as a reminder of what the bounds prevent.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script: the repository root must be importable for `tests.bench`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tests.bench.bench_bulk  # noqa: F401  (sets the bench environment first)

# An alias of its own, so it never meets another bench's index.
os.environ["NEWSFLOW_INDEX_ALIAS"] = "newsflow-bench-cost-articles"

from shared.search.query import SortMode
from tests.bench.bench_search import _WORD, build_index

ORDERS: tuple[SortMode | None, ...] = (None, "newest")  # relevance (the default), newest


def frequent_words(articles: list[Any], count: int = 300) -> list[str]:
    counts = Counter(w.lower() for a in articles for w in _WORD.findall(a.body or ""))
    return [w for w, _ in counts.most_common(count)]


def queries(words: list[str], rng: random.Random) -> dict[str, Callable[[], str]]:
    """The plain query and the heaviest ones the bounds of the query language allow."""
    from shared.search.query_language import MAX_DEPTH, MAX_PREFIXES, MAX_TERMS, MIN_PREFIX_CHARS

    def pick(n: int) -> list[str]:
        return rng.sample(words, n)

    def prefixes() -> list[str]:
        return [w[:MIN_PREFIX_CHARS] + "*" for w in pick(MAX_PREFIXES)]

    def nested_or() -> str:
        # Every word in OR groups nested as deep as allowed.
        per_level = MAX_TERMS // MAX_DEPTH
        q = ""
        for _ in range(MAX_DEPTH):
            chunk = " | ".join(pick(per_level))
            q = f"({chunk}{' | ' + q if q else ''})"
        return q

    rest = MAX_TERMS - MAX_PREFIXES
    return {
        "plain (1 word)": lambda: pick(1)[0],
        "prefixes | words": lambda: " | ".join(prefixes() + pick(rest)),
        "words, nested ORs": nested_or,
        "longest phrase": lambda: '"' + " ".join(pick(MAX_TERMS)) + '"',
        "prefixes, -words": lambda: " ".join(prefixes() + ["-" + w for w in pick(rest)]),
        "most words (AND)": lambda: " ".join(pick(MAX_TERMS)),
    }


def time_query(make: Callable[[], str], runs: int, sort: SortMode | None) -> float:
    from shared.search.client import get_client
    from shared.search.query import SearchParams
    from shared.search.service import search_articles

    es = get_client()
    timings = []
    for _ in range(runs):
        params = SearchParams(q=make(), sort=sort)
        started = time.perf_counter()
        search_articles(es, params)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def old_prefix_query_ms() -> float:
    """What `q=a*|b*|...|z*` cost before our parser: simple_query_string, unbounded prefixes."""
    from shared.search.client import get_client
    from shared.search.indices import alias_name
    from shared.search.query import SEARCH_FIELDS

    es = get_client().options(request_timeout=120)
    q = "|".join(f"{chr(97 + i)}*" for i in range(26))
    sqs = {"query": q, "fields": SEARCH_FIELDS, "flags": "OR|PREFIX", "lenient": True}
    started = time.perf_counter()
    es.search(index=alias_name(), query={"simple_query_string": sqs}, size=10)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the index in place")
    args = parser.parse_args()

    from shared.logging import configure_logging
    from shared.search.client import get_client
    from shared.search.indices import alias_name, managed_indices

    configure_logging()
    es = get_client()
    try:
        articles = build_index(args.corpus)
        words = frequent_words(articles)
        rng = random.Random(args.seed)
        table = queries(words, rng)
        for make in table.values():  # warm caches and connections
            time_query(make, 3, None)
        print(f"median of {args.runs} runs, words drawn afresh each run; ratio to the plain query")
        print(f"{'query':<26}{'relevance ms':>14}{'ratio':>7}{'newest ms':>11}{'ratio':>7}")
        base = {sort: time_query(table["plain (1 word)"], args.runs, sort) for sort in ORDERS}
        worst = 0.0
        for name, make in table.items():
            by_sort = {sort: time_query(make, args.runs, sort) for sort in ORDERS}
            ratios = {sort: by_sort[sort] / base[sort] for sort in by_sort}
            worst = max(worst, *ratios.values())
            print(
                f"{name:<26}{by_sort[None]:>14.1f}{ratios[None]:>7.1f}"
                f"{by_sort['newest']:>11.1f}{ratios['newest']:>7.1f}"
            )
        print(f"most expensive / plain: {worst:.1f}x (target <= 10x)")
        print(
            f"for reference, the old simple_query_string a*|...|z*: {old_prefix_query_ms():.0f} ms"
        )
    finally:
        if not args.keep:
            for name in managed_indices(es):
                es.options(ignore_status=404).indices.delete(index=name)
            es.options(ignore_status=404).indices.delete_index_template(name=alias_name())


if __name__ == "__main__":
    main()
