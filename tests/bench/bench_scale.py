"""Scale bench: a store and an index of N synthetic articles built from a corpus.

    .venv/bin/python tests/bench/bench_scale.py /work/shared/corpus/bbc --articles 100000
        [--sources 560] [--enrichment-cache /tmp/bbc-enrichment.json] [--queries 700]
        [--reuse [--search-only]] [--no-raw-bulk] [--keep] [--seed 7] [--no-highlight]
        [--api-code TREE]

What it reports, as markdown tables:

- **indexing**: `newsflow reindex` (`reindex_from_store`: read the store, project, bulk-load a
  new index, swap the alias) in documents/s, next to raw `_bulk` of the same documents
  (projected and serialised before the clock starts, sent 500 per request, two requests in
  flight like the reindex) into an index of the same mapping;
- **index size** per article: bytes on disk and Lucene documents (nested ones included);
- **search latency** through the real API (`GET /v1/search` on a uvicorn process, one client
  with keep-alive) for a mixed workload: words, phrases, each filter, facets on and off,
  collapse on and off, newest first, a deep cursor page; next to it the same words as a plain
  `multi_match` on `title` and `body` sent straight to Elasticsearch, on the same index,
  interleaved query by query so both see the same machine load. `--api-code TREE` runs a
  second API from another source tree (a checkout of an earlier commit) on the same queries
  in alternating order and prints a paired table: per kind, each side's p50 and the median
  of the per-query differences, steadier than two runs' p50s on a shared machine. Beside each
  query, two floors of the same API: its HTTP round trip (`GET /healthz`) and its lightest
  search of the same words (no collapsing, facets or highlights: one request), so the table
  shows what the API costs before any of the page's features.

Synthetic articles: each takes a corpus article (`--sources` of them, spread over the corpus,
get the real enrichment once, cached in `--enrichment-cache` outside the repository), rotates
its paragraphs and swaps one for a paragraph of another corpus article, dates it anywhere in
2015-2025, and reuses its enrichment with entities and keywords permuted. One in seven is a
near-copy of an earlier article of the same source article (same story, `cluster_id`).

Everything lives in a namespace of its own on the local stack: alias `newsflow-scale-articles`
and the PostgreSQL database `nfscale<N>`. `--keep` leaves both; `--reuse` takes the store a
kept run left and rebuilds the index from it with the current code (the path a mapping change
takes), `--search-only` then only searches the index as it is. Without `--keep` both are
dropped at the end (gigabytes).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCALE_ALIAS = "newsflow-scale-articles"
# Run as a script: the repository root must be importable for `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_bulk import (  # noqa: E402
    PG_ADMIN_URL,
    CorpusArticle,
    drop_scratch_database,
    enrich,
    read_corpus,
    run_admin,
    scratch_database_url,
)

# Before any `shared` settings are read (and after bench_bulk set its own): the bench has an
# alias (and database) of its own.
os.environ["NEWSFLOW_INDEX_ALIAS"] = SCALE_ALIAS
os.environ.setdefault("NEWSFLOW_LOG_LEVEL", "WARNING")

_FEEDS = ["wire", "reuters", "ap", "afp", "guardian", "times", "herald", "courier", "post"]
_FIRST_DAY = datetime(2015, 1, 1, tzinfo=UTC)
_DAYS = 11 * 365
_COPY_SHARE = 1 / 7
_INSERT_ROWS = 2000


@dataclass
class Synthetic:
    """What a synthetic article is made of, enough to write its store row."""

    id: str
    source: str
    title: str
    body: str
    published_at: datetime
    enrichment: dict[str, Any]
    cluster_id: str
    duplicate_of: str | None


def _permuted(enrichment: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The source article's real enrichment, its lists reordered and counts perturbed."""
    result = copy.deepcopy(enrichment)
    entities = result.get("entities") or []
    rng.shuffle(entities)
    for entity in entities:
        entity["mentions"] = max(1, int(entity.get("mentions") or 1) + rng.randint(-1, 2))
    keywords = result.get("keywords") or []
    rng.shuffle(keywords)
    return result


