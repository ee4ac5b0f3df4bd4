"""Fault-injection helpers: drive the stack's services and real workers, make articles,
and compare the store with Elasticsearch afterwards."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support import NAMESPACE, ROOT, WorkerPool, wait_until

STACK_SCRIPT = ROOT / "infra" / "local-stack.sh"

# The shipped defaults of every setting recovery depends on, stated for the workers (the test
# session's own environment shortens some of them): the fault suite measures what users get.
RECOVERY_SETTINGS = (
    "sweeper_stuck_after_s",
    "sweeper_interval_s",
    "broker_check_interval_s",
    "retry_backoff_base_s",
    "retry_backoff_max_s",
    "task_max_retries",
    "elasticsearch_timeout_s",
    "stage_batch_size",
)


def shipped_env() -> dict[str, str]:
    from shared.settings import Settings

    return {
        f"NEWSFLOW_{name.upper()}": str(Settings.model_fields[name].default)
        for name in RECOVERY_SETTINGS
    }


# --- the fault table ---------------------------------------------------------------------


@dataclass
class FaultResult:
    fault: str
    in_flight: int
    indexed: int
    failed: int
    lost: int
    duplicated: int
    recovery_s: float  # dependency back -> lost work re-sent and the stage moving again
    drained_s: float  # dependency back -> every article final (includes processing)
    notes: str = ""


@dataclass
class FaultTable:
    rows: list[FaultResult] = field(default_factory=list)


FAULT_TABLE = FaultTable()


# --- the stack ---------------------------------------------------------------------------


def url_port(url: str, default: int) -> int:
    return urlsplit(url).port or default


def script_env() -> dict[str, str]:
    out = subprocess.run(
        [str(STACK_SCRIPT), "env"], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


class Stack:
    """Stop, start and restart the stack's dependencies; remembers what it stopped."""

    SERVICES = ("redis", "postgres", "elasticsearch")

    def __init__(self) -> None:
        self.stopped: set[str] = set()

    def _run(self, action: str, service: str) -> None:
        subprocess.run(
            [str(STACK_SCRIPT), action, service],
            check=True,
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=300,
        )

    def stop(self, service: str) -> None:
        self.stopped.add(service)
        self._run("stop", service)

    def start(self, service: str) -> None:
        self._run("start", service)
        self.stopped.discard(service)

    def restart(self, service: str) -> None:
        self.stopped.add(service)
        self._run("restart", service)
        self.stopped.discard(service)

    def restore_all(self) -> None:
        for service in self.SERVICES:
            # Idempotent: a running service is left as it is.
            self._run("start", service)
        self.stopped.clear()


# --- workers -----------------------------------------------------------------------------


class ChaosPool(WorkerPool):
    """Real workers of the test harness app (tests/reliability/harness.py), with the shipped
    recovery settings; they can be SIGKILLed as a group or SIGTERMed like a container."""

    APPS = dict.fromkeys(WorkerPool.APPS, "tests.reliability.harness")

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        super().__init__(log_dir)
        self.env = env
        self.stage_env: dict[str, dict[str, str]] = {}

    def start(  # type: ignore[override]
        self, stage: str, *, concurrency: int = 1, beat: bool = False, **_: Any
    ) -> subprocess.Popen[bytes]:
        env = {**self.env, **self.stage_env.get(stage, {})}
        return super().start(stage, concurrency=concurrency, extra_env=env, beat=beat)

    def start_pipeline(self) -> None:
        for stage in ("ingest", "enrich", "index"):
            self.start(stage)
        self.start("scheduler", beat=True)

    def sigkill(self, stage: str) -> None:
        """SIGKILL the worker's whole process group: no warm shutdown, no acks."""
        self.kill(stage, signal.SIGKILL)

    def sigterm_main(self, stage: str, timeout: float = 120) -> float:
        """SIGTERM the main process only (what a container runtime does); returns the
        seconds it took to exit."""
        process = self.processes.pop(stage)
        started = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
        with _suppress_lookup():
            os.killpg(process.pid, signal.SIGKILL)  # any orphan left in its group
        return time.monotonic() - started

    def stop_all(self) -> None:
        for stage in list(self.processes):
            with _suppress_lookup():
                self.kill(stage, signal.SIGKILL)
        purge_unacked()


