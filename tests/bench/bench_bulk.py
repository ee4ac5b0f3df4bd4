"""Bulk indexing throughput of the index stage on a plain-text corpus (docs/s).

    .venv/bin/python tests/bench/bench_bulk.py /work/shared/corpus/bbc [--enrichment real
        [--enrichment-cache /tmp/bbc-enrichment.json]] [--batch 64,500] [--callers 1,2]
        [--rounds 3] [--limit N] [--sqlite]
        [--keep] [--reindex-batch 500] [--reindex-parallel 2] [--worker-gather 64,500
        [--worker-concurrency 1,2] [--worker-code TREE,TREE] [--worker-profile DIR]]
        [--no-reindex]

Articles are read in place: every file `newsflow extract` reads (.txt, .html, .json, .jsonl,
gzipped or not; a file's folder becomes its source), extracted as the ingest stage does it.
Enrichment is either a cheap stub (capitalised names as entities, quoted sentences as
quotes, frequent words as keywords: about as many entities per article as spaCy finds) or
the real enrichment (spaCy + lingua), computed before the clock starts; either way the
figure is the index stage alone.

What is timed: `index_articles(session, batch)` over every batch, i.e. claim (SQL), projection,
bulk requests, state updates and commit, the same function the index worker runs (by
`--callers` threads at a time, as a worker of that concurrency would); then a
`reindex_from_store` of the same rows. Each is set next to its reference, measured in the
same run: raw `_bulk` of the very same documents (read, projected and serialised before the
clock starts) into a fresh index, then one refresh (until they are searchable, as the stage
and the reindex must make them), in requests of the same size as each sends and as many in
flight: for the stage, the requests it cuts a batch of that size into
(`docs_per_request`), `STAGE_REQUESTS_IN_FLIGHT` per caller, into an index with the live settings
(refresh every second); for the reindex, its requests into an index set up as the reindex
sets up its own (no refresh while loading).
`--worker-gather 64,500` also times a real index worker (one process, as compose runs it) on
a backlog: every id enqueued at once in messages of `stage_batch_size` ids, as the enrich
stage sends them, with the worker gathering up to that many ids per task
(`NEWSFLOW_INDEX_GATHER_SIZE`), from the enqueue until the store says every article is
indexed; its reference is raw `_bulk` in the requests the stage cuts 500 ids into.
`--worker-code /work/main,.` runs that worker from each of these source trees in turn
(`PYTHONPATH`), so two versions of the index stage are compared in the same run, on the same
documents and the same load; `--worker-profile DIR` records each worker run with py-spy
(samples of threads holding the GIL, as collapsed stacks in DIR: one line per stack with
its samples, which `flamegraph.pl` or speedscope draw).
The CPU time of the bench process during each (what the stage or the reindex itself costs,
since the raw reference costs next to nothing there) is printed too: on a shared machine it
is steadier than the ratios.

Runs against the local stack in a namespace of its own: alias `newsflow-bench-articles` (or
`$NEWSFLOW_BENCH_ALIAS`, so that two runs can share the stack), a temporary PostgreSQL database
(or SQLite with --sqlite), all removed at the end unless --keep (then bench_search.py can reuse
the index).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
BENCH_ALIAS = os.environ.get("NEWSFLOW_BENCH_ALIAS", "newsflow-bench-articles")
PG_ADMIN_URL = os.environ.get(
    "NEWSFLOW_BENCH_PG_ADMIN_URL", "postgresql://newsflow:newsflow@127.0.0.1:5432/newsflow"
)
# Before any `shared` import: the bench has an alias (and database) of its own.
os.environ["NEWSFLOW_INDEX_ALIAS"] = BENCH_ALIAS
os.environ.setdefault("NEWSFLOW_LOG_LEVEL", "WARNING")

_NAME = re.compile(r"\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)\b")
_QUOTE = re.compile(r'"([^"]{20,300})"\s*,?\s*(?:said|says|told)\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)')
_WORD = re.compile(r"[a-z]{5,}")
_ORG_HINTS = ("Bank", "Corp", "Group", "Party", "Council", "United", "Ltd", "Inc", "Union")
_STOP = frozenset(
    {"about", "after", "again", "their", "there", "these", "those", "which", "while", "would"}
    | {"could", "should", "being", "other", "where", "years", "said", "also", "will", "more"}
    | {"than", "from", "have", "been", "were", "with", "this", "that", "what", "when"}
)


@dataclass
class CorpusArticle:
    id: str
    source: str
    title: str | None
    body: str
    published_at: datetime


def read_corpus(root: Path, limit: int | None = None) -> tuple[list[CorpusArticle], float]:
    """The corpus's articles (`corpus_items`), extracted like the ingest stage does it. An
    article's source is the one its item names, else its folder's name."""
    from services.cli.extract_commands import extract_item
    from tests.bench.corpus import corpus_items, item_key

    started = time.perf_counter()
    articles = []
    for item in corpus_items(root):
        record = extract_item(item)
        if "error" in record:
            continue
        digest = hashlib.sha256(item_key(item).encode()).hexdigest()
        # An undated article (the BBC corpus carries no dates) gets a day of 2004-2005,
        # deterministically, so date filters and histograms have something to work on.
        day = int(digest[:8], 16) % 730
        published = record.get("published_at")
        articles.append(
            CorpusArticle(
                id=digest[:32],
                source=item.source or Path(item.path).parent.name,
                title=record.get("title"),
                body=record["body"],
                published_at=datetime.fromisoformat(published)
                if published
                else datetime(2004, 1, 1, 8, tzinfo=UTC) + timedelta(days=day),
            )
        )
        if limit and len(articles) >= limit:
            break
    if not articles:
        sys.exit(f"no readable articles under {root}")
    return articles, time.perf_counter() - started


def stub_enrichment(title: str | None, body: str) -> dict[str, Any]:
    """Cheap, deterministic stand-in for the enrich stage's JSON (same shape)."""
    text = f"{title or ''}\n\n{body}"
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for match in _NAME.finditer(text):
        name = match.group(1)
        if match.start() and text[match.start() - 1] not in ".\n" and len(name) > 3:
            counts[name] += 1
            first.setdefault(name, match.start())
    entities = []
    for name, mentions in counts.most_common(40):
        words = name.split()
        if any(h in name for h in _ORG_HINTS):
            kind = "organization"
        elif len(words) == 2:
            kind = "person"
        elif text[max(0, first[name] - 3) : first[name]] == "in ":
            kind = "place"
        else:
            kind = "other"
        entities.append(
            {"name": name, "type": kind, "mentions": mentions, "first_offset": first[name]}
        )
    quotes = [
        {"text": m.group(1), "speaker": m.group(2), "offset": m.start()}
        for m in _QUOTE.finditer(text)
    ]
    frequent = Counter(w for w in _WORD.findall(text.lower()) if w not in _STOP)
    word_count = len(body.split())
    return {
        "language": "en",
        "language_confidence": 1.0,
        "entities": entities,
        "quotes": quotes,
        "keywords": [w for w, _ in frequent.most_common(8)],
        "summary": body[:300],
        "word_count": word_count,
        "reading_time_min": max(1, round(word_count / 230)),
        "models": {"entities": "bench-stub"},
    }