def synthesize(
    count: int,
    sources: list[CorpusArticle],
    enrichments: list[dict[str, Any]],
    corpus: list[CorpusArticle],
    seed: int,
) -> Iterator[Synthetic]:
    """`count` articles, deterministic for a seed; copies follow the article they copy."""
    rng = random.Random(seed)
    first_of: dict[int, str] = {}
    for number in range(count):
        pick = rng.randrange(len(sources))
        source, enrichment = sources[pick], enrichments[pick]
        paragraphs = [p for p in source.body.split("\n\n") if p.strip()] or [source.body]
        shift = rng.randrange(len(paragraphs))
        paragraphs = paragraphs[shift:] + paragraphs[:shift]
        borrowed = rng.choice(rng.choice(corpus).body.split("\n\n"))
        paragraphs[rng.randrange(len(paragraphs))] = borrowed
        title = source.title or ""
        if rng.random() < 0.5:
            title = f"{title}: {' '.join(borrowed.split()[:5])}"
        article_id = hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()[:32]
        original = first_of.get(pick)
        is_copy = original is not None and rng.random() < _COPY_SHARE
        first_of.setdefault(pick, article_id)
        feed = source.source if rng.random() < 0.6 else rng.choice(_FEEDS)
        yield Synthetic(
            id=article_id,
            source=feed,
            title=title,
            body="\n\n".join(paragraphs),
            published_at=_FIRST_DAY + timedelta(minutes=rng.randrange(_DAYS * 24 * 60)),
            enrichment=_permuted(enrichment, rng),
            cluster_id=original if is_copy and original else article_id,
            duplicate_of=original if is_copy else None,
        )


def _row(article: Synthetic) -> dict[str, Any]:
    """The store row the enrich and index stages leave behind (state `indexed`), its search
    document stored with it as the enrich stage stores it."""
    from shared.models import Article
    from shared.search.documents import store_document

    row = _columns(article)
    stored = Article(**row)
    store_document(stored)
    row["search_document"], row["search_projection"] = (
        stored.search_document,
        stored.search_projection,
    )
    return row


def _columns(article: Synthetic) -> dict[str, Any]:
    raw = f"{article.title}\n\n{article.body}"
    return {
        "id": article.id,
        "revision": 1,
        "state": "indexed",
        "source": article.source,
        "url": f"https://news.example.org/{article.source}/{article.id}",
        "input_format": "text",
        "raw_content": raw,
        "submitted": {},
        "raw_hash": hashlib.sha256(raw.encode()).hexdigest(),
        "title": article.title,
        "body": article.body,
        "published_at": article.published_at,
        "language": article.enrichment.get("language") or "en",
        "extracted": {"title": article.title, "site_name": article.source},
        "cluster_id": article.cluster_id,
        "duplicate_of": article.duplicate_of,
        "enrichment": article.enrichment,
        "created_at": article.published_at,
        "indexed_at": article.published_at,
    }


def drop_indices() -> None:
    from shared.search.client import get_client
    from shared.search.indices import managed_indices

    es = get_client()
    for name in managed_indices(es):
        es.options(ignore_status=404).indices.delete(index=name)
    es.options(ignore_status=404).indices.delete_index_template(name=SCALE_ALIAS)


def build_store(articles: list[Synthetic]) -> float:
    """A fresh database holding every article as an indexed row; returns seconds."""
    from sqlalchemy import insert

    from shared.db import get_sessionmaker, upgrade_database
    from shared.models import Article

    started = time.perf_counter()
    upgrade_database(os.environ["NEWSFLOW_DATABASE_URL"])
    with get_sessionmaker()() as session:
        for start in range(0, len(articles), _INSERT_ROWS):
            chunk = articles[start : start + _INSERT_ROWS]
            session.execute(insert(Article), [_row(a) for a in chunk])
            session.commit()
    return time.perf_counter() - started


def _projected(articles: list[Synthetic]) -> list[list[bytes]]:
    """Bulk request bodies of the search documents, 500 per request, as the reindex sends."""
    import orjson

    from shared.models import Article
    from shared.search.documents import from_db

    bodies: list[list[bytes]] = []
    for start in range(0, len(articles), 500):
        lines: list[bytes] = []
        for article in articles[start : start + 500]:
            row = Article(**_columns(article))
            action = {"index": {"_id": row.id, "version": 1, "version_type": "external_gte"}}
            lines += [orjson.dumps(action), orjson.dumps(from_db(row, indexed_at=row.indexed_at))]
        bodies.append(lines)
    return bodies