def purge_unacked() -> None:
    """Drop this session's messages that killed workers left in Redis's `unacked` hash
    (shared by every Celery app on the Redis): they would come back after the visibility
    timeout, into queues nobody reads any more."""
    import json

    from redis import Redis

    redis = Redis.from_url(os.environ["NEWSFLOW_REDIS_URL"])
    try:
        for tag, raw in redis.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError, TypeError):
                continue
            if isinstance(routing_key, str) and routing_key.startswith(f"{NAMESPACE}."):
                pipe = redis.pipeline()
                pipe.hdel("unacked", tag)
                pipe.zrem("unacked_index", tag)
                pipe.execute()
    finally:
        redis.close()


def empty_queues() -> None:
    """Drop this session's queued and unacknowledged messages: the local Redis keeps them
    across a restart (AOF), so a Redis that lost its data is simulated this way."""
    from redis import Redis

    redis = Redis.from_url(os.environ["NEWSFLOW_REDIS_URL"])
    try:
        for key in redis.scan_iter(f"{NAMESPACE}.*"):
            redis.delete(key)
    finally:
        redis.close()
    purge_unacked()


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, *_: Any) -> bool:
        return exc_type is not None and issubclass(exc_type, ProcessLookupError)


# --- articles ----------------------------------------------------------------------------

_PEOPLE = ["Maria Keller", "Tomas Berg", "Aiko Tanaka", "Samuel Osei", "Lena Novak",
           "Rafael Ortiz", "Nadia Haddad", "Jonas Lind", "Priya Raman", "Oscar Dahl"]  # fmt: skip
_PLACES = ["Lisbon", "Nairobi", "Oslo", "Montreal", "Hanoi", "Valparaiso", "Tbilisi",
           "Kraków", "Reykjavík", "Brisbane", "Accra", "Bergen"]  # fmt: skip
_ORGS = ["the World Health Organization", "the city council", "Northwind Shipping",
         "the national rail operator", "the central bank", "Helios Energy"]  # fmt: skip
_TOPICS = ["harbour expansion", "water rationing", "tram strike", "solar auction",
           "library reopening", "bridge inspection", "fishing quota", "flood defences",
           "bus fares", "school meals", "wind farm", "museum heist"]  # fmt: skip
_VERBS = ["announced", "criticised", "defended", "postponed", "approved", "questioned",
          "welcomed", "rejected", "reviewed", "funded"]  # fmt: skip
_WORDS = [
    "residents",
    "officials",
    "engineers",
    "budget",
    "contract",
    "season",
    "weather",
    "council",
    "report",
    "deadline",
    "survey",
    "shipment",
    "market",
    "union",
    "transport",
    "funding",
    "proposal",
    "hearing",
    "vote",
    "coast",
    "river",
    "district",
    "harbour",
    "station",
    "airport",
    "factory",
    "clinic",
    "festival",
    "archive",
    "turbine",
    "tunnel",
    "ferry",
    "ministry",
    "tender",
    "audit",
    "pilot",
    "scheme",
]


def synthetic_article(n: int, seed: int, marker: str = "") -> dict[str, str]:
    """One plausible, unique news article (plain text: title line, blank line, body)."""
    rng = random.Random(seed * 100_003 + n)
    place, topic = rng.choice(_PLACES), rng.choice(_TOPICS)
    person, org = rng.choice(_PEOPLE), rng.choice(_ORGS)
    title = f"{place} {topic}: {person} {rng.choice(_VERBS)} plan no. {seed}-{n}"
    paragraphs = []
    for p in range(rng.randint(3, 5)):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 12)))
            who = rng.choice([person, rng.choice(_PEOPLE), org])
            sentences.append(f"{who} {rng.choice(_VERBS)} the {words} in {rng.choice(_PLACES)}.")
        if p == 1:
            sentences.append(f'"We will keep going," said {person}, reference {seed}-{n}-{p}.')
        paragraphs.append(" ".join(sentences))
    if marker:
        paragraphs.append(f"Editor's note {marker}.")
    return {
        "text": f"{title}\n\n" + "\n\n".join(paragraphs),
        "source": rng.choice(["wire", "gazette", "courier"]),
        "external_id": f"rel-{seed}-{n}",
    }


def submit(payloads: list[dict[str, str]]) -> list[str]:
    """Submit through the same function as the API and CLI; returns the accepted ids."""
    from shared.db import session_scope
    from shared.schemas import ArticleIn
    from shared.submission import submit_articles

    with session_scope() as session:
        results = submit_articles(session, [ArticleIn.model_validate(p) for p in payloads])
    bad = [r for r in results if r.status != "accepted"]
    assert not bad, bad[:3]
    return [r.id for r in results if r.id]