def real_enrichment(articles: list[CorpusArticle]) -> list[dict[str, Any]]:
    from services.enrich.enrichment import ArticleText, enrich_texts

    results: list[dict[str, Any]] = []
    for start in range(0, len(articles), 64):
        chunk = articles[start : start + 64]
        results += enrich_texts([ArticleText(a.title, a.body) for a in chunk])
    return results


def enrich(
    articles: list[CorpusArticle], kind: str, cache: Path | None = None
) -> tuple[list[dict[str, Any]], float]:
    """Enrichment per article; the real one can be kept in `cache` (a JSON file outside the
    repository) since it takes minutes and does not change between runs."""
    started = time.perf_counter()
    if kind == "real":
        cached = json.loads(cache.read_text()) if cache and cache.exists() else {}
        if all(a.id in cached for a in articles):
            enrichments = [cached[a.id] for a in articles]
        else:
            enrichments = real_enrichment(articles)
            if cache:
                cached.update({a.id: e for a, e in zip(articles, enrichments, strict=True)})
                cache.write_text(json.dumps(cached))
    else:
        enrichments = [stub_enrichment(a.title, a.body) for a in articles]
    return enrichments, time.perf_counter() - started


def article_rows(
    articles: list[CorpusArticle], enrichments: list[dict[str, Any]], *, stored: bool = True
) -> list[Any]:
    """Rows as the enrich stage leaves them: state `enriched`, enrichment JSON filled in, the
    search document stored with it (not with `stored=False`: rows enriched before documents
    were stored, or after the projection changed, which indexing projects itself)."""
    from shared.models import Article, utcnow
    from shared.search.documents import store_document

    rows = []
    for article, enrichment in zip(articles, enrichments, strict=True):
        raw = f"{article.title}\n\n{article.body}"
        rows.append(
            Article(
                id=article.id,
                revision=1,
                state="enriched",
                source=article.source,
                url=f"https://bbc.example.org/{article.source}/{article.id}",
                input_format="text",
                raw_content=raw,
                submitted={},
                raw_hash=hashlib.sha256(raw.encode()).hexdigest(),
                title=article.title,
                body=article.body,
                published_at=article.published_at,
                language=enrichment.get("language") or "en",
                extracted={"title": article.title, "site_name": "BBC"},
                cluster_id=article.id,
                enrichment=enrichment,
                created_at=utcnow(),
            )
        )
        if stored:
            store_document(rows[-1])
    return rows