def raw_bulk(articles: list[Synthetic]) -> tuple[float, int]:
    """Documents/s of plain `_bulk` requests into a fresh index of the current mapping, two
    in flight; returns (docs/s, bytes sent)."""
    from shared.search.client import get_client
    from shared.search.indices import create_next_index, delete_indices

    bodies = _projected(articles)
    es = get_client().options(request_timeout=300)
    index = create_next_index(es)
    try:

        def send(lines: list[bytes]) -> None:
            response = es.bulk(index=index, operations=lines, filter_path="errors")  # type: ignore[arg-type]
            assert not response.get("errors"), "raw bulk refused documents"

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(send, bodies))
        seconds = time.perf_counter() - started
    finally:
        delete_indices(es, [index])
    return len(articles) / seconds, sum(len(line) + 1 for b in bodies for line in b)


def index_size() -> dict[str, Any]:
    from shared.search.client import get_client
    from shared.search.indices import live_index

    es = get_client()
    index = live_index(es)
    es.indices.flush(index=index)
    stats = es.indices.stats(index=index)["indices"][index]["primaries"]
    articles = es.count(index=index)["count"]
    return {
        "index": index,
        "articles": articles,
        "bytes": stats["store"]["size_in_bytes"],
        "lucene_docs": stats["docs"]["count"],
        "segments": es.indices.segments(index=index)["indices"][index]["shards"]["0"][0][
            "num_committed_segments"
        ],
    }


# --- the search workload -------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    params: dict[str, Any]  # of GET /v1/search
    words: str  # for the plain multi_match
    phrase: bool = False
    pages: int = 1  # the page timed is the last one, reached by cursor


def _names(es: Any, field: str, size: int = 300) -> list[str]:
    response = es.search(
        index=SCALE_ALIAS, size=0, aggs={"top": {"terms": {"field": field, "size": size}}}
    )
    return [b["key"] for b in response["aggregations"]["top"]["buckets"]]


def workload(es: Any, sources: list[CorpusArticle], count: int, rng: random.Random) -> list[Query]:
    import re

    words_of = re.compile(r"[A-Za-z]{4,}")
    fields = {
        "person": "persons",
        "place": "places",
        "organization": "organizations",
        "speaker": "speakers",
        "keyword": "keywords",
        "source": "source",
    }
    names = {param: _names(es, field) for param, field in fields.items()}

    def words(n: int) -> tuple[str, list[str]]:
        title = [w.lower() for w in words_of.findall(rng.choice(sources).title or "")]
        title = title or ["market"]
        return " ".join(rng.sample(title, min(len(title), n))), title

    def one(kind: str) -> Query:
        q, title = words(rng.randint(1, 3))
        if kind == "words":
            return Query(kind, {"q": q}, q)
        if kind == "phrase":
            if len(title) > 1:
                i = rng.randrange(len(title) - 1)
                q = f"{title[i]} {title[i + 1]}"
            return Query(kind, {"q": f'"{q}"'}, q, phrase=True)
        if kind in fields:
            one_word, _ = words(1)
            return Query(f"{kind} filter", {"q": one_word, kind: rng.choice(names[kind])}, one_word)
        if kind == "language":
            return Query("language filter", {"q": q, "language": "en"}, q)
        if kind == "dates":
            since = _FIRST_DAY + timedelta(days=rng.randrange(_DAYS - 400))
            until = since + timedelta(days=rng.choice([7, 30, 365]))
            return Query("date range", {"q": q, "since": since.date(), "until": until.date()}, q)
        if kind == "no facets":
            return Query(kind, {"q": q, "facets": "false"}, q)
        if kind == "no collapse":
            return Query(kind, {"q": q, "collapse": "false"}, q)
        if kind == "newest":
            return Query(kind, {"q": q, "sort": "newest"}, q)
        if kind == "deep page":
            one_word, _ = words(1)
            return Query("page 5 (cursor)", {"q": one_word, "facets": "false"}, one_word, pages=5)
        raise ValueError(kind)

    kinds = ["words", "phrase", *fields, "language", "dates", "no facets", "no collapse"]
    kinds += ["newest", "deep page"]
    return [one(kinds[i % len(kinds)]) for i in rng.sample(range(count), count)]


