"""Failed articles: find them, page through them, replay them, read their history.

The API (`/v1/failures`) and the CLI (`newsflow failures`) both go through these functions.
A failure is an article in state `failed`; it says at which stage (`failed_stage`), why
(`error_class`, the reason) and what happened (`error`); its `stage_events` tell every attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from shared.celery_app import enqueue
from shared.cursors import InvalidCursor, decode_cursor, encode_cursor
from shared.models import Article, StageEvent
from shared.pipeline import replay
from shared.states import ArticleState, Stage

MAX_PAGE = 500
_REPLAY_CHUNK = 500


_CURSOR_KIND = "failures"


@dataclass
class FailureFilter:
    """Which failures: any combination; empty means all of them."""

    stage: Stage | None = None
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.stage or self.reason or self.since or self.until or self.ids)

    def where(self, query: Select[Any]) -> Select[Any]:
        query = query.where(Article.state == ArticleState.FAILED)
        if self.stage:
            query = query.where(Article.failed_stage == self.stage.value)
        if self.reason:
            query = query.where(Article.error_class == self.reason)
        if self.since:
            query = query.where(Article.state_changed_at >= self.since)
        if self.until:
            query = query.where(Article.state_changed_at <= self.until)
        if self.ids:
            query = query.where(Article.id.in_(self.ids))
        return query


def failure_view(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "revision": article.revision,
        "stage": article.failed_stage,
        "reason": article.error_class,
        "error": (article.error or "")[:1000],
        "attempts": article.attempts,
        "failed_at": article.state_changed_at,
        "source": article.source,
        "url": article.url,
        "title": article.title,
    }


def _page_cursor(article: Article) -> str:
    return encode_cursor(_CURSOR_KIND, [article.state_changed_at.isoformat(), article.id])


def _page_position(cursor: str) -> tuple[datetime, str]:
    """Where the page of `cursor` starts: (failed at, article id)."""
    value = decode_cursor(_CURSOR_KIND, cursor)
    try:
        at, article_id = value
        return datetime.fromisoformat(at), str(article_id)[:64]
    except (TypeError, ValueError) as exc:
        raise InvalidCursor("cursor is damaged") from exc


def list_failures(
    session: Session, failures: FailureFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Article], str | None]:
    """One page of failures, newest first; returns the page and the next page's cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    query = failures.where(select(Article))
    if cursor:
        at, article_id = _page_position(cursor)
        query = query.where(
            or_(
                Article.state_changed_at < at,
                and_(Article.state_changed_at == at, Article.id < article_id),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(Article.state_changed_at.desc(), Article.id.desc()).limit(limit + 1)
        ).all()
    )
    next_cursor = _page_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def count_failures(session: Session, failures: FailureFilter) -> int:
    return session.scalar(failures.where(select(func.count()).select_from(Article))) or 0


def failure_counts(session: Session) -> list[dict[str, Any]]:
    """How many failures per stage and reason."""
    rows = session.execute(
        select(Article.failed_stage, Article.error_class, func.count())
        .where(Article.state == ArticleState.FAILED)
        .group_by(Article.failed_stage, Article.error_class)
        .order_by(func.count().desc())
    ).all()
    return [{"stage": stage, "reason": reason, "count": count} for stage, reason, count in rows]


def replay_failures(session: Session, failures: FailureFilter) -> dict[str, Any]:
    """Send matching failures back to the stage that failed them.

    The matching ids are taken first, so an article that fails again while the replay runs
    waits for the next replay instead of looping through this one. Each chunk is committed
    before it is enqueued (the pipeline's rule): if Redis is down, the articles wait in the
    store and the sweeper sends them.
    """
    matching = list(
        session.scalars(
            failures.where(select(Article.id)).order_by(Article.state_changed_at, Article.id)
        ).all()
    )
    session.commit()
    by_stage: dict[str, int] = {}
    ids: list[str] = []
    for start in range(0, len(matching), _REPLAY_CHUNK):
        chunk = session.scalars(
            select(Article)
            .where(
                Article.id.in_(matching[start : start + _REPLAY_CHUNK]),
                Article.state == ArticleState.FAILED,
            )
            .order_by(Article.id)
            .with_for_update(skip_locked=True)
        ).all()
        stages: dict[Stage, list[str]] = {}
        for article in chunk:
            stages.setdefault(replay(session, article), []).append(article.id)
        session.commit()
        for stage, stage_ids in stages.items():
            enqueue(stage, stage_ids)
            by_stage[stage.value] = by_stage.get(stage.value, 0) + len(stage_ids)
            ids.extend(stage_ids)
    return {"replayed": len(ids), "by_stage": by_stage, "ids": ids[:1000]}


def article_history(session: Session, article_id: str) -> list[dict[str, Any]]:
    """Every recorded stage attempt of one article, oldest first."""
    events = session.scalars(
        select(StageEvent)
        .where(StageEvent.article_id == article_id)
        .order_by(StageEvent.at, StageEvent.id)
    ).all()
    return [
        {
            "at": event.at,
            "stage": event.stage,
            "outcome": event.outcome,
            "revision": event.revision,
            "detail": event.detail,
        }
        for event in events
    ]
