"""Pipeline throughput against its ceiling, measured in one run.

    .venv/bin/python tests/bench/bench_pipeline.py CORPUS_DIR [--limit N] [--enrich-workers K]

1. ceiling: the same stage functions (extract, enrich, bulk index, with their SQL) called in
   this one process, batch after batch, with no queues in between;
2. pipeline: the same articles submitted to the store and carried by real Celery worker
   processes (ingest, enrich, index) over Redis.
Both write to a store, queues and an index alias of their own (removed afterwards) on the
local stack (`infra/local-stack.sh up --deps-only`). Prints articles/s of each and the ratio.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
NAMESPACE = f"nfbench{secrets.token_hex(3)}"
PG_ADMIN_URL = os.environ.get(
    "NEWSFLOW_TEST_PG_ADMIN_URL", "postgresql://newsflow:newsflow@127.0.0.1:5432/newsflow"
)
os.environ.update(
    {
        "NEWSFLOW_TEST_NAMESPACE": NAMESPACE,
        "NEWSFLOW_DATABASE_URL": PG_ADMIN_URL.replace(
            "postgresql://", "postgresql+psycopg://"
        ).rsplit("/", 1)[0]
        + f"/{NAMESPACE}",
        "NEWSFLOW_QUEUE_PREFIX": f"{NAMESPACE}.",
        "NEWSFLOW_INDEX_ALIAS": f"{NAMESPACE}-articles",
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }
)


def load_corpus(corpus: Path, limit: int) -> list[dict[str, str]]:
    files = sorted(p for p in corpus.rglob("*.txt") if p.name.lower() != "readme.txt")[:limit]
    return [
        {
            "text": f.read_text(encoding="utf-8", errors="replace"),
            "source": "bench",
            "external_id": f"{f.parent.name}/{f.name}",
        }
        for f in files
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--limit", type=int, default=400)
    parser.add_argument("--enrich-workers", type=int, default=1)
    args = parser.parse_args()

    import psycopg
    from sqlalchemy import func, select, text

    from services.enrich.stage import enrich_articles
    from services.indexer.stage import index_articles
    from services.ingest.stage import ingest_articles
    from shared.db import get_engine, session_scope, upgrade_database
    from shared.models import Article
    from shared.schemas import ArticleIn
    from shared.search.client import get_client
    from shared.search.indices import alias_name, ensure_index
    from shared.settings import get_settings
    from shared.states import FINAL_STATES
    from shared.submission import submit_articles
    from tests.support import WorkerPool

    items = [ArticleIn.model_validate(p) for p in load_corpus(args.corpus, args.limit)]
    words = sum(len(i.content.split()) for i in items)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{NAMESPACE}"')
    upgrade_database()
    es = get_client()
    pool = WorkerPool(Path(f"/tmp/{NAMESPACE}"))
    pool.log_dir.mkdir(parents=True, exist_ok=True)
    batch = get_settings().stage_batch_size

    def reset() -> None:
        with get_engine().begin() as connection:
            connection.execute(text("TRUNCATE stage_events, articles CASCADE"))
        es.options(ignore_status=404).indices.delete(index=f"{alias_name()}-*")
        ensure_index(es)
        from redis import Redis

        redis = Redis.from_url(get_settings().redis_url)
        for key in redis.scan_iter(f"{NAMESPACE}.*"):
            redis.delete(key)

    try:
        # Warm up models and connections once, outside both timings.
        from services.enrich.enrichment import ArticleText, enrich_texts

        enrich_texts([ArticleText(title="Warm up", body="Warm up the model in London.")])
        reset()

        # 1. Ceiling: stage functions in this process, no queues.
        with session_scope() as session:
            results = submit_articles(session, items)
        ids = [r.id for r in results if r.id]
        start = time.perf_counter()
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            with session_scope() as session:
                ready = ingest_articles(session, chunk)
            with session_scope() as session:
                ready = enrich_articles(session, ready)
            with session_scope() as session:
                index_articles(session, ready)
        ceiling_s = time.perf_counter() - start
        with session_scope() as session:
            ceiling_indexed = session.scalar(select(func.count()).where(Article.state == "indexed"))
        reset()

        # 2. Pipeline: real workers over Redis.
        pool.start("ingest")
        pool.start("enrich", concurrency=args.enrich_workers)
        pool.start("index")
        time.sleep(8)  # let the workers load their models before the clock starts
        start = time.perf_counter()
        with session_scope() as session:
            submit_articles(session, items)
        while True:
            with session_scope() as session:
                pending = session.scalar(
                    select(func.count()).where(Article.state.not_in(list(FINAL_STATES)))
                )
                indexed = session.scalar(select(func.count()).where(Article.state == "indexed"))
            if not pending:
                break
            if time.perf_counter() - start > 1800:
                raise SystemExit(f"pipeline did not finish: {pending} pending")
            time.sleep(0.2)
        pipeline_s = time.perf_counter() - start
    finally:
        pool.stop_all()
        get_engine().dispose()
        es.options(ignore_status=404).indices.delete(index=f"{alias_name()}-*")
        es.options(ignore_status=404).indices.delete_index_template(name=alias_name())
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{NAMESPACE}" WITH (FORCE)')

    n = len(items)
    print(f"articles: {n}  words: {words}  batch: {batch}  cores: {os.cpu_count()}")
    print(f"{'run':<34}{'seconds':>9}{'articles/s':>12}{'words/s':>11}{'indexed':>9}")
    print(
        f"{'ceiling (one process, no queues)':<34}{ceiling_s:>9.1f}{n / ceiling_s:>12.1f}"
        f"{words / ceiling_s:>11.0f}{ceiling_indexed:>9}"
    )
    print(
        f"{'pipeline (workers over Redis)':<34}{pipeline_s:>9.1f}{n / pipeline_s:>12.1f}"
        f"{words / pipeline_s:>11.0f}{indexed:>9}"
    )
    print(f"pipeline / ceiling throughput: {ceiling_s / pipeline_s:.2f}")


if __name__ == "__main__":
    main()
