"""What the pipeline is doing now: articles per state, work waiting per stage, throughput.

Figures come from the store (the source of truth: states and `stage_events`) and from the
Redis queue lengths; nothing here writes. The console's pipeline page reads them; anything
else that wants the same figures (metrics, the CLI) should call these too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from shared.models import Article, StageEvent, utcnow
from shared.queues import QueueStats, queue_stats
from shared.settings import get_settings
from shared.states import STAGE_INPUT_STATE, Stage

# Outcomes of `stage_events` that finish an article's work at a stage.
DONE_OUTCOMES = ("ok", "duplicate")


@dataclass(frozen=True)
class StateCount:
    state: str
    articles: int
    oldest_at: datetime | None  # the longest an article has been in this state


def articles_by_state(session: Session) -> dict[str, StateCount]:
    """How many articles are in each state, and since when the oldest of them is there."""
    rows = session.execute(
        select(Article.state, func.count(), func.min(Article.state_changed_at)).group_by(
            Article.state
        )
    ).all()
    return {state: StateCount(state, count, oldest) for state, count, oldest in rows}


@dataclass(frozen=True)
class StageBacklog:
    stage: Stage
    queue: str
    messages: int | None  # waiting in its Redis queue (each carries a batch of ids); None: unknown
    oldest_message_s: float | None  # age of the queue's oldest message; None: unknown
    articles: int  # articles in the state the stage expects
    oldest_at: datetime | None  # when the longest-waiting of them entered that state


def stage_backlogs(
    session: Session, redis: Any | None, states: dict[str, StateCount] | None = None
) -> list[StageBacklog]:
    """Per stage: messages in its queue (and the oldest one's age), and the articles waiting
    for it in the store (from `states` when the caller already counted them).

    `redis` None (or unreachable) leaves the queue's figures unknown: the store's still hold.
    """
    settings = get_settings()
    states = articles_by_state(session) if states is None else states
    queues: dict[str, QueueStats] = {}
    if redis is not None:
        try:
            queues = queue_stats(redis)
        except Exception:  # noqa: BLE001 - Redis trouble: show what the store knows
            queues = {}
    backlogs = []
    for stage, state in STAGE_INPUT_STATE.items():
        queue = settings.queue_name(stage)
        waiting = states.get(state.value)
        queued = queues.get(stage.value)
        backlogs.append(
            StageBacklog(
                stage=stage,
                queue=queue,
                messages=queued.depth if queued else None,
                oldest_message_s=queued.oldest_age_s if queued else None,
                articles=waiting.articles if waiting else 0,
                oldest_at=waiting.oldest_at if waiting else None,
            )
        )
    return backlogs


@dataclass(frozen=True)
class Throughput:
    stage: str
    minutes: list[dict[str, int]]  # oldest minute first: {"done": n, "failed": n, "retried": n}

    @property
    def last_minute(self) -> int:
        return self.minutes[-1]["done"] if self.minutes else 0

    @property
    def per_minute(self) -> float:
        """Articles done per minute over the whole window."""
        return sum(m["done"] for m in self.minutes) / len(self.minutes) if self.minutes else 0.0

    @property
    def failed(self) -> int:
        return sum(m["failed"] for m in self.minutes)


def stage_throughput(
    session: Session, minutes: int = 10, now: datetime | None = None
) -> list[Throughput]:
    """Articles each stage finished (and failed, and retried) in each of the last `minutes`
    minutes, counted from `stage_events`; the newest bucket is the minute up to `now`."""
    now = now or utcnow()
    start = now - timedelta(minutes=minutes)
    # Bucket k holds [now - (minutes-k) min, now - (minutes-k-1) min): plain comparisons, so
    # the same SQL runs on PostgreSQL and SQLite.
    bucket: ColumnElement[int] = literal(0)  # one minute: one bucket (a CASE needs a WHEN)
    if minutes > 1:
        bucket = case(
            *(
                (StageEvent.at < now - timedelta(minutes=minutes - k - 1), k)
                for k in range(minutes - 1)
            ),
            else_=minutes - 1,
        )
    kind = case(
        (StageEvent.outcome.in_(DONE_OUTCOMES), "done"),
        (StageEvent.outcome == "failed", "failed"),
        (StageEvent.outcome == "retry", "retried"),
        else_="other",
    )
    rows = session.execute(
        select(StageEvent.stage, bucket.label("bucket"), kind.label("kind"), func.count())
        .where(StageEvent.at >= start, StageEvent.at <= now)
        .group_by(StageEvent.stage, "bucket", "kind")
    ).all()
    series = {
        stage.value: [{"done": 0, "failed": 0, "retried": 0} for _ in range(minutes)]
        for stage in Stage
    }
    for stage, index, what, count in rows:
        if stage in series and what != "other":
            series[stage][int(index)][what] += count
    return [Throughput(stage, buckets) for stage, buckets in series.items()]
