"""The pipeline black-box, next to its ceiling, measured in one run.

    .venv/bin/python tests/bench/bench_pipeline.py CORPUS_DIR [--limit 300] [--clients 8]
        [--enrich-processes 1,2] [--paced-seconds 60] [--paced-rate R]

1. ceiling: extraction and enrichment of the same articles in this one process, models
   loaded, batches of 64 (what `newsflow enrich` does): the NLP work and nothing else;
   measured before and after the throughput runs (the machine's load drifts), the mean
   is the ceiling;
2. throughput: a real API server and real Celery workers (ingest, enrich, index) over Redis;
   `--clients` threads post the articles one per request, as apps do. Each article's own
   timestamps are read from the store once all are final (accepted = `created_at`, enriched
   = its `enrich` history line, indexed = `indexed_at`): articles/s from the first post to
   the last article indexed, and the enrich stage's articles/s (first ingested to last
   enriched); from the workers' own `stage_done` lines, articles per task and worker time
   per article of each stage. Once per number of enrich processes in `--enrich-processes`;
3. paced: one post every 1/(half the ceiling rate) seconds (or 1/`--paced-rate`: the same
   rate in runs to compare, which the machine's load would give different ceilings) for
   `--paced-seconds`, workers
   at their default concurrency (the cores available): accepted -> indexed p50 and p99, and
   the CPU each process spent per article (API, each stage's workers, and PostgreSQL,
   Elasticsearch and Redis as the machine saw them): what an article alone costs outside
   the NLP.
Everything runs in a store, queues and an index alias of its own on the local stack
(`infra/local-stack.sh up --deps-only`), removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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
CEILING_BATCH = 64

from tests.bench.corpus import post_payloads  # noqa: E402
from tests.bench.proc_cpu import cpu_seconds  # noqa: E402 - after sys.path and the environment


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ceiling(payloads: list[dict[str, str]]) -> float:
    """Articles/s of extraction + enrichment in this process, models loaded."""
    from services.enrich.enrichment import ArticleText, enrich_texts
    from services.ingest.extraction import extract

    enrich_texts([ArticleText(title="Warm up", body="Warm up the models in London.")])
    started = time.perf_counter()
    for start in range(0, len(payloads), CEILING_BATCH):
        extracted = [
            extract(p.get("text") or p["html"], "text" if "text" in p else "html", url=p.get("url"))
            for p in payloads[start : start + CEILING_BATCH]
        ]
        enrich_texts([ArticleText(title=e.title, body=e.body) for e in extracted])
    return len(payloads) / (time.perf_counter() - started)


class Poster:
    """Posts articles to the API, one per request, from `clients` threads."""

    def __init__(self, base: str, key: str, clients: int) -> None:
        import httpx

        self.local = threading.local()
        self.make = lambda: httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60)
        self.pool = ThreadPoolExecutor(max_workers=clients)
        self.refused: list[str] = []
        self.duplicates = 0  # exact copies within the corpus: answered, not processed

    def _post(self, payload: dict[str, str]) -> str | None:
        if not hasattr(self.local, "client"):
            self.local.client = self.make()
        response = self.local.client.post("/v1/articles", json=payload)
        if response.status_code == 200 and response.json()["status"] == "duplicate":
            self.duplicates += 1
            return None
        if response.status_code != 202:
            self.refused.append(f"{response.status_code} {response.text[:200]}")
            return None
        return str(response.json()["id"])

    def post_all(self, payloads: list[dict[str, str]]) -> list[str]:
        return [i for i in self.pool.map(self._post, payloads) if i]

    def post_paced(self, payloads: list[dict[str, str]], rate: float) -> list[str]:
        started = time.perf_counter()
        futures = []
        for n, payload in enumerate(payloads):
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))
            futures.append(self.pool.submit(self._post, payload))
        return [i for i in (f.result() for f in futures) if i]


def wait_final(ids: list[str], timeout_s: float = 1800) -> None:
    """One count query every half second (not one request per article)."""
    from sqlalchemy import func, select

    from shared.db import session_scope
    from shared.models import Article
    from shared.states import FINAL_STATES

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_scope() as session:
            pending = session.scalar(
                select(func.count()).where(
                    Article.id.in_(ids), Article.state.not_in(list(FINAL_STATES))
                )
            )
        if not pending:
            return
        time.sleep(0.5)
    raise SystemExit(f"the pipeline did not finish in {timeout_s:.0f}s")


def timestamps(ids: list[str]) -> dict[str, Any]:
    """Each article's own times, from the store: accepted, ingested, enriched, indexed."""
    from sqlalchemy import func, select

    from shared.db import session_scope
    from shared.models import Article, StageEvent

    with session_scope() as session:
        rows = session.execute(
            select(Article.id, Article.state, Article.created_at, Article.indexed_at).where(
                Article.id.in_(ids)
            )
        ).all()
        first_ok = session.execute(
            select(StageEvent.stage, func.min(StageEvent.at))
            .where(StageEvent.article_id.in_(ids), StageEvent.outcome == "ok")
            .group_by(StageEvent.stage)
        ).all()
        stages: dict[str, Any] = {row[0]: row[1] for row in first_ok}
        last_enriched = session.scalar(
            select(func.max(StageEvent.at)).where(
                StageEvent.article_id.in_(ids),
                StageEvent.stage == "enrich",
                StageEvent.outcome == "ok",
            )
        )
        done: dict[tuple[str, str], Any] = {
            (row[0], row[1]): row[2]
            for row in session.execute(
                select(StageEvent.article_id, StageEvent.stage, func.max(StageEvent.at))
                .where(StageEvent.article_id.in_(ids), StageEvent.outcome == "ok")
                .group_by(StageEvent.article_id, StageEvent.stage)
            ).all()
        }
    indexed = [r for r in rows if r.state == "indexed"]
    # Per article: accepted -> ingested -> enriched -> indexed (queue wait and work).
    steps: dict[str, list[float]] = {"ingest": [], "enrich": [], "index": []}
    for r in indexed:
        times = [r.created_at, done[(r.id, "ingest")], done[(r.id, "enrich")], r.indexed_at]
        for stage, start, end in zip(steps, times, times[1:], strict=False):
            steps[stage].append((end - start).total_seconds())
    return {
        "steps": steps,
        "states": {s: sum(1 for r in rows if r.state == s) for s in {r.state for r in rows}},
        "latencies": [(r.indexed_at - r.created_at).total_seconds() for r in indexed],
        "first_accepted": min(r.created_at for r in rows),
        "last_indexed": max(r.indexed_at for r in indexed),
        "first_ingested": stages["ingest"],
        "last_enriched": last_enriched,
        "enriched": len(indexed),
    }


