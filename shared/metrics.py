"""Prometheus metrics: every definition in one place, for the API, the workers and the scheduler.

Where each series comes from:
- counters and histograms are updated where the work happens (a stage, a bulk request);
- a worker runs its tasks in pool child processes, so workers use prometheus_client's
  multiprocess mode: `newsflow worker` gives each worker service a fresh directory
  (`PROMETHEUS_MULTIPROC_DIR`) and the worker's main process serves the sum of its children
  on `metrics_port` (`serve_worker_metrics`);
- gauges are never set by a stage. Those about the whole pipeline (queue depth and age,
  articles by state, dependencies) are read at scrape time by `PipelineCollector`, which only
  the scheduler serves (there is exactly one scheduler, so no series is exported twice); a
  worker's liveness is `newsflow_worker_up`, served by that worker's main process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from shared.states import Stage

log = structlog.get_logger(__name__)

_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

STAGE_PROCESSED = Counter(
    "newsflow_stage_processed_total",
    "Articles a stage finished, by outcome (ok: moved on; failed: failed for good)",
    ["stage", "outcome"],
)
STAGE_FAILED = Counter(
    "newsflow_stage_failed_total",
    "Articles failed for good, by stage and reason",
    ["stage", "reason"],
)
STAGE_RETRIED = Counter(
    "newsflow_stage_retried_total",
    "Stage batches retried, by the dependency that was unavailable",
    ["stage", "reason"],
)
STAGE_BATCH_SECONDS = Histogram(
    "newsflow_stage_batch_seconds",
    "Time a stage spent on one batch",
    ["stage"],
    buckets=_DURATION_BUCKETS,
)
STAGE_ARTICLE_SECONDS = Histogram(
    "newsflow_stage_article_seconds",
    "Time a stage spent per article (its batch's time divided by the batch's size)",
    ["stage"],
    buckets=_DURATION_BUCKETS,
)
ACCEPTED_TO_SEARCHABLE = Histogram(
    "newsflow_accepted_to_searchable_seconds",
    "From 202 Accepted to the commit of the index stage (searchable at the next refresh)",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 3600),
)
ARTICLES_ACCEPTED = Counter("newsflow_articles_accepted_total", "Articles accepted", ["outcome"])
ES_BULK_SECONDS = Histogram(
    "newsflow_es_bulk_seconds",
    "Latency of one Elasticsearch bulk request",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ES_BULK_ITEMS = Counter(
    "newsflow_es_bulk_items_total",
    "Bulk items by result: ok, retried (429/5xx, sent again) or rejected (refused for good)",
    ["result"],
)
ENRICH_STEP_SECONDS = Histogram(
    "newsflow_enrich_step_seconds",
    "Time the enrich stage spent on each step of one batch",
    ["step"],
    buckets=_DURATION_BUCKETS,
)
ENRICH_STEPS = ("language", "entities", "quotes", "keywords", "summary")
RETRY_REASONS = ("database", "redis", "elasticsearch", "other")
SWEPT = Counter("newsflow_swept_total", "Stuck articles the sweeper sent again", ["stage"])

# Series that exist from the start (at 0), so rates and alerts see them before any event.
for _stage in Stage:
    for _outcome in ("ok", "failed"):
        STAGE_PROCESSED.labels(_stage.value, _outcome)
    for _reason in RETRY_REASONS:
        STAGE_RETRIED.labels(_stage.value, _reason)
    STAGE_BATCH_SECONDS.labels(_stage.value)
    STAGE_ARTICLE_SECONDS.labels(_stage.value)
    SWEPT.labels(_stage.value)
for _result in ("ok", "retried", "rejected"):
    ES_BULK_ITEMS.labels(_result)


def retry_reason(exc: BaseException) -> str:
    """The dependency a transient error points at: database, redis, elasticsearch or other.

    A small fixed set (not the exception text), so the retry counter stays a few series.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__.split(".", 1)[0]
        if module in ("sqlalchemy", "psycopg", "psycopg2", "sqlite3"):
            return "database"
        if module in ("redis", "kombu", "celery"):
            return "redis"
        if module in ("elasticsearch", "elastic_transport"):
            return "elasticsearch"
        current = current.__cause__ or current.__context__
    return "other"


def observe_batch(stage: str, seconds: float, size: int) -> None:
    """A stage finished one batch of `size` articles in `seconds`."""
    STAGE_BATCH_SECONDS.labels(stage).observe(seconds)
    if size:
        per_article = seconds / size
        child = STAGE_ARTICLE_SECONDS.labels(stage)
        for _ in range(size):
            child.observe(per_article)


