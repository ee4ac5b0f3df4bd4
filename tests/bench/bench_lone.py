"""What an article alone costs each stage's own code: CPU per call, one article per call.

    .venv/bin/python tests/bench/bench_lone.py CORPUS [--articles 200] [--rounds 3]
        [--code TREE[,TREE]]

Apps post one article at a time, so when nothing else waits in a queue every stage runs on a
batch of one, and what a call costs besides the article's own work is paid per article. For
each of `--articles` articles of the corpus, one call each, in this order:
- submit: `submit_articles` (what `POST /v1/articles` runs: two lookups, the INSERT, the
  commit and the ingest message);
- ingest: `ingest_articles` (the claim, extraction, dedup, recording the outcome);
- index: `index_articles` (the claim, the search document, one bulk request, recording), each
  article enriched beforehand with bench_bulk's stub enrichment: the NLP of the enrich stage is
  what an article costs anyway, not overhead (`bench_enrich.py` measures it).
The figures are this process's CPU time per call (PostgreSQL's, Elasticsearch's and Redis's own
work is not in it) and the wall time per call. No Celery and no HTTP in front:
`bench_pipeline.py`'s paced run measures the deployed processes, these the stage functions
that a change to them moves. The first 10 calls of each stage warm up and are not counted.

Each round runs in a fresh process per source tree of `--code` (default: this one), which
alternate in going first; with two trees, their figures stand side by side with the median
per-round ratio: two versions of the stages compared in the same run, on the same load.
Every run has a database, queues and an index alias of its own on the local stack, removed
at its end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("submit", "ingest", "index")
WARM_UP = 10


def _per_call(calls: list[Callable[[], object]]) -> tuple[float, float]:
    """CPU and wall milliseconds per call of the calls after the warm-up ones."""
    for call in calls[:WARM_UP]:
        call()
    timed = calls[WARM_UP:]
    cpu, wall = time.process_time(), time.perf_counter()
    for call in timed:
        call()
    return (
        (time.process_time() - cpu) * 1000 / len(timed),
        (time.perf_counter() - wall) * 1000 / len(timed),
    )


def measure(corpus: Path, articles: int) -> dict[str, tuple[float, float]]:
    """One run of the three stages over `articles` articles, each alone (in this process)."""
    from tests.bench.bench_bulk import read_corpus, scratch_database, stub_enrichment

    namespace = f"nflone{secrets.token_hex(3)}"
    url, drop = scratch_database(namespace)
    os.environ.update(
        {
            "NEWSFLOW_DATABASE_URL": url,
            "NEWSFLOW_QUEUE_PREFIX": f"{namespace}.",
            "NEWSFLOW_INDEX_ALIAS": f"{namespace}-articles",
        }
    )
    from sqlalchemy import update

    from services.indexer.stage import index_articles
    from services.ingest.stage import ingest_articles
    from shared.db import session_scope, upgrade_database
    from shared.models import Article
    from shared.redis_client import redis_client
    from shared.schemas import ArticleIn
    from shared.search.client import get_client
    from shared.search.indices import ensure_index, managed_indices
    from shared.states import ArticleState
    from shared.submission import submit_articles

    corpus_articles, _ = read_corpus(corpus, articles + WARM_UP)
    es = get_client()
    try:
        upgrade_database()
        ensure_index(es)
        ids: list[str] = []

        def submit(n: int) -> Callable[[], object]:
            article = corpus_articles[n]
            item = ArticleIn(
                text=f"{article.title or ''}\n\n{article.body}",
                source=article.source,
                url=f"https://lone.example.org/{article.id}",
            )

            def call() -> None:
                with session_scope() as session:
                    ids.append(str(submit_articles(session, [item])[0].id))

            return call

        def stage(function: Callable[..., object], article_id: str) -> Callable[[], object]:
            def call() -> None:
                with session_scope() as session:
                    function(session, [article_id])

            return call

        figures = {"submit": _per_call([submit(n) for n in range(len(corpus_articles))])}
        figures["ingest"] = _per_call([stage(ingest_articles, i) for i in ids])
        with session_scope() as session:
            for article in session.query(Article).filter(Article.state == ArticleState.INGESTED):
                enrichment = stub_enrichment(article.title, article.body or "")
                session.execute(
                    update(Article)
                    .where(Article.id == article.id)
                    .values(state=ArticleState.ENRICHED, enrichment=enrichment, language="en")
                )
        figures["index"] = _per_call([stage(index_articles, i) for i in ids])
        return figures
    finally:
        for name in managed_indices(es):
            es.options(ignore_status=404).indices.delete(index=name)
        redis = redis_client()
        for key in redis.scan_iter(f"{namespace}.*"):
            redis.delete(key)
        drop()


def _run(tree: str, corpus: Path, articles: int) -> dict[str, tuple[float, float]]:
    """`measure` in a fresh process running the code of `tree`."""
    out = subprocess.run(
        [sys.executable, __file__, str(corpus), "--articles", str(articles), "--child"],
        env={**os.environ, "PYTHONPATH": tree},
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"the run of {tree} failed:\n{out.stderr[-3000:]}")
    return {k: (v[0], v[1]) for k, v in json.loads(out.stdout.splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "corpus", type=Path, help="a directory of articles in any format `newsflow extract` reads"
    )
    parser.add_argument("--articles", type=int, default=200, help="articles timed per stage")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", default=str(ROOT), help="source trees, comma-separated (1-2)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.corpus, args.articles)))
        return
    trees = [str(Path(t).resolve()) for t in args.code.split(",") if t]
    runs: dict[str, list[dict[str, tuple[float, float]]]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        for tree in trees if round_ % 2 == 0 else trees[::-1]:
            runs[tree].append(_run(tree, args.corpus, args.articles))
            print(f"round {round_ + 1}, {tree}: {runs[tree][-1]}", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    print(f"\n{args.articles} articles alone per stage, {args.rounds} rounds, load {load:.1f}\n")
    header = " | ".join(f"{tree} CPU / wall ms per call" for tree in trees)
    ratio = " | B / A CPU (median of rounds)" if len(trees) == 2 else ""
    print(f"| stage | {header}{ratio} |")
    print("| --- |" + " ---: |" * (len(trees) + (1 if ratio else 0)))
    for name in STAGES:
        cells = []
        for tree in trees:
            cpu = statistics.median(run[name][0] for run in runs[tree])
            wall = statistics.median(run[name][1] for run in runs[tree])
            cells.append(f"{cpu:.2f} / {wall:.1f}")
        if ratio:
            a, b = (runs[tree] for tree in trees)
            ratios = [rb[name][0] / ra[name][0] for ra, rb in zip(a, b, strict=True)]
            cells.append(f"{statistics.median(ratios):.2f}x")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