def lean_params(query: Query) -> dict[str, Any]:
    """The API's lightest search for the plain query's words: no collapsing, facets or
    highlights, one request to Elasticsearch (over the API's fields, with its `_source`)."""
    q = f'"{query.words}"' if query.phrase else query.words
    return {"q": q, "collapse": "false", "facets": "false", "highlight": "false"}


def plain_body(query: Query) -> dict[str, Any]:
    """The reference: the same words, a plain multi_match on title and body, 10 hits."""
    match: dict[str, Any] = {"query": query.words, "fields": ["title", "body"]}
    if query.phrase:
        match["type"] = "phrase"
    return {"query": {"multi_match": match}, "size": 10}


def run_searches(
    es: Any,
    apis: dict[str, str],
    key: str,
    queries: list[Query],
    warmup: int,
    highlight: bool = True,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, list[float]], dict[str, list[float]]]:
    """Milliseconds per API (name -> base URL) and query kind, and of the plain query,
    interleaved query by query; with two APIs, in alternating order. `highlight`: False
    sends `highlight=false` with every API query. Third: the floors under the first API's
    figures, timed beside each query: its HTTP round trip (`GET /healthz`) and its
    lightest search of the same words (`lean_params`)."""
    import httpx

    api_ms: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in apis}
    plain_ms: dict[str, list[float]] = defaultdict(list)
    floors: dict[str, list[float]] = defaultdict(list)
    clients = {
        name: httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30)
        for name, url in apis.items()
    }

    def get(client: httpx.Client, params: dict[str, Any]) -> dict[str, Any]:
        response = client.get("/v1/search", params=params)
        response.raise_for_status()
        return dict(response.json())

    def timed_get(client: httpx.Client, path: str, params: dict[str, Any]) -> float:
        began = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        return (time.perf_counter() - began) * 1000

    def timed(client: httpx.Client, query: Query) -> float:
        params = dict(query.params)
        if not highlight:
            params["highlight"] = "false"
        for _ in range(query.pages - 1):  # untimed: the way to the deep page
            cursor = get(client, params).get("next_cursor")
            if not cursor:
                break
            params["cursor"] = cursor
        began = time.perf_counter()
        get(client, params)
        return (time.perf_counter() - began) * 1000

    first = clients[next(iter(apis))]  # the API the floors are timed on
    try:
        for number, query in enumerate(queries):
            names = list(apis) if number % 2 == 0 else list(reversed(apis))
            took = {name: timed(clients[name], query) for name in names}
            began = time.perf_counter()
            es.search(index=SCALE_ALIAS, **plain_body(query))
            plain_took = (time.perf_counter() - began) * 1000
            http_floor = timed_get(first, "/healthz", {})
            lean = timed_get(first, "/v1/search", lean_params(query))
            if number >= warmup:
                for name, ms in took.items():
                    api_ms[name][query.kind].append(ms)
                plain_ms[query.kind].append(plain_took)
                floors["HTTP round trip to the API (`GET /healthz`)"].append(http_floor)
                floors["the API's lightest search of the same words"].append(lean)
    finally:
        for client in clients.values():
            client.close()
    return api_ms, plain_ms, floors


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def floors_table(
    api_ms: dict[str, list[float]], plain_ms: dict[str, list[float]], floors: dict[str, list[float]]
) -> str:
    """Where the API's time goes against the plain query's, on the same queries: what the
    HTTP hop alone costs, the API's lightest search, the full page."""
    plain = statistics.median([v for values in plain_ms.values() for v in values])
    rows = ["| all queries | p50 ms | / plain p50 |", "| --- | ---: | ---: |"]
    rows.append(f"| plain `multi_match` straight to Elasticsearch | {plain:.1f} | 1.00x |")
    for name, values in floors.items():
        rows.append(
            f"| {name} | {statistics.median(values):.1f} | "
            f"{statistics.median(values) / plain:.2f}x |"
        )
    full = statistics.median([v for values in api_ms.values() for v in values])
    rows.append(f"| the API's page as asked (the table above) | {full:.1f} | {full / plain:.2f}x |")
    return "\n".join(rows)