class StepClock:
    """Adds up the time of each named step over one batch, then observes each total once."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def observe(self, histogram: Histogram) -> None:
        for name, seconds in self.seconds.items():
            histogram.labels(name).observe(seconds)


# --- serving -------------------------------------------------------------------------------


class WorkerCollector(Collector):
    """`newsflow_worker_up{stage}`: 1 while this worker's main process answers scrapes."""

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "newsflow_worker_up",
            "1 while the worker of this stage serves metrics",
            labels=["stage"],
        )
        up.add_metric([self.stage], 1)
        yield up


class PipelineCollector(Collector):
    """Gauges about the whole pipeline, read at scrape time from Redis, the store and ES.

    The one place these gauges are computed; served by the scheduler only.
    """

    def collect(self) -> Iterable[Metric]:
        from shared import monitoring

        health = monitoring.dependency_health()
        dependency_up = GaugeMetricFamily(
            "newsflow_dependency_up", "1 when the dependency answers", labels=["dependency"]
        )
        for name, dependency in health.items():
            dependency_up.add_metric([name], 1 if dependency.ok else 0)
        yield dependency_up
        es_status = GaugeMetricFamily(
            "newsflow_elasticsearch_status",
            "Elasticsearch cluster health: 1 for the current status",
            labels=["status"],
        )
        current = health["elasticsearch"].detail if health["elasticsearch"].ok else "unreachable"
        for status in ("green", "yellow", "red", "unreachable"):
            es_status.add_metric([status], 1 if current == status else 0)
        yield es_status

        if health["redis"].ok:
            depth = GaugeMetricFamily(
                "newsflow_queue_depth", "Messages waiting in a queue", labels=["queue"]
            )
            age = GaugeMetricFamily(
                "newsflow_queue_oldest_age_seconds",
                "Age of the oldest message waiting in a queue (0 when empty)",
                labels=["queue"],
            )
            for queue, stats in monitoring.queues().items():
                depth.add_metric([queue], stats.depth)
                age.add_metric([queue], stats.oldest_age_s)
            yield depth
            yield age

        if health["database"].ok:
            articles = GaugeMetricFamily(
                "newsflow_articles", "Articles in the store by state", labels=["state"]
            )
            oldest = GaugeMetricFamily(
                "newsflow_articles_oldest_age_seconds",
                "How long the article waiting longest in a non-final state has waited",
                labels=["state"],
            )
            for state, in_state in monitoring.state_stats().items():
                articles.add_metric([state], in_state.count)
                if in_state.oldest_age_s is not None:
                    oldest.add_metric([state], in_state.oldest_age_s)
            yield articles
            yield oldest


def worker_registry(stage: str, *, pipeline: bool) -> CollectorRegistry:
    """What a worker serves: its children's counters, its liveness, (scheduler) the pipeline."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        ProcessCollector(registry=registry)  # process_start_time_seconds: restarts show up
    else:  # no pool children writing files (`celery ... --pool solo`): this process's own
        from prometheus_client import REGISTRY

        registry = REGISTRY
    registry.register(WorkerCollector(stage))
    if pipeline:
        registry.register(PipelineCollector())
    return registry


def serve_worker_metrics(stage: str, host: str, port: int, *, pipeline: bool = False) -> None:
    """Serve this worker's metrics on host:port, from a thread of the main process.

    Binding is retried: after a SIGKILL, pool children of the dead worker may hold the port
    for a moment until they notice their parent is gone.
    """
    registry = worker_registry(stage, pipeline=pipeline)

    def bind() -> None:
        while True:
            try:
                start_http_server(port, addr=host, registry=registry)
            except OSError as exc:
                log.warning("metrics_port_busy", port=port, error=str(exc))
                time.sleep(2)
                continue
            log.info("metrics_serving", stage=stage, address=f"{host}:{port}")
            return

    threading.Thread(target=bind, name="metrics-bind", daemon=True).start()


def prepare_multiprocess_dir(path: str) -> None:
    """An empty directory for one worker service's metric files (stale files would be summed)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))


def stage_of_queues(queues: Iterable[str], prefix: str) -> str:
    """The stage a worker serves, from the queues it consumes."""
    names = sorted(q.removeprefix(prefix) for q in queues)
    return names[0] if len(names) == 1 else "+".join(names)
