"""What every stage does around its own work: claim rows, record outcomes, move state.

A stage task receives a batch of article ids. It claims the rows still in the state it
expects (anything else means the work is done or superseded, which makes redelivery
harmless), does its work, commits, and only then enqueues the next stage.

Claiming takes two short steps on PostgreSQL:
1. lock the rows and count the attempt in one UPDATE, and commit it, so an article that kills
   its worker every time (a poison) is failed after `max_stage_attempts` instead of looping
   forever;
2. lock the rows again (`FOR UPDATE`) and keep them locked until the stage commits. While
   one worker holds them, a duplicate message for the same ids (a redelivery, a sweep) waits
   for that commit and then finds nothing left to do instead of doing the work twice, a new
   revision submitted meanwhile lands after the stage and is not overwritten by it, and the
   sweeper (`SKIP LOCKED`) can tell an article that is being processed from a stuck one.
A worker that dies releases its locks with its connection. SQLite has no row locks; it
serialises writers, which is enough for the one-machine store.

The rows a stage gets are locked as a whole before its work starts. The index stage takes
the second step with `claim_rows`: the same locking SELECT reads the columns it projects, as
plain rows it decodes one by one as its bulk requests ask for them, and it records a batch's
outcome with `advance_all` in two statements.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from typing import Any, Protocol

import structlog
from sqlalchemy import ColumnElement, Row, Select, any_, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.dml import ReturningUpdate, Update

from shared.metrics import STAGE_FAILED, STAGE_PROCESSED
from shared.models import Article, StageEvent, utcnow
from shared.settings import get_settings
from shared.states import STAGE_INPUT_STATE, ArticleState, Stage

log = structlog.get_logger(__name__)

# Columns only the ingest stage reads: the stages after it do not load them with the batch
# (the raw input of an HTML page can be far bigger than its article).
_INGEST_ONLY = (Article.raw_content, Article.submitted, Article.minhash)
# What a stage loads with its claimed rows (`claim`). The index stage claims plain rows of
# the columns it projects instead (`claim_rows`): building ORM objects of every column cost
# it more CPU than the projection's reads.
_CLAIM_LOADS: dict[Stage, tuple[ORMOption, ...]] = {
    Stage.INGEST: (),
    Stage.ENRICH: tuple(defer(column) for column in _INGEST_ONLY),
}


class Claimed(Protocol):
    """What `advance_all` needs of a claimed article: an `Article`, or a row of `claim_rows`."""

    @property
    def id(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def attempts(self) -> int: ...


# Ids claimed by the stage running in this context (see `track_claims`): a batch that hits a
# transient error gives their attempts back, since a dependency outage is no fault of theirs.
_claimed: ContextVar[list[str] | None] = ContextVar("newsflow_claimed", default=None)


def track_claims() -> list[str]:
    """Start collecting the ids that `claim` hands out in this context; returns the list."""
    claimed: list[str] = []
    _claimed.set(claimed)
    return claimed


def claim(session: Session, stage: Stage, article_ids: Sequence[str]) -> list[Article]:
    """Rows of `article_ids` still waiting for `stage`, locked, with their attempt counted.

    Articles that already used `max_stage_attempts` attempts are failed here instead.
    """
    ready_ids = _count_attempts(session, stage, article_ids)
    if not ready_ids:
        return []
    statement = _claim_statement(stage, _dialect(session))
    ready = list(session.scalars(statement, {"ids": ready_ids}).all())
    claimed = _claimed.get()
    if claimed is not None:
        claimed.extend(a.id for a in ready)
    return ready


def claim_rows(
    session: Session, stage: Stage, article_ids: Sequence[str], columns: Sequence[Any]
) -> Iterator[Row[Any]]:
    """`claim`, as plain rows of `columns` (`Article.id` first), in id order.

    Every row is locked by the time this returns; each is decoded as the iterator reaches it,
    so a caller can start on the first rows while the others still wait to be decoded.
    """
    ready_ids = _count_attempts(session, stage, article_ids)
    if not ready_ids:
        return iter(())
    # The attempts given back after a transient error: those of rows that are still waiting,
    # so the ids counted above are as good as the rows (a row that moved on is skipped).
    claimed = _claimed.get()
    if claimed is not None:
        claimed.extend(ready_ids)
    # Core execution: the rows come from the cursor one at a time, nothing is buffered.
    statement = _claim_rows_statement(stage, tuple(columns), _dialect(session))
    return iter(session.connection().execute(statement, {"ids": ready_ids}))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _id_in_batch(dialect: str) -> ColumnElement[bool]:
    """`Article.id` is one of the `ids` parameter. On PostgreSQL the ids are one array
    (`= ANY(:ids)`): an expanding `IN` is rendered again for every batch size, and its SQL
    (a placeholder per id) is too long for psycopg's cache of converted queries."""
    if dialect == "postgresql":
        return Article.id == any_(bindparam("ids", type_=ARRAY(Article.id.type)))
    return Article.id.in_(bindparam("ids", expanding=True))