def search_table(api_ms: dict[str, list[float]], plain_ms: dict[str, list[float]]) -> str:
    rows = ["| query kind | n | API p50 ms | API p99 ms | plain p50 ms | plain p99 ms |"]
    rows.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    every_api = [v for values in api_ms.values() for v in values]
    every_plain = [v for values in plain_ms.values() for v in values]
    for kind, values in [*sorted(api_ms.items()), ("**all**", every_api)]:
        plain = plain_ms.get(kind, every_plain)
        rows.append(
            f"| {kind} | {len(values)} | {_pct(values, 0.5):.1f} | {_pct(values, 0.99):.1f} | "
            f"{_pct(plain, 0.5):.1f} | {_pct(plain, 0.99):.1f} |"
        )
    ratio = statistics.median(every_api) / statistics.median(every_plain)
    rows.append(f"\nAPI p50 / plain p50 = {ratio:.2f}x; API p99 = {_pct(every_api, 0.99):.1f} ms")
    return "\n".join(rows)


def paired_table(this: dict[str, list[float]], baseline: dict[str, list[float]]) -> str:
    """This code's API against the baseline's, query by query (same queries, same moment)."""
    rows = [
        "| query kind | n | baseline p50 ms | this p50 ms | median difference ms | this faster |"
    ]
    rows.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    every = (
        "**all**",
        [v for vs in this.values() for v in vs],
        [v for vs in baseline.values() for v in vs],
    )
    for kind, mine, theirs in [*((k, this[k], baseline[k]) for k in sorted(this)), every]:
        differences = [a - b for a, b in zip(mine, theirs, strict=True)]
        faster = sum(d < 0 for d in differences)
        rows.append(
            f"| {kind} | {len(mine)} | {_pct(theirs, 0.5):.1f} | {_pct(mine, 0.5):.1f} | "
            f"{statistics.median(differences):+.1f} | {faster}/{len(mine)} |"
        )
    rows.append(
        f"\nAPI p99: baseline {_pct(every[2], 0.99):.1f} ms, this {_pct(every[1], 0.99):.1f} ms"
    )
    return "\n".join(rows)


def search_bench(
    sources: list[CorpusArticle],
    count: int,
    seed: int,
    log_dir: Path,
    highlight: bool = True,
    baseline_code: Path | None = None,
) -> str:
    """The search table; with `baseline_code` (another source tree) a second API from it
    answers the same queries in alternating order, and a paired table compares the two."""
    from shared.search.client import get_client
    from tests.apiserver import KEYS, KEYS_ENV, running_api

    es = get_client()
    queries = workload(es, sources, count, random.Random(seed))
    # Every run starts with an empty request cache: a rerun of the same queries (same seed)
    # would otherwise find their facets and copies answered from it.
    es.indices.clear_cache(index=SCALE_ALIAS, request=True)
    warmup = min(50, count // 10)
    settings = {
        "index_alias": SCALE_ALIAS,
        "database_url": os.environ["NEWSFLOW_DATABASE_URL"],
        "api_keys": KEYS_ENV,
        "log_level": "WARNING",
    }
    with ExitStack() as running:
        apis = {
            "this": running.enter_context(running_api(log_dir / "bench-scale-api.log", **settings))
        }
        if baseline_code is not None:
            log = log_dir / "bench-scale-baseline-api.log"
            apis["baseline"] = running.enter_context(running_api(log, baseline_code, **settings))
        api_ms, plain_ms, floors = run_searches(
            es, apis, KEYS["search"], queries, warmup, highlight
        )
    table = search_table(api_ms["this"], plain_ms)
    table += "\n\n" + floors_table(api_ms["this"], plain_ms, floors)
    if baseline_code is not None:
        table += f"\n\nThis code against {baseline_code}, paired:\n\n"
        table += paired_table(api_ms["this"], api_ms["baseline"])
    return table


def _store_exists(articles: int) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        found = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (f"nfscale{articles}",)
        ).fetchone()
    return found is not None


