"""What the pipeline is doing right now, as plain functions.

`newsflow status`, the gauges the scheduler serves to Prometheus (`shared.metrics`) and the web
console all read the pipeline through these; each function reads one source (Redis, the store,
Celery's control bus or Elasticsearch) and never raises for an unreachable one when it is
asked about health.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from shared.celery_app import app
from shared.db import make_engine
from shared.failures import failure_counts
from shared.models import utcnow
from shared.pipeline_stats import articles_by_state, stage_throughput
from shared.queues import QUEUES, QueueStats, queue_stats
from shared.redis_client import HEALTH_TIMEOUT_S, redis_client
from shared.settings import get_settings
from shared.states import FINAL_STATES, ArticleState

TIMEOUT_S = 2.0


@lru_cache(maxsize=1)
def engine() -> Engine:
    """An engine without a pool: safe in a process that forks workers after using it."""
    return make_engine(get_settings().database_url, pooled=False)


def queues() -> dict[str, QueueStats]:
    """Depth and oldest message age of every queue (see `shared.queues`)."""
    return queue_stats(redis_client(HEALTH_TIMEOUT_S))


@dataclass(frozen=True)
class StateStats:
    count: int
    oldest_age_s: float | None  # how long the longest waiting article has waited (non-final)


def state_stats(session: Session | None = None) -> dict[str, StateStats]:
    """Articles per state (every state, 0 included) and, for non-final ones, the oldest wait."""
    with _session(session) as s:
        found = articles_by_state(s)
    now = utcnow()
    stats = {}
    for state in ArticleState:
        count = found.get(state.value)
        age = None
        if state not in FINAL_STATES:
            oldest = count.oldest_at if count else None
            age = round((now - oldest).total_seconds(), 3) if oldest is not None else 0.0
        stats[state.value] = StateStats(count.articles if count else 0, age)
    return stats


def stage_activity(session: Session | None = None, window_s: float = 60.0) -> dict[str, Any]:
    """Per stage, what its workers recorded in the last `window_s` seconds (whole minutes, from
    the stage events, through `shared.pipeline_stats`): articles done (`ok`), `failed` and
    `retry`, and `per_s`, articles done per second."""
    minutes = max(1, round(window_s / 60))
    with _session(session) as s:
        series = stage_throughput(s, minutes=minutes)
    activity: dict[str, Any] = {}
    for entry in series:
        done = sum(m["done"] for m in entry.minutes)
        outcomes = {
            "ok": done,
            "failed": entry.failed,
            "retry": sum(m["retried"] for m in entry.minutes),
        }
        activity[entry.stage] = {"outcomes": outcomes, "per_s": round(done / (minutes * 60), 3)}
    return activity


def failures_by_reason(session: Session | None = None) -> list[dict[str, Any]]:
    """Failed articles per stage and reason, most frequent first."""
    with _session(session) as s:
        return failure_counts(s)


def live_workers(timeout: float = 1.0) -> dict[str, list[str]]:
    """Per queue (stage name), the Celery workers that answered a ping and consume it."""
    settings = get_settings()
    by_name = {settings.queue_name(q): q for q in QUEUES}
    workers: dict[str, list[str]] = {q: [] for q in QUEUES}
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    for worker, queues in sorted(replies.items()):
        for queue in queues or []:
            stage = by_name.get(queue.get("name", ""))
            if stage is not None:
                workers[stage].append(worker)
    return workers


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str  # "ok", the cluster status for Elasticsearch, or why it is unreachable


def _check(check: Any) -> Health:
    try:
        return Health(True, check() or "ok")
    except Exception as exc:  # noqa: BLE001 - health reports, it never raises
        return Health(False, f"{type(exc).__name__}: {exc}"[:200])


def dependency_health() -> dict[str, Health]:
    """Whether PostgreSQL (the store), Redis and Elasticsearch answer, within 2 s each."""
    from shared.search.client import get_client, with_options

    def database() -> None:
        with engine().connect() as connection:
            connection.execute(text("SELECT 1"))

    def redis() -> None:
        redis_client(HEALTH_TIMEOUT_S).ping()

    def elasticsearch() -> str:
        health = with_options(get_client(), request_timeout=TIMEOUT_S, max_retries=0)
        return str(health.cluster.health(timeout=f"{int(TIMEOUT_S)}s")["status"])

    return {
        "database": _check(database),
        "redis": _check(redis),
        "elasticsearch": _check(elasticsearch),
    }


@contextmanager
def _session(session: Session | None) -> Iterator[Session]:
    """The caller's session, or a short one of our own on the pool-less engine."""
    if session is not None:
        yield session
        return
    with Session(engine()) as own:
        yield own


def snapshot(window_s: float = 60.0, ping_timeout: float = 1.0) -> dict[str, Any]:
    """Everything `newsflow status` shows, as plain data (JSON-ready).

    A section whose source is unreachable is None, and the dependency says why.
    """
    health = dependency_health()
    result: dict[str, Any] = {
        "at": utcnow().isoformat(),
        "window_s": window_s,
        "dependencies": {name: {"ok": h.ok, "detail": h.detail} for name, h in health.items()},
        "queues": None,
        "workers": None,
        "stages": None,
        "states": None,
        "failures": None,
    }
    if health["redis"].ok:
        result["queues"] = {q: vars(s) for q, s in queues().items()}
        try:
            result["workers"] = live_workers(ping_timeout)
        except Exception as exc:  # noqa: BLE001 - the control bus may fail on its own
            result["workers"] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    if health["database"].ok:
        with _session(None) as session:
            result["stages"] = stage_activity(session, window_s)
            result["states"] = {s: vars(v) for s, v in state_stats(session).items()}
            result["failures"] = failures_by_reason(session)
    return result