# The statements of a claim are built once and take the ids as a parameter: building a
# statement and its cache key cost more of a small batch's CPU than running it.
@cache
def _claim_statement(stage: Stage, dialect: str) -> Select[tuple[Article]]:
    return (
        select(Article)
        .options(*_CLAIM_LOADS.get(stage, ()))
        .where(_id_in_batch(dialect))
        .where(Article.state == STAGE_INPUT_STATE[stage])
        .order_by(Article.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


@cache
def _claim_rows_statement(stage: Stage, columns: tuple[Any, ...], dialect: str) -> Select[Any]:
    # `columns` are column expressions of `articles` (hashed by identity: the callers' own
    # constant tuples, so each caller's statement is built once).
    return (
        select(*columns)
        .where(_id_in_batch(dialect))
        .where(Article.state == STAGE_INPUT_STATE[stage])
        .order_by(Article.id)
        .with_for_update()
    )


@cache
def _count_attempts_statement(stage: Stage, dialect: str) -> ReturningUpdate[tuple[str, int]]:
    """Count the attempt of every row still waiting, locked in id order, in one statement."""
    waiting = (
        select(Article.id)
        .where(_id_in_batch(dialect))
        .where(Article.state == STAGE_INPUT_STATE[stage])
        .order_by(Article.id)
        .with_for_update()
    )
    return (
        update(Article)
        .where(Article.id.in_(waiting.scalar_subquery()))
        .values(attempts=Article.attempts + 1)
        .returning(Article.id, Article.attempts)
        .execution_options(synchronize_session=False)
    )


def _count_attempts(session: Session, stage: Stage, article_ids: Sequence[str]) -> list[str]:
    """The first step of a claim: count an attempt on every row still waiting for `stage`,
    fail those that used them all, and commit; returns the ids of the others."""
    if not article_ids:
        return []
    ids = sorted(set(article_ids))  # one lock order for every worker: no deadlocks
    max_attempts = get_settings().max_stage_attempts
    # A row that comes back over `max_attempts` had used them all: it gets its counter back
    # and is failed instead.
    statement = _count_attempts_statement(stage, _dialect(session))
    rows = session.execute(statement, {"ids": ids}).all()
    exhausted = sorted(row.id for row in rows if row.attempts > max_attempts)
    ready_ids = sorted(row.id for row in rows if row.attempts <= max_attempts)
    for article in _load(session, exhausted):
        article.attempts -= 1
        mark_failed(
            session,
            article,
            stage,
            reason="attempts_exhausted",
            message=f"{stage.value} did not complete after {article.attempts} attempts "
            "(a worker died or the stage crashed on this article each time)",
        )
    session.commit()
    return ready_ids


def _load(session: Session, ids: Iterable[str]) -> list[Article]:
    ids = list(ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Article).where(Article.id.in_(ids)).execution_options(populate_existing=True)
        ).all()
    )