def indexing_tables(articles: list[Synthetic], with_raw_bulk: bool = True) -> str:
    """Raw `_bulk` of the documents, then `newsflow reindex` of the store; the index size."""
    from services.indexer.reindex import reindex_from_store

    bulk = "| raw `_bulk` of the same documents | not measured (--no-raw-bulk) |"
    if with_raw_bulk:
        bulk_rate, bulk_bytes = raw_bulk(articles)
        bulk = (
            f"| raw `_bulk` of the same documents ({bulk_bytes / 1e6:.0f} MB) | {bulk_rate:.0f} |"
        )
    reindexed = reindex_from_store(swap_grace_s=0, lock_timeout_s=600)
    size = index_size()
    per_article = size["bytes"] / size["articles"]
    return "\n".join(
        [
            "| indexing | documents/s |",
            "| --- | ---: |",
            bulk,
            f"| `newsflow reindex` (reindex_from_store) | {reindexed.docs_per_second:.0f} |",
            "",
            "| index | per article |",
            "| --- | ---: |",
            f"| bytes on disk ({size['bytes'] / 1e9:.2f} GB, {size['segments']} segments) "
            f"| {per_article:.0f} |",
            f"| Lucene documents ({size['lucene_docs']}) | "
            f"{size['lucene_docs'] / size['articles']:.2f} |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "corpus", type=Path, help="a directory of articles in any format `newsflow extract` reads"
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=560, help="corpus articles enriched")
    parser.add_argument("--enrichment-cache", type=Path, default=None)
    parser.add_argument("--queries", type=int, default=700)
    parser.add_argument("--reuse", action="store_true", help="use the store a --keep run left")
    parser.add_argument(
        "--search-only", action="store_true", help="with --reuse: search the index as it is"
    )
    parser.add_argument("--no-raw-bulk", action="store_true", help="only time the reindex")
    parser.add_argument("--keep", action="store_true", help="keep the store and the index")
    parser.add_argument(
        "--no-highlight", action="store_true", help="API queries with highlight=false"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--api-code",
        type=Path,
        default=None,
        help="another source tree (a checkout of an earlier commit): its API answers the same "
        "queries in alternating order, and a paired table compares the two",
    )
    args = parser.parse_args()

    os.environ["NEWSFLOW_DATABASE_URL"] = scratch_database_url(f"nfscale{args.articles}")
    from shared.logging import configure_logging
    from shared.search.mapping import MAPPING_VERSION

    configure_logging()
    corpus, _ = read_corpus(args.corpus)
    step = max(1, math.ceil(len(corpus) / args.sources))
    sources = corpus[::step][: args.sources]
    print(f"# bench_scale: {args.articles} articles from {len(sources)} of {args.corpus}")
    print(f"mapping v{MAPPING_VERSION}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    reuse = args.reuse and _store_exists(args.articles)
    try:
        if not (reuse and args.search_only):
            enrichments, enrich_s = enrich(sources, "real", args.enrichment_cache)
            started = time.perf_counter()
            articles = []
            if not (reuse and args.no_raw_bulk):  # the articles feed the store and raw bulk
                articles = list(synthesize(args.articles, sources, enrichments, corpus, args.seed))
            synth_s = time.perf_counter() - started
            if not reuse:
                drop_indices()
                drop_scratch_database(f"nfscale{args.articles}")
                run_admin(f'CREATE DATABASE "nfscale{args.articles}"')
                store_s = build_store(articles)
                print(f"store of {args.articles} rows: {store_s:.0f} s")
            entities = statistics.mean(len(e.get("entities") or []) for e in enrichments)
            quotes = statistics.mean(len(e.get("quotes") or []) for e in enrichments)
            print(
                f"real enrichment of the sources {enrich_s:.0f} s ({entities:.1f} entities, "
                f"{quotes:.1f} quotes each), synthesis {synth_s:.0f} s (not timed below)\n"
            )
            print(indexing_tables(articles, with_raw_bulk=not args.no_raw_bulk))
            del articles
        if args.no_highlight:
            print("API queries with highlight=false\n")
        print(
            search_bench(
                sources, args.queries, args.seed, Path("/tmp"), not args.no_highlight, args.api_code
            )
        )
    finally:
        if not args.keep:
            drop_indices()
            drop_scratch_database(f"nfscale{args.articles}")


if __name__ == "__main__":
    main()