def drop_bench_indices() -> None:
    from shared.search.client import get_client
    from shared.search.indices import managed_indices

    es = get_client()
    for name in managed_indices(es):
        es.options(ignore_status=404).indices.delete(index=name)
    es.options(ignore_status=404).indices.delete_index_template(name=BENCH_ALIAS)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def reset_for_indexing() -> None:
    """A fresh bench index, and every article back to `enriched` as the index stage finds it."""
    from sqlalchemy import update

    from shared.db import get_sessionmaker
    from shared.models import Article
    from shared.search.client import get_client
    from shared.search.indices import ensure_index

    drop_bench_indices()
    ensure_index(get_client())
    with get_sessionmaker()() as session:
        session.execute(update(Article).values(state="enriched", attempts=0))
        session.commit()


def run_stage(ids: list[str], batch: int, callers: int = 1) -> dict[str, float]:
    """Index every id through the index stage, `batch` ids per call (= per message), by
    `callers` threads taking the next batch as they finish one (a worker process each)."""
    from concurrent.futures import ThreadPoolExecutor

    from services.indexer.stage import index_articles
    from shared.db import get_sessionmaker
    from shared.search.client import get_client
    from shared.search.indices import alias_name

    reset_for_indexing()
    sessions = get_sessionmaker()
    batches = [ids[start : start + batch] for start in range(0, len(ids), batch)]

    def call(batch_ids: list[str]) -> tuple[int, float]:
        began = time.perf_counter()
        with sessions() as session:
            indexed = len(index_articles(session, batch_ids))
        return indexed, time.perf_counter() - began

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        calls = list(pool.map(call, batches))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    indexed = sum(count for count, _ in calls)
    latencies = [latency for _, latency in calls]
    get_client().indices.refresh(index=alias_name())
    count = get_client().count(index=alias_name())["count"]
    assert indexed == count == len(ids), (indexed, count, len(ids))
    return {
        "docs": indexed,
        "seconds": seconds,
        "docs_per_s": indexed / seconds,
        "cpu_ms_per_doc": cpu_seconds * 1000 / indexed,
        "batch_p50_ms": _percentile(latencies, 0.5) * 1000,
        "batch_p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def run_worker_backlog(
    ids: list[str],
    gather: int,
    concurrency: int,
    code: str | None = None,
    profile: Path | None = None,
) -> dict[str, float]:
    """Index a backlog of every id through a real index worker of `concurrency` processes
    gathering up to `gather` ids a task, run from the source tree `code` (default: this
    one); timed from the enqueue until the store has them all indexed. With `profile`, py-spy
    records the worker's processes meanwhile, as collapsed stacks in that directory."""
    import subprocess

    from redis import Redis
    from sqlalchemy import func, select

    from shared.celery_app import enqueue
    from shared.db import get_sessionmaker
    from shared.models import Article
    from shared.search.client import get_client
    from shared.search.indices import alias_name
    from shared.settings import get_settings
    from shared.states import Stage
    from tests.bench.proc_cpu import cpu_seconds

    reset_for_indexing()
    sessions = get_sessionmaker()
    prefix = f"bench-bulk-{secrets.token_hex(3)}."
    env = {
        **os.environ,
        "NEWSFLOW_QUEUE_PREFIX": prefix,
        "NEWSFLOW_INDEX_GATHER_SIZE": str(gather),
        "NEWSFLOW_METRICS_PORT": "0",
    }
    # `python -m` puts the working directory first on sys.path, before PYTHONPATH: the worker
    # runs in the tree it is to import from (otherwise every tree's worker ran this one's code).
    tree = Path(code).resolve() if code else None
    if tree:
        env["PYTHONPATH"] = str(tree)
    argv = [sys.executable, "-m", "celery", "-A", "services.indexer.worker", "--quiet", "worker"]
    argv += ["-Q", f"{prefix}index", "-c", str(concurrency), "-n", f"bench-{prefix}@%h"]
    argv += ["--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
    worker = subprocess.Popen(
        argv,
        env=env,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.environ["NEWSFLOW_QUEUE_PREFIX"] = prefix
    get_settings.cache_clear()
    redis = Redis.from_url(get_settings().redis_url)
    queue = get_settings().queue_name(Stage.INDEX)

    def indexed() -> int:
        with sessions() as session:
            query = select(func.count()).where(Article.state == "indexed")
            return int(session.scalar(query) or 0)

    def worker_cpu() -> float:
        return cpu_seconds({worker.pid: "worker"}, {}).get("worker", 0.0)

    spy: subprocess.Popen[bytes] | None = None

    try:
        # Ready when it has taken a message (an id the store does not hold: a no-op).
        enqueue(Stage.INDEX, ["not-in-the-store"])
        deadline = time.monotonic() + 120
        while redis.llen(queue) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            name = f"worker-{Path(code or '.').resolve().name}-gather{gather}-{prefix[11:-1]}.txt"
            py_spy = Path(sys.executable).with_name("py-spy")
            # Samples of threads holding the GIL: where the worker's Python CPU goes, not
            # its waits for PostgreSQL and Elasticsearch.
            record = ["record", "--subprocesses", "--gil", "--rate", "250", "--format", "raw"]
            spy = subprocess.Popen(
                [str(py_spy), *record, "--pid", str(worker.pid), "-o", str(profile / name)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # attached before the clock starts
        started, cpu_started = time.perf_counter(), worker_cpu()
        enqueue(Stage.INDEX, ids)
        while indexed() < len(ids):
            if worker.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError("the index worker stopped or stalled")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        cpu_ms_per_doc = (worker_cpu() - cpu_started) * 1000 / len(ids)
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            spy.wait(60)
        worker.terminate()
        worker.wait(30)
        for key in redis.scan_iter(f"{prefix}*"):
            redis.delete(key)
        os.environ.pop("NEWSFLOW_QUEUE_PREFIX")
        get_settings.cache_clear()
    get_client().indices.refresh(index=alias_name())
    assert get_client().count(index=alias_name())["count"] == len(ids)
    return {
        "docs": len(ids),
        "seconds": seconds,
        "docs_per_s": len(ids) / seconds,
        "cpu_ms_per_doc": cpu_ms_per_doc,
    }


def raw_bulk(batch: int, parallel: int, *, loading: bool) -> dict[str, float]:
    """Elasticsearch's own speed on the stored documents: projected and serialised before
    the clock starts, then plain `_bulk` requests of `batch` documents, `parallel` in flight,
    into a fresh index (`loading`: no replicas and no refresh, like a reindex's; else the
    live settings), and one refresh."""
    from concurrent.futures import ThreadPoolExecutor

    import orjson
    from sqlalchemy import select
    from sqlalchemy.orm import load_only

    from shared.db import get_sessionmaker
    from shared.models import Article
    from shared.search.client import get_client
    from shared.search.documents import PROJECTED_COLUMNS, SEARCHABLE_STATES, from_db
    from shared.search.indices import install_template, versioned_index_name

    es = get_client()
    install_template(es)
    index = versioned_index_name(suffix=f"raw-{secrets.token_hex(3)}")
    with get_sessionmaker()() as session:
        rows = session.scalars(
            select(Article)
            .options(load_only(*PROJECTED_COLUMNS))
            .where(Article.state.in_(SEARCHABLE_STATES))
            .order_by(Article.id)
        ).all()
        lines: list[bytes] = []
        for a in rows:
            action = {"_index": index, "_id": a.id, "version": a.revision}
            lines.append(orjson.dumps({"index": action | {"version_type": "external_gte"}}))
            lines.append(orjson.dumps(from_db(a, indexed_at=a.indexed_at)))
    requests = [lines[i : i + 2 * batch] for i in range(0, len(lines), 2 * batch)]
    loading_settings = {
        "auto_expand_replicas": False,
        "number_of_replicas": 0,
        "refresh_interval": -1,
    }
    es.indices.create(index=index, settings=loading_settings if loading else None)
    es.cluster.health(index=index, wait_for_status="yellow", timeout="60s")

    def send(operations: list[bytes]) -> str | None:
        """The first rejection's reason, if any."""
        response = es.options(request_timeout=300).bulk(
            operations=operations,  # type: ignore[arg-type]
            filter_path="errors,items.*.error",
        )
        if not response["errors"]:
            return None
        return next(str(error) for item in response["items"] for error in item.values())

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            errors = list(pool.map(send, requests))
        bulk_seconds = time.perf_counter() - started
        es.options(request_timeout=300).indices.refresh(index=index)
        seconds = time.perf_counter() - started
    finally:
        es.options(ignore_status=404).indices.delete(index=index)
    rejected = [error for error in errors if error]
    assert not rejected, f"raw _bulk: Elasticsearch rejected documents: {rejected[0][:500]}"
    return {
        "docs": len(rows),
        "seconds": seconds,
        "docs_per_s": len(rows) / seconds,
        "bulk_docs_per_s": len(rows) / bulk_seconds,
    }


def _ratio_line(what: str, rates: list[float], raw: list[dict[str, float]]) -> None:
    """`rates[i]` (round i) against the mean of the raw runs before and after it."""
    ratios = [
        rate / ((raw[i]["docs_per_s"] + raw[i + 1]["docs_per_s"]) / 2)
        for i, rate in enumerate(rates)
    ]
    each = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"{what}: {statistics.median(ratios):.2f}x raw _bulk + refresh (median; rounds: {each})")


def _code_label(code: str) -> str:
    return f", code {Path(code).resolve()}" if code else ""


def _raw_line(what: str, runs: list[dict[str, float]], batch: int, parallel: int) -> float:
    """Print the reference runs of `what`; returns their mean docs/s."""
    rate = sum(r["docs_per_s"] for r in runs) / len(runs)
    figures = ", ".join(
        f"{r['docs_per_s']:.0f} ({r['bulk_docs_per_s']:.0f} before the refresh)" for r in runs
    )
    print(f"raw _bulk + refresh, {what} ({batch}/request, {parallel} in flight): {figures} docs/s")
    return rate


def scratch_database_url(name: str) -> str:
    base = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0]
    return f"{base}/{name}"


def run_admin(statement: str) -> None:
    """One statement on the PostgreSQL server's admin database (outside a transaction)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(statement)  # type: ignore[arg-type]


def drop_scratch_database(name: str) -> None:
    from shared.db import get_engine

    get_engine().dispose()  # its pooled connections would hold the database open
    run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scratch_database(name: str, *, reuse: bool = False) -> tuple[str, Callable[[], None]]:
    """A PostgreSQL database of the bench's own, made afresh unless `reuse`: its URL and how
    to drop it."""
    if not reuse:
        run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run_admin(f'CREATE DATABASE "{name}"')
    return scratch_database_url(name), lambda: drop_scratch_database(name)


def _create_database(use_sqlite: bool) -> tuple[str, Callable[[], None]]:
    if use_sqlite:
        path = Path(tempfile.mkdtemp(prefix="newsflow-bench-")) / "bench.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    return scratch_database(f"nfbench{secrets.token_hex(3)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "corpus", type=Path, help="a directory of articles in any format `newsflow extract` reads"
    )
    parser.add_argument("--enrichment", choices=["stub", "real"], default="stub")
    parser.add_argument(
        "--enrichment-cache", type=Path, help="JSON file keeping the real enrichment"
    )
    parser.add_argument("--batch", default="64,500", help="ids per stage call, comma-separated")
    parser.add_argument(
        "--callers",
        default="1",
        help="stage calls at a time, comma-separated (a worker's concurrency: 1 is compose's)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each, between references")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite store, not PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the index for bench_search")
    parser.add_argument("--reindex-batch", type=int, default=500, help="documents per request")
    parser.add_argument("--reindex-parallel", type=int, default=2, help="requests in flight")
    parser.add_argument(
        "--worker-gather",
        default="",
        help="also a real index worker on a backlog, gathering up to these many ids per task",
    )
    parser.add_argument(
        "--worker-concurrency",
        default="1",
        help="processes of that worker, comma-separated (compose runs 1)",
    )
    parser.add_argument(
        "--worker-code",
        default="",
        help="source trees to run that worker from, in turn, comma-separated (an A/B of two "
        "versions in one run; default: this one)",
    )
    parser.add_argument(
        "--worker-profile", type=Path, help="record each worker run with py-spy into this dir"
    )
    parser.add_argument("--no-reindex", action="store_true", help="leave out the reindex runs")
    parser.add_argument(
        "--projected",
        action="store_true",
        help="rows without stored search documents: indexing projects each row itself",
    )
    args = parser.parse_args()

    url, drop_database = _create_database(args.sqlite)
    os.environ["NEWSFLOW_DATABASE_URL"] = url
    from shared.db import get_sessionmaker, upgrade_database
    from shared.logging import configure_logging

    configure_logging()
    try:
        upgrade_database(url)
        articles, extract_s = read_corpus(args.corpus, args.limit)
        enrichments, enrich_s = enrich(articles, args.enrichment, args.enrichment_cache)
        entities = sum(len(e.get("entities", [])) for e in enrichments) / len(articles)
        print(
            f"corpus: {len(articles)} articles from {args.corpus}, plain-text extraction "
            f"{extract_s:.1f}s, {args.enrichment} enrichment {enrich_s:.1f}s "
            f"(not timed below; {entities:.1f} entities/article)"
        )
        with get_sessionmaker()() as session:
            session.add_all(article_rows(articles, enrichments, stored=not args.projected))
            session.commit()
        ids = [a.id for a in articles]
        # As an index worker process does once started (shared/worker.py), and `newsflow
        # reindex`: what is loaded by now stays out of the garbage collector's full passes.
        gc.freeze()
        store = "SQLite" if args.sqlite else "PostgreSQL"
        # Each reference runs before and after what it is the reference of (the machine's
        # load drifts), `--rounds` times: a ratio per round, against the mean of the two
        # raw runs around it, and their median.
        from services.indexer.reindex import reindex_from_store
        from services.indexer.stage import STAGE_REQUESTS_IN_FLIGHT, docs_per_request

        batches = [int(b) for b in args.batch.split(",") if b]
        configs = [(int(c), b) for c in args.callers.split(",") for b in batches]
        # The reference of each stage run: raw `_bulk` in the requests the stage cuts a batch
        # of that size into, as many in flight as its callers keep at most.
        shapes = {
            (callers, batch): (docs_per_request(batch), STAGE_REQUESTS_IN_FLIGHT * callers)
            for callers, batch in configs
        }
        live = {shape: [raw_bulk(*shape, loading=False)] for shape in sorted(set(shapes.values()))}
        stage_rates: dict[tuple[int, int], list[float]] = {}
        for _round in range(args.rounds):
            for callers, batch in configs:
                result = run_stage(ids, batch, callers)
                stage_rates.setdefault((callers, batch), []).append(result["docs_per_s"])
                print(
                    f"index stage, {batch:>4} ids/call, {callers} caller(s) ({store}): "
                    f"{result['docs']} docs in {result['seconds']:.2f}s = "
                    f"{result['docs_per_s']:.0f} docs/s "
                    f"(per call p50 {result['batch_p50_ms']:.0f} ms, "
                    f"p99 {result['batch_p99_ms']:.0f} ms; "
                    f"bench process CPU {result['cpu_ms_per_doc']:.2f} ms/doc)"
                )
            for shape, runs in live.items():
                runs.append(raw_bulk(*shape, loading=False))
        for shape, runs in live.items():
            _raw_line("live index", runs, *shape)
        for (callers, batch), rates in stage_rates.items():
            what = f"index stage, {batch:>4} ids/call, {callers} caller(s)"
            _ratio_line(what, rates, live[shapes[(callers, batch)]])

        gathers = [int(g) for g in args.worker_gather.split(",") if g]
        codes = [c for c in args.worker_code.split(",") if c] or [""]
        workers = [
            (g, int(c), code)
            for c in args.worker_concurrency.split(",")
            for g in gathers
            for code in codes
        ]
        if workers:
            shape = (docs_per_request(500), STAGE_REQUESTS_IN_FLIGHT)
            backlog_raw = [raw_bulk(*shape, loading=False)]
            backlog_rates: dict[tuple[int, int, str], list[float]] = {}
            for _round in range(args.rounds):
                for gather, processes, code in workers:
                    result = run_worker_backlog(ids, gather, processes, code, args.worker_profile)
                    backlog_rates.setdefault((gather, processes, code), []).append(
                        result["docs_per_s"]
                    )
                    print(
                        f"index worker ({processes} process(es){_code_label(code)}) on a "
                        f"backlog, gathering up to {gather:>4} ids: "
                        f"{result['docs']} docs in {result['seconds']:.2f}s = "
                        f"{result['docs_per_s']:.0f} docs/s "
                        f"(worker CPU {result['cpu_ms_per_doc']:.2f} ms/doc)"
                    )
                backlog_raw.append(raw_bulk(*shape, loading=False))
            _raw_line("live index", backlog_raw, *shape)
            for (gather, processes, code), rates in backlog_rates.items():
                what = (
                    f"index worker ({processes} process(es){_code_label(code)}), "
                    f"gathering up to {gather:>4} ids"
                )
                _ratio_line(what, rates, backlog_raw)

        batch, parallel = args.reindex_batch, args.reindex_parallel
        loading = [] if args.no_reindex else [raw_bulk(batch, parallel, loading=True)]
        reindex_rates = []
        for _round in range(0 if args.no_reindex else args.rounds):
            cpu_started = time.process_time()
            reindexed = reindex_from_store(swap_grace_s=0, batch_size=batch, parallel=parallel)
            reindex_cpu_ms = (time.process_time() - cpu_started) * 1000 / reindexed.documents
            reindex_rates.append(reindexed.docs_per_second)
            loading.append(raw_bulk(batch, parallel, loading=True))
            print(
                f"reindex from the store: {reindexed.documents} docs in "
                f"{reindexed.seconds:.2f}s = {reindexed.docs_per_second:.0f} docs/s "
                f"({reindexed.bulk.requests} bulk requests, {reindexed.bulk.bytes / 1e6:.1f} MB; "
                f"bench process CPU {reindex_cpu_ms:.2f} ms/doc)"
            )
        if reindex_rates:
            _raw_line("loading index", loading, batch, parallel)
            _ratio_line("reindex from the store", reindex_rates, loading)
    finally:
        if not args.keep:
            drop_bench_indices()
        drop_database()


if __name__ == "__main__":
    main()