def release_attempts(session: Session, stage: Stage, article_ids: Sequence[str], why: str) -> int:
    """Give back the attempt counted by `claim` after a transient error; returns how many."""
    if not article_ids:
        return 0
    expected = STAGE_INPUT_STATE[stage]
    articles = list(
        session.scalars(
            select(Article)
            .where(Article.id.in_(sorted(set(article_ids))), Article.state == expected)
            .order_by(Article.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )
    for article in articles:
        article.attempts = max(0, article.attempts - 1)
        record(session, article, stage, "retry", why)
    session.commit()
    return len(articles)


def _history_line(
    article: Claimed, stage: Stage, outcome: str, detail: str | None, at: datetime
) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "revision": article.revision,
        "stage": stage.value,
        "outcome": outcome,
        "detail": detail,
        "at": at,
    }


def record(
    session: Session, article: Article, stage: Stage, outcome: str, detail: str | None = None
) -> None:
    """Append one line to the article's history (`stage_events`)."""
    session.add(StageEvent(**_history_line(article, stage, outcome, detail, utcnow())))


def _advanced_line(
    article: Claimed, stage: Stage, new_state: ArticleState, at: datetime
) -> dict[str, Any]:
    """The history line of an article that passed `stage` (with the attempt it took)."""
    outcome = "ok" if new_state != ArticleState.DUPLICATE else "duplicate"
    detail = f"attempt {article.attempts}" if article.attempts else None
    return _history_line(article, stage, outcome, detail, at)


def _advanced_columns(new_state: ArticleState, at: datetime) -> dict[str, Any]:
    """The next state, with the attempt counter reset for the next stage."""
    return {
        "state": new_state,
        "state_changed_at": at,
        "attempts": 0,
        "failed_stage": None,
        "error": None,
        "error_class": None,
    }


def advance(session: Session, article: Article, stage: Stage, new_state: ArticleState) -> None:
    """Move an article to the next state and reset the attempt counter for the next stage."""
    now = utcnow()
    session.add(StageEvent(**_advanced_line(article, stage, new_state, now)))
    for column, value in _advanced_columns(new_state, now).items():
        setattr(article, column, value)


# Many history lines in one statement on PostgreSQL, a column of values each: a row-by-row
# executemany costs ~0.2 ms of CPU per line in this process (psycopg's pipeline), this ~0.02.
_INSERT_HISTORY_POSTGRESQL = text(
    "INSERT INTO stage_events (article_id, revision, stage, outcome, detail, at) "
    "SELECT * FROM unnest(CAST(:article_id AS varchar[]), CAST(:revision AS integer[]), "
    "CAST(:stage AS varchar[]), CAST(:outcome AS varchar[]), CAST(:detail AS text[]), "
    "CAST(:at AS timestamptz[]))"
)


def _insert_history(session: Session, lines: list[dict[str, Any]]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        columns = {column: [line[column] for line in lines] for column in lines[0]}
        session.execute(_INSERT_HISTORY_POSTGRESQL, columns)
    else:
        session.execute(insert(StageEvent), lines)


@cache
def _advance_statement(columns: tuple[str, ...], dialect: str) -> Update:
    """The UPDATE of `advance_all` setting `columns`, built once (as a claim's statements)."""
    table = Article.__table__.c
    return (
        update(Article)
        .where(_id_in_batch(dialect))
        .values({name: bindparam(f"new_{name}", type_=table[name].type) for name in columns})
        .execution_options(synchronize_session=False)
    )


def advance_all(
    session: Session,
    articles: Sequence[Claimed],
    stage: Stage,
    new_state: ArticleState,
    **columns: Any,
) -> None:
    """`advance` for many articles, plus `columns` set on each: one INSERT of their history
    lines and one UPDATE, instead of an ORM change and a history object per article."""
    if not articles:
        return
    now = utcnow()
    _insert_history(session, [_advanced_line(a, stage, new_state, now) for a in articles])
    moved = {**_advanced_columns(new_state, now), **columns}
    session.execute(
        _advance_statement(tuple(moved), _dialect(session)),
        {"ids": [a.id for a in articles], **{f"new_{name}": v for name, v in moved.items()}},
    )
    # The articles of the session read what changed from the store if it is used again
    # (cheaper than working out the new values in Python for each).
    changed = [*moved, Article.updated_at.key]
    for article in articles:
        if isinstance(article, Article):  # rows of `claim_rows` hold nothing to refresh
            session.expire(article, changed)


def advance_each(
    session: Session, moves: Sequence[tuple[Article, ArticleState]], stage: Stage
) -> None:
    """`advance` for many articles whose rows the ORM writes anyway (each with columns of its
    own: extraction, enrichment): their history lines in one INSERT, not an object each."""
    if not moves:
        return
    now = utcnow()
    lines = [_advanced_line(a, stage, state, now) for a, state in moves]
    for article, state in moves:
        for column, value in _advanced_columns(state, now).items():
            setattr(article, column, value)
    # After the rows' changes: an INSERT that flushes first (SQLite's) then writes them in
    # one UPDATE, not one now and another at the commit.
    _insert_history(session, lines)


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
    article.error_class = reason[:100]
    article.error = message[:4000]
    detail = message if exc is None else "".join(traceback.format_exception(exc))[-4000:]
    record(session, article, stage, "failed", f"{reason}: {detail}"[:4000])
    STAGE_PROCESSED.labels(stage.value, "failed").inc()
    STAGE_FAILED.labels(stage.value, reason[:100]).inc()
    log.warning(
        "article_failed",
        article_id=article.id,
        stage=stage.value,
        reason=reason,
        error=message[:500],
    )


def fail_unclaimed(
    session: Session,
    stage: Stage,
    article_id: str,
    *,
    reason: str,
    message: str,
    exc: BaseException | None = None,
) -> bool:
    """Fail one article that a stage could not handle at all (its batch was rolled back)."""
    article = session.scalars(
        select(Article)
        .where(Article.id == article_id, Article.state == STAGE_INPUT_STATE[stage])
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if article is None:
        return False
    mark_failed(session, article, stage, reason=reason, message=message, exc=exc)
    session.commit()
    return True


def interrupted(session: Session, stage: Stage, article_ids: Sequence[str]) -> list[str]:
    """Ids of the batch whose last attempt at `stage` started and never finished.

    A counted attempt on an article still waiting for the stage means its worker died or the
    stage crashed on its batch. Rows locked right now belong to a running attempt, not a
    dead one (`SKIP LOCKED`). The interrupted attempt goes into each article's history.
    """
    statement = _interrupted_statement(stage, _dialect(session))
    articles = list(session.scalars(statement, {"ids": list(article_ids)}).all())
    for article in articles:
        record(
            session,
            article,
            stage,
            "interrupted",
            f"attempt {article.attempts} did not complete (worker lost or batch crashed)",
        )
    session.commit()
    return [a.id for a in articles]


@cache
def _interrupted_statement(stage: Stage, dialect: str) -> Select[tuple[Article]]:
    """The rows of `interrupted`, built once: it runs before every batch of every stage."""
    return (
        select(Article)
        .where(_id_in_batch(dialect))
        .where(Article.state == STAGE_INPUT_STATE[stage], Article.attempts > 0)
        .order_by(Article.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def replay(session: Session, article: Article) -> Stage:
    """Put a failed article back in the state its failed stage expects; returns that stage."""
    stage = Stage(article.failed_stage or Stage.INGEST)
    article.state = STAGE_INPUT_STATE[stage]
    article.state_changed_at = utcnow()
    article.attempts = 0
    record(session, article, stage, "replay", f"{article.error_class}: {article.error}"[:4000])
    return stage
