"""Prometheus metrics, one definition each, shared by the API and the workers."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

STAGE_PROCESSED = Counter(
    "newsflow_stage_processed_total", "Articles a stage finished", ["stage", "outcome"]
)
STAGE_RETRIED = Counter("newsflow_stage_retried_total", "Stage batches retried", ["stage"])
STAGE_DURATION = Histogram(
    "newsflow_stage_batch_seconds",
    "Time a stage spent on one batch",
    ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ACCEPTED_TO_SEARCHABLE = Histogram(
    "newsflow_accepted_to_searchable_seconds",
    "From 202 Accepted to indexed",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)
ARTICLES_ACCEPTED = Counter("newsflow_articles_accepted_total", "Articles accepted", ["outcome"])
QUEUE_DEPTH = Gauge("newsflow_queue_depth", "Messages waiting in a stage queue", ["queue"])
ARTICLES_BY_STATE = Gauge("newsflow_articles", "Articles in the store by state", ["state"])