def worker_times(log_dir: Path) -> str:
    """Per stage, from the workers' `stage_done` log lines: tasks, articles per task and
    wall milliseconds per article of the stage function (claim, work, commits; waiting for
    the cores included: the CPU line says what each process spent)."""
    import json

    parts = []
    for stage in ("ingest", "enrich", "index"):
        tasks = articles = 0
        seconds = 0.0
        path = log_dir / f"{stage}.log"
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            if '"stage_done"' not in line:
                continue
            event = json.loads(line)
            tasks += 1
            articles += event["received"]
            seconds += event["duration_s"]
        if tasks:
            parts.append(
                f"{stage} {tasks} tasks, {articles / tasks:.1f} articles/task, "
                f"{1000 * seconds / articles:.0f} wall ms/article"
            )
    return "; ".join(parts)


# CPU per article by role, read from /proc: the bench's own API server and worker processes
# (each worker a session with its children), and each dependency's process tree, found by
# the port it listens on (other clients of the same stack count too: quiet machine).
DEPENDENCIES = ("postgres", "elasticsearch", "redis")


def _listening_pid(port: int) -> int | None:
    """The process that listens on 127.0.0.1/0.0.0.0:`port` (its socket among its fds)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                    return int(proc.name)
    return None


def dependency_pids() -> dict[int, str]:
    from urllib.parse import urlsplit

    from shared.settings import get_settings

    settings = get_settings()
    urls = (settings.database_url, settings.elasticsearch_url, settings.redis_url)
    found = {}
    for role, url in zip(DEPENDENCIES, urls, strict=True):
        pid = _listening_pid(urlsplit(url).port or 0)
        if pid:
            found[pid] = role
    return found


def cpu_per_article(before: dict[str, float], after: dict[str, float], articles: int) -> str:
    roles = ["api", "ingest", "enrich", "index", *DEPENDENCIES]
    return ", ".join(
        f"{role} {1000 * (after.get(role, 0.0) - before.get(role, 0.0)) / articles:.1f}"
        for role in roles
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--enrich-processes", default="1,2")
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    parser.add_argument("--paced-rate", type=float, default=None)
    args = parser.parse_args()

    import psycopg
    from redis import Redis
    from sqlalchemy import text

    from shared.db import get_engine, upgrade_database
    from shared.search.client import get_client
    from shared.search.indices import alias_name, ensure_index
    from shared.settings import get_settings
    from tests.apiserver import KEYS, KEYS_ENV, running_api
    from tests.support import WorkerPool

    corpus = post_payloads(args.corpus, 100_000)
    payloads = corpus[: args.limit]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{NAMESPACE}"')
    upgrade_database()
    es = get_client()
    logs = Path(f"/tmp/{NAMESPACE}")
    logs.mkdir(parents=True, exist_ok=True)
    pool = WorkerPool(logs)
    cores = len(os.sched_getaffinity(0))

    def reset() -> None:
        pool.stop_all()
        with get_engine().begin() as connection:
            connection.execute(text("TRUNCATE stage_events, articles CASCADE"))
        es.options(ignore_status=404).indices.delete(index=f"{alias_name()}-*")
        ensure_index(es)
        redis = Redis.from_url(get_settings().redis_url)
        for key in redis.scan_iter(f"{NAMESPACE}.*"):
            redis.delete(key)

    def start_workers(poster: Poster, enrich: int) -> None:
        info = {"NEWSFLOW_LOG_LEVEL": "INFO"}  # for the `stage_done` lines
        pool.start("ingest", concurrency=cores, extra_env=info)
        pool.start("enrich", concurrency=enrich, extra_env=info)
        pool.start("index", concurrency=cores, extra_env=info)
        # Models load as each enrich process starts: one article through, then a moment
        # for the other processes, before the clock starts.
        warm = [
            {"text": f"Warm up {i}\n\nA warm-up story in London, number {i}.", "source": "warm-up"}
            for i in range(enrich)
        ]
        wait_final(poster.post_all(warm), 300)
        time.sleep(3)
        for stage in ("ingest", "enrich", "index"):  # the workers append: count from here
            (logs / f"{stage}.log").write_bytes(b"")

    results: list[str] = []
    try:
        ceilings = [ceiling(payloads)]
        print(
            f"articles: {len(payloads)} from {args.corpus}, cores: {cores}, clients: "
            f"{args.clients}, batch window: {get_settings().stage_batch_window_ms} ms",
            flush=True,
        )
        print(f"ceiling before: {ceilings[0]:.1f} articles/s", flush=True)
        with running_api(logs / "api.log", api_keys=KEYS_ENV, log_level="WARNING") as base:
            poster = Poster(base, KEYS["ingest"], args.clients)
            rates: list[tuple[int, int, float, float, dict[str, Any], float]] = []
            for enrich in [int(k) for k in args.enrich_processes.split(",")]:
                reset()
                start_workers(poster, enrich)
                sessions = {process.pid: stage for stage, process in pool.processes.items()}
                roots = dependency_pids()
                cpu_before = cpu_seconds(sessions, roots)
                started = time.perf_counter()
                ids = poster.post_all(payloads)
                posted_s = time.perf_counter() - started
                wait_final(ids)
                cpu_after = cpu_seconds(sessions, roots)
                t = timestamps(ids)
                seconds = (t["last_indexed"] - t["first_accepted"]).total_seconds()
                enrich_s = (t["last_enriched"] - t["first_ingested"]).total_seconds()
                rates.append((enrich, len(ids), posted_s, seconds, t, enrich_s))
                print(f"  workers ({enrich} enrich): {worker_times(logs)}", flush=True)
                print(
                    f"  CPU ms per article ({enrich} enrich): "
                    f"{cpu_per_article(cpu_before, cpu_after, len(ids))}",
                    flush=True,
                )
            pool.stop_all()  # idle workers hold memory, not CPU; the ceiling runs alone anyway
            ceilings.append(ceiling(payloads))
            ceiling_rate = sum(ceilings) / len(ceilings)
            print(
                f"ceiling (extract + enrich in one process, models loaded): {ceilings[0]:.1f} "
                f"before, {ceilings[1]:.1f} after the throughput runs: {ceiling_rate:.1f} "
                "articles/s",
                flush=True,
            )
            for enrich, posted, posted_s, seconds, t, enrich_s in rates:
                rate = posted / seconds
                results.append(
                    f"throughput, {enrich} enrich process(es): {posted} posted in "
                    f"{posted_s:.1f}s, all final in {seconds:.1f}s = {rate:.1f} articles/s "
                    f"= {rate / ceiling_rate:.2f}x ceiling; enrich stage "
                    f"{t['enriched'] / enrich_s:.1f} articles/s; states {t['states']}"
                )
                print(results[-1], flush=True)

            reset()
            start_workers(poster, cores)
            rate = args.paced_rate or ceiling_rate / 2
            paced = corpus[: max(1, round(rate * args.paced_seconds))]
            sessions = {process.pid: stage for stage, process in pool.processes.items()}
            roots = dependency_pids()
            cpu_before = cpu_seconds(sessions, roots)
            ids = poster.post_paced(paced, rate)
            wait_final(ids)
            cpu_after = cpu_seconds(sessions, roots)
            t = timestamps(ids)
            latencies = t["latencies"]
            results.append(
                f"paced at {rate:.1f} articles/s ({rate / ceiling_rate:.2f}x the ceiling) for "
                f"{args.paced_seconds:.0f}s"
                f", {cores} process(es) per stage: {len(ids)} articles, accepted -> indexed "
                f"p50 {percentile(latencies, 0.5):.2f}s, p99 {percentile(latencies, 0.99):.2f}s"
                f", max {max(latencies):.2f}s; states {t['states']}"
            )
            print(results[-1], flush=True)
            steps = ", ".join(
                f"{stage} p50 {percentile(s, 0.5):.2f}s p99 {percentile(s, 0.99):.2f}s"
                for stage, s in t["steps"].items()
            )
            print(f"  each step (waiting + work): {steps}", flush=True)
            print(f"  workers: {worker_times(logs)}", flush=True)
            print(
                "  CPU ms per article (the bench's processes; dependencies whoever used "
                f"them): {cpu_per_article(cpu_before, cpu_after, len(paced))}",
                flush=True,
            )
            if poster.duplicates:
                print(f"exact copies in the corpus, answered `duplicate`: {poster.duplicates}")
            if poster.refused:
                print(f"refused posts: {len(poster.refused)}, e.g. {poster.refused[0]}")
    finally:
        pool.stop_all()
        get_engine().dispose()
        es.options(ignore_status=404).indices.delete(index=f"{alias_name()}-*")
        es.options(ignore_status=404).indices.delete_index_template(name=alias_name())
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{NAMESPACE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
