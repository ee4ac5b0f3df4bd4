"""What every stage does around its own work: claim rows, record outcomes, move state.

A stage task receives a batch of article ids. It claims the rows still in the state it
expects (anything else means the work is done or superseded, which makes redelivery
harmless), does its work, commits, and only then enqueues the next stage.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.models import Article, StageEvent, utcnow
from shared.settings import get_settings
from shared.states import STAGE_INPUT_STATE, ArticleState, Stage

log = structlog.get_logger(__name__)


def claim(session: Session, stage: Stage, article_ids: Sequence[str]) -> list[Article]:
    """Rows of `article_ids` still waiting for `stage`, with their attempt counted.

    The attempt is committed before any work starts, so an article that kills its worker
    every time (a poison) is failed after `max_stage_attempts` instead of looping forever.
    """
    if not article_ids:
        return []
    expected = STAGE_INPUT_STATE[stage]
    session.execute(
        update(Article)
        .where(Article.id.in_(article_ids), Article.state == expected)
        .values(attempts=Article.attempts + 1)
    )
    session.commit()
    rows = session.scalars(
        select(Article).where(Article.id.in_(article_ids), Article.state == expected)
    ).all()
    max_attempts = get_settings().max_stage_attempts
    ready = []
    for article in rows:
        if article.attempts > max_attempts:
            mark_failed(
                session,
                article,
                stage,
                reason="attempts_exhausted",
                message=f"{stage.value} did not complete after {max_attempts} attempts",
            )
        else:
            ready.append(article)
    session.commit()
    return ready


def record(
    session: Session, article: Article, stage: Stage, outcome: str, detail: str | None = None
) -> None:
    session.add(
        StageEvent(
            article_id=article.id,
            revision=article.revision,
            stage=stage.value,
            outcome=outcome,
            detail=detail,
        )
    )


def advance(session: Session, article: Article, stage: Stage, new_state: ArticleState) -> None:
    """Move an article to the next state and reset the attempt counter for the next stage."""
    article.state = new_state
    article.state_changed_at = utcnow()
    article.attempts = 0
    article.failed_stage = article.error = article.error_class = None
    record(session, article, stage, "ok" if new_state != ArticleState.DUPLICATE else "duplicate")


def mark_failed(
    session: Session,
    article: Article,
    stage: Stage,
    *,
    reason: str,
    message: str,
    exc: BaseException | None = None,
) -> None:
    """Record a permanent failure: visible through the API and CLI, replayable later."""
    article.state = ArticleState.FAILED
    article.state_changed_at = utcnow()
    article.failed_stage = stage.value
    article.error_class = reason
    article.error = message[:4000]
    detail = message if exc is None else "".join(traceback.format_exception(exc))[-4000:]
    record(session, article, stage, "failed", detail)
    log.warning(
        "article_failed",
        article_id=article.id,
        stage=stage.value,
        reason=reason,
        error=message[:500],
    )


def replay(session: Session, article: Article) -> Stage:
    """Put a failed article back in the state its failed stage expects; returns that stage."""
    stage = Stage(article.failed_stage or Stage.INGEST)
    article.state = STAGE_INPUT_STATE[stage]
    article.state_changed_at = utcnow()
    article.attempts = 0
    record(session, article, stage, "replay", article.error)
    return stage