# --- observing the store -----------------------------------------------------------------


def store_states(ids: list[str]) -> dict[str, str]:
    from sqlalchemy import select

    from shared.db import session_scope
    from shared.models import Article

    with session_scope() as session:
        rows = session.execute(select(Article.id, Article.state).where(Article.id.in_(ids)))
        return {row.id: row.state for row in rows}


def failure_reasons(ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """(failed stage, reason) of each failed article."""
    from sqlalchemy import select

    from shared.db import session_scope
    from shared.models import Article

    with session_scope() as session:
        rows = session.execute(
            select(Article.id, Article.failed_stage, Article.error_class).where(
                Article.id.in_(ids), Article.state == "failed"
            )
        ).all()
    return {r.id: (r.failed_stage, r.error_class) for r in rows}


def count_in_state(ids: list[str], state: str) -> int:
    return sum(1 for s in _safe_states(ids).values() if s == state)


def _safe_states(ids: list[str]) -> dict[str, str]:
    try:
        return store_states(ids)
    except Exception:  # a fault may be in progress: no answer is not an answer
        return {}


def batch_in_flight(stage_input_state: str) -> bool:
    """Whether a worker holds claimed rows of this state right now (mid-batch)."""
    from sqlalchemy import func, select

    from shared.db import get_sessionmaker
    from shared.models import Article

    session = get_sessionmaker()()
    try:
        claimed = (Article.state == stage_input_state) & (Article.attempts > 0)
        total = session.scalar(select(func.count()).where(claimed)) or 0
        if not total:
            return False
        unlocked = session.scalars(
            select(Article.id).where(claimed).with_for_update(skip_locked=True)
        ).all()
        return total > len(unlocked)
    finally:
        session.rollback()
        session.close()


def claimed_unfinished(stage_input_state: str) -> int:
    """Articles with a counted attempt at a stage that never finished it."""
    from sqlalchemy import func, select

    from shared.db import session_scope
    from shared.models import Article

    with session_scope() as session:
        return (
            session.scalar(
                select(func.count()).where(Article.state == stage_input_state, Article.attempts > 0)
            )
            or 0
        )


def history_outcomes(ids: list[str]) -> dict[str, int]:
    """How many stage events of each outcome these articles recorded."""
    from sqlalchemy import func, select

    from shared.db import session_scope
    from shared.models import StageEvent

    with session_scope() as session:
        rows = session.execute(
            select(StageEvent.outcome, func.count())
            .where(StageEvent.article_id.in_(ids))
            .group_by(StageEvent.outcome)
        ).all()
    return {str(outcome): int(count) for outcome, count in rows}


FINAL = {"indexed", "failed", "duplicate"}


def wait_all_final(ids: list[str], timeout: float) -> float:
    """Seconds until every article reached a final state."""
    started = time.monotonic()
    wait_until(
        lambda: _all_final(ids),
        timeout=timeout,
        interval=0.5,
        message=f"articles not final: {_pending_summary(ids)}",
    )
    return time.monotonic() - started


def _all_final(ids: list[str]) -> bool:
    states = _safe_states(ids)
    return len(states) == len(ids) and set(states.values()) <= FINAL


def _pending_summary(ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in _safe_states(ids).values():
        counts[state] = counts.get(state, 0) + 1
    return counts


@dataclass
class Verdict:
    states: dict[str, int]
    lost: list[str]
    duplicated: int
    failures: dict[str, tuple[str | None, str | None]]
    indexed: int


def verify(ids: list[str], alias: str) -> Verdict:
    """Compare the store with Elasticsearch: every article final, each indexed article in
    the index exactly once, nothing in the index that the store does not call indexed."""
    from sqlalchemy import select

    from shared.db import session_scope
    from shared.models import Article
    from shared.search.client import get_client

    with session_scope() as session:
        rows = session.execute(
            select(Article.id, Article.state, Article.failed_stage, Article.error_class).where(
                Article.id.in_(ids)
            )
        ).all()
    state = {r.id: r.state for r in rows}
    failures = {r.id: (r.failed_stage, r.error_class) for r in rows if r.state == "failed"}
    es = get_client()
    es.indices.refresh(index=alias)
    docs: dict[str, int] = {}
    response = es.search(
        index=alias,
        size=10_000,
        query={"match_all": {}},
        source={"includes": ["article_id"]},
        track_total_hits=True,
    )
    for hit in response["hits"]["hits"]:
        article_id = hit["_source"].get("article_id", hit["_id"])
        docs[article_id] = docs.get(article_id, 0) + 1
    indexed = {i for i, s in state.items() if s == "indexed"}
    lost = sorted(
        {i for i in ids if state.get(i) not in FINAL}
        | {i for i in indexed if i not in docs}
        | {i for i in failures if not failures[i][1]}  # failed without a reason
    )
    duplicated = sum(n - 1 for n in docs.values() if n > 1) + len(set(docs) - indexed)
    counts: dict[str, int] = {}
    for s in state.values():
        counts[s] = counts.get(s, 0) + 1
    return Verdict(counts, lost, duplicated, failures, len(indexed))


def record_fault(
    table: FaultTable,
    fault: str,
    ids: list[str],
    verdict: Verdict,
    recovery_s: float,
    drained_s: float,
    notes: str = "",
) -> None:
    table.rows.append(
        FaultResult(
            fault=fault,
            in_flight=len(ids),
            indexed=verdict.indexed,
            failed=verdict.states.get("failed", 0),
            lost=len(verdict.lost),
            duplicated=verdict.duplicated,
            recovery_s=recovery_s,
            drained_s=drained_s,
            notes=notes,
        )
    )
    sys.stderr.write(
        f"\n[fault] {fault}: {verdict.states}, recovery {recovery_s:.1f}s, "
        f"drained {drained_s:.1f}s {notes}\n"
    )


# --- recovery, read from the articles' history --------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # the store keeps naive UTC


def _event_times(ids: list[str], outcomes: tuple[str, ...], stage: str | None) -> list[datetime]:
    from sqlalchemy import select

    from shared.db import session_scope
    from shared.models import StageEvent

    query = select(StageEvent.at).where(
        StageEvent.article_id.in_(ids), StageEvent.outcome.in_(outcomes)
    )
    if stage is not None:
        query = query.where(StageEvent.stage == stage)
    with session_scope() as session:
        return [_naive(at) for at in session.scalars(query)]


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def recovery_seconds(ids: list[str], back: datetime, stage: str | None = None) -> float:
    """Seconds from `back` (the dependency or worker back) until the pipeline recovered: the
    later of the last re-send by the sweeper and the first completed attempt of `stage` (of
    any stage if None) after `back`."""
    swept = [at for at in _event_times(ids, ("swept",), None) if at >= back]
    done = [at for at in _event_times(ids, ("ok", "duplicate", "failed"), stage) if at >= back]
    moments = ([min(done)] if done else []) + ([max(swept)] if swept else [])
    return max((at - back).total_seconds() for at in moments) if moments else 0.0


def _since_last_kill(at: datetime, kills: list[datetime]) -> float | None:
    """Seconds from the last kill before `at` to `at`; None if none came before it."""
    before = [k for k in kills if k <= at]
    return (at - max(before)).total_seconds() if before else None


def resend_seconds_after_kills(ids: list[str], kills: list[datetime]) -> float:
    """For each re-send by the sweeper, the seconds since the kill before it; the longest."""
    gaps = (_since_last_kill(at, kills) for at in _event_times(ids, ("swept",), None))
    return max((gap for gap in gaps if gap is not None), default=0.0)


def late_resend_histories(ids: list[str], kills: list[datetime], over_s: float) -> str:
    """The histories of a few articles re-sent more than `over_s` after the kill before
    them: what a slow recovery waited for."""
    from sqlalchemy import select

    from shared.db import session_scope
    from shared.models import StageEvent

    with session_scope() as session:
        events = (
            session.execute(
                select(StageEvent)
                .where(StageEvent.article_id.in_(ids))
                .order_by(StageEvent.article_id, StageEvent.at)
            )
            .scalars()
            .all()
        )
        late = sorted(
            {
                e.article_id
                for e in events
                if e.outcome == "swept" and (_since_last_kill(_naive(e.at), kills) or 0) > over_s
            }
        )[:3]
        lines = [f"kills at {', '.join(k.time().isoformat() for k in kills)}"] + [
            f"{e.article_id[:8]} {_naive(e.at).time()} {e.stage} {e.outcome} {e.detail}"
            for e in events
            if e.article_id in late
        ]
    return "\n".join(lines)
