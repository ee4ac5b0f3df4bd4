"""The sweeper: re-enqueue articles stuck in a non-final state.

A message lost with a Redis restart, or an enqueue that failed after its commit, leaves an
article waiting in the store; the sweeper turns that into latency instead of data loss.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.celery_app import enqueue
from shared.metrics import ARTICLES_BY_STATE
from shared.models import Article, utcnow
from shared.states import STAGE_INPUT_STATE, Stage

log = structlog.get_logger(__name__)

_MAX_PER_SWEEP = 10_000


def find_stuck(session: Session, older_than_s: float) -> dict[Stage, list[str]]:
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    stuck: dict[Stage, list[str]] = {}
    for stage, state in STAGE_INPUT_STATE.items():
        ids = session.scalars(
            select(Article.id)
            .where(Article.state == state, Article.state_changed_at < cutoff)
            .order_by(Article.state_changed_at)
            .limit(_MAX_PER_SWEEP)
        ).all()
        if ids:
            stuck[stage] = list(ids)
    return stuck


def sweep(session: Session, older_than_s: float) -> dict[str, int]:
    """Re-enqueue stuck articles; returns how many per stage."""
    stuck = find_stuck(session, older_than_s)
    # Touch them so the next sweep waits a full timeout before sending them again.
    now = utcnow()
    for ids in stuck.values():
        for start in range(0, len(ids), 1000):
            session.query(Article).filter(Article.id.in_(ids[start : start + 1000])).update(
                {Article.state_changed_at: now}, synchronize_session=False
            )
    session.commit()
    for stage, ids in stuck.items():
        enqueue(stage, ids)
        log.info("swept", stage=stage.value, count=len(ids))
    for state, count in session.execute(
        select(Article.state, func.count()).group_by(Article.state)
    ).all():
        ARTICLES_BY_STATE.labels(state).set(count)
    return {stage.value: len(ids) for stage, ids in stuck.items()}
