"""The stage bookkeeping (claim, attempts, failure, replay) and how run_stage sorts errors.

A SQLite file store and a fake task: no services. The row-locking half of `claim` is
PostgreSQL's and is exercised by tests/reliability.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from elasticsearch import ConnectionError as ESConnectionError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import pipeline, worker
from shared.errors import PermanentError, TransientError
from shared.failures import FailureFilter, list_failures, replay_failures
from shared.gather import Gathered
from shared.models import Article, StageEvent
from shared.settings import get_settings
from shared.states import ArticleState, Stage


def _add(
    sessions: sessionmaker[Session], n: int, state: str = ArticleState.INGESTED, start: int = 1
) -> list[str]:
    ids = [f"{i:032x}" for i in range(start, start + n)]
    with sessions() as session:
        for article_id in ids:
            session.add(
                Article(
                    id=article_id,
                    state=state,
                    input_format="text",
                    raw_content=f"Title {article_id}\n\nBody",
                    raw_hash=article_id,
                    title=f"Title {article_id}",
                    body="Body",
                )
            )
        session.commit()
    return ids


def _recorder(sent: list[tuple[Stage, list[str]]], alone_ids: list[str] | None = None) -> Any:
    def enqueue(stage: Stage, ids: list[str], *, alone: bool = False) -> bool:
        sent.append((stage, ids))
        if alone and alone_ids is not None:
            alone_ids.extend(ids)
        return True

    return enqueue


def _get(sessions: sessionmaker[Session], article_id: str) -> Article:
    with sessions() as session:
        article = session.get(Article, article_id)
        assert article is not None
        return article


def _events(sessions: sessionmaker[Session], article_id: str) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(StageEvent.outcome)
                .where(StageEvent.article_id == article_id)
                .order_by(StageEvent.id)
            )
        )


def test_claim_counts_one_attempt_and_skips_other_states(sessions: sessionmaker[Session]) -> None:
    ids = _add(sessions, 3)
    (done,) = _add(sessions, 1, ArticleState.INDEXED, start=100)
    with sessions() as session:
        claimed = pipeline.claim(session, Stage.ENRICH, [*ids, done, "f" * 32])
        assert sorted(a.id for a in claimed) == ids
        session.commit()
    assert [_get(sessions, i).attempts for i in ids] == [1, 1, 1]
    assert _get(sessions, done).attempts == 0


def test_claim_rows_reads_the_columns_asked_for_of_rows_still_waiting(
    sessions: sessionmaker[Session],
) -> None:
    """The index stage's claim: one SELECT of the columns it projects, rows in id order, the
    attempt counted on each, an article that moved on left out, the claimed ids tracked."""
    ids = _add(sessions, 3, ArticleState.ENRICHED)
    done = _add(sessions, 1, ArticleState.INDEXED, start=10)[0]
    columns = (Article.id, Article.revision, Article.title, Article.attempts)
    with sessions() as session:
        tracked = pipeline.track_claims()
        rows = list(pipeline.claim_rows(session, Stage.INDEX, [*reversed(ids), done], columns))
        assert [(r.id, r.revision, r.title, r.attempts) for r in rows] == [
            (i, 1, f"Title {i}", 1) for i in ids
        ]
        assert sorted(tracked) == ids
        pipeline.advance_all(session, rows, Stage.INDEX, ArticleState.INDEXED)
        session.commit()
    with sessions() as session:
        assert list(pipeline.claim_rows(session, Stage.INDEX, ids, columns)) == []
        assert list(pipeline.claim_rows(session, Stage.INDEX, [], columns)) == []


def test_advance_all_records_rows_of_claim_rows(sessions: sessionmaker[Session]) -> None:
    ids = _add(sessions, 2, ArticleState.ENRICHED)
    with sessions() as session:
        rows = list(
            pipeline.claim_rows(
                session, Stage.INDEX, ids, (Article.id, Article.revision, Article.attempts)
            )
        )
        pipeline.advance_all(session, rows, Stage.INDEX, ArticleState.INDEXED)
        session.commit()
    for article_id in ids:
        article = _get(sessions, article_id)
        assert (article.state, article.attempts) == (ArticleState.INDEXED, 0)
    with sessions() as session:
        lines = session.scalars(select(StageEvent).order_by(StageEvent.article_id)).all()
        assert [(e.article_id, e.stage, e.outcome, e.detail) for e in lines] == [
            (i, "index", "ok", "attempt 1") for i in ids
        ]


def test_claim_fails_an_article_whose_attempts_are_used_up(
    sessions: sessionmaker[Session],
) -> None:
    poison, neighbour = _add(sessions, 2)
    limit = get_settings().max_stage_attempts
    with sessions() as session:
        session.get(Article, poison).attempts = limit  # type: ignore[union-attr]
        session.commit()
        claimed = pipeline.claim(session, Stage.ENRICH, [poison, neighbour])
    assert [a.id for a in claimed] == [neighbour]
    failed = _get(sessions, poison)
    assert (failed.state, failed.failed_stage, failed.error_class) == (
        "failed",
        "enrich",
        "attempts_exhausted",
    )
    assert _events(sessions, poison) == ["failed"]


@contextmanager
def _statement_kinds(session: Session) -> Iterator[list[str]]:
    """The first word of every SQL statement the session's engine sends within the block."""
    from sqlalchemy import event

    kinds: list[str] = []
    engine = session.get_bind()

    def seen(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        kinds.append(sql.split()[0])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield kinds
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _history(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    """Every history line as (article id, stage, outcome, detail), by article id."""
    with sessions() as session:
        lines = session.execute(
            select(
                StageEvent.article_id, StageEvent.stage, StageEvent.outcome, StageEvent.detail
            ).order_by(StageEvent.article_id)
        ).all()
    return [tuple(line) for line in lines]


def test_advance_resets_attempts_and_records_the_attempt(sessions: sessionmaker[Session]) -> None:
    (article_id,) = _add(sessions, 1)
    with sessions() as session:
        (article,) = pipeline.claim(session, Stage.ENRICH, [article_id])
        pipeline.advance(session, article, Stage.ENRICH, ArticleState.ENRICHED)
        session.commit()
    article = _get(sessions, article_id)
    assert (article.state, article.attempts) == ("enriched", 0)
    with sessions() as session:
        event = session.scalars(select(StageEvent)).one()
    assert (event.stage, event.outcome, event.detail) == ("enrich", "ok", "attempt 1")


def test_advance_all_moves_a_batch_in_two_statements_like_advance(
    sessions: sessionmaker[Session],
) -> None:
    from shared.models import utcnow

    ids = _add(sessions, 3)
    indexed_at = utcnow()
    with sessions() as session:
        claimed = pipeline.claim(session, Stage.ENRICH, ids)
        claimed[0].attempts = 2  # an article on its second attempt says so in its history
        session.flush()
        with _statement_kinds(session) as statements:
            pipeline.advance_all(
                session, claimed, Stage.ENRICH, ArticleState.ENRICHED, indexed_at=indexed_at
            )
        # The articles of the session are moved too, not left stale.
        assert {(a.state, a.attempts) for a in claimed} == {("enriched", 0)}
        session.commit()
    assert statements == ["INSERT", "UPDATE"]
    for article_id in ids:
        article = _get(sessions, article_id)
        assert (article.state, article.attempts, article.failed_stage) == ("enriched", 0, None)
        assert article.indexed_at == indexed_at
    assert _history(sessions) == [
        (ids[0], "enrich", "ok", "attempt 2"),
        (ids[1], "enrich", "ok", "attempt 1"),
        (ids[2], "enrich", "ok", "attempt 1"),
    ]


def test_advance_each_writes_a_batchs_history_in_one_insert_like_advance(
    sessions: sessionmaker[Session],
) -> None:
    ids = _add(sessions, 3, state=ArticleState.RECEIVED)
    with sessions() as session:
        claimed = pipeline.claim(session, Stage.INGEST, ids)
        claimed[0].attempts = 2  # an article on its second attempt says so in its history
        session.flush()
        for n, article in enumerate(claimed):
            article.title = f"Title {n}"  # the stage's own columns, written by the ORM
        with _statement_kinds(session) as statements:
            pipeline.advance_each(
                session,
                [
                    (claimed[0], ArticleState.INGESTED),
                    (claimed[1], ArticleState.DUPLICATE),
                    (claimed[2], ArticleState.INGESTED),
                ],
                Stage.INGEST,
            )
            session.commit()
    # One INSERT of every history line; the rows are the ORM's UPDATE (an executemany).
    assert sorted(statements) == ["INSERT", "UPDATE"]
    states = [(_get(sessions, i).state, _get(sessions, i).attempts) for i in ids]
    assert states == [("ingested", 0), ("duplicate", 0), ("ingested", 0)]
    assert [_get(sessions, i).title for i in ids] == ["Title 0", "Title 1", "Title 2"]
    assert _history(sessions) == [
        (ids[0], "ingest", "ok", "attempt 2"),
        (ids[1], "ingest", "duplicate", "attempt 1"),
        (ids[2], "ingest", "ok", "attempt 1"),
    ]


def test_release_attempts_gives_back_the_attempt_of_a_transient_error(
    sessions: sessionmaker[Session],
) -> None:
    ids = _add(sessions, 2)
    with sessions() as session:
        pipeline.claim(session, Stage.ENRICH, ids)
        session.commit()
        assert pipeline.release_attempts(session, Stage.ENRICH, ids, "ES down") == 2
    assert [_get(sessions, i).attempts for i in ids] == [0, 0]
    assert _events(sessions, ids[0]) == ["retry"]


def test_interrupted_names_articles_with_an_unfinished_attempt(
    sessions: sessionmaker[Session],
) -> None:
    ids = _add(sessions, 3)
    with sessions() as session:
        session.get(Article, ids[1]).attempts = 1  # type: ignore[union-attr]
        session.commit()
        assert pipeline.interrupted(session, Stage.ENRICH, ids) == [ids[1]]
    assert _events(sessions, ids[1]) == ["interrupted"]


def test_replay_puts_a_failure_back_before_its_stage(sessions: sessionmaker[Session]) -> None:
    ids = _add(sessions, 3)
    with sessions() as session:
        for article_id, stage, reason in (
            (ids[0], Stage.INDEX, "index_rejected"),
            (ids[1], Stage.ENRICH, "enrichment_error"),
            (ids[2], Stage.ENRICH, "attempts_exhausted"),
        ):
            article = session.get(Article, article_id)
            assert article is not None
            pipeline.mark_failed(session, article, stage, reason=reason, message="boom")
        session.commit()
        page, cursor = list_failures(session, FailureFilter(stage=Stage.ENRICH), limit=1)
        assert len(page) == 1
        assert cursor
        rest, end = list_failures(session, FailureFilter(stage=Stage.ENRICH), cursor=cursor)
        assert {page[0].id, rest[0].id} == {ids[1], ids[2]}
        assert end is None

        sent: list[tuple[Stage, list[str]]] = []
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("shared.failures.enqueue", _recorder(sent))
            result = replay_failures(session, FailureFilter(reason="enrichment_error"))
    assert result["replayed"] == 1
    assert result["by_stage"] == {"enrich": 1}
    assert sent == [(Stage.ENRICH, [ids[1]])]
    replayed = _get(sessions, ids[1])
    assert (replayed.state, replayed.attempts) == ("ingested", 0)
    assert _get(sessions, ids[0]).state == "failed"
    assert _events(sessions, ids[1]) == ["failed", "replay"]


# --- run_stage ---------------------------------------------------------------------------


class _Retry(Exception):
    pass


# Ids the stage runner sent to run alone (never gathered into a batch again).
sent_alone: list[str] = []


class FakeTask:
    def __init__(self, retries: int = 0) -> None:
        self.request = SimpleNamespace(id="task-1", retries=retries, delivery_info={})
        self.retried: dict[str, Any] | None = None

    def retry(self, **kwargs: Any) -> Exception:
        self.retried = kwargs
        return _Retry()


@pytest.fixture
def stage_env(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Stage, list[str]]]:
    @contextmanager
    def scope() -> Iterator[Session]:
        session = sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    sent: list[tuple[Stage, list[str]]] = []
    monkeypatch.setattr(worker, "session_scope", scope)
    monkeypatch.setattr(worker, "enqueue", _recorder(sent, sent_alone))
    # No broker here: nothing waits in the queue to be gathered (tests below say otherwise).
    monkeypatch.setattr(worker, "gather", lambda stage, ids: Gathered())
    sent_alone.clear()
    return sent


def _enrich_ok(session: Session, ids: Any) -> list[str]:
    ready = []
    for article in pipeline.claim(session, Stage.ENRICH, ids):
        pipeline.advance(session, article, Stage.ENRICH, ArticleState.ENRICHED)
        ready.append(article.id)
    session.commit()
    return ready


def test_run_stage_enqueues_the_next_stage(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 3)
    assert worker.run_stage(FakeTask(), Stage.ENRICH, ids, _enrich_ok, Stage.INDEX) == 3  # type: ignore[arg-type]
    assert stage_env == [(Stage.INDEX, ids)]


def test_a_transient_error_retries_and_gives_the_attempts_back(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 2)

    def es_down(session: Session, batch: Any) -> list[str]:
        pipeline.claim(session, Stage.ENRICH, batch)
        raise ESConnectionError("connection refused")

    task = FakeTask()
    with pytest.raises(_Retry):
        worker.run_stage(task, Stage.ENRICH, ids, es_down, Stage.INDEX)  # type: ignore[arg-type]
    assert task.retried is not None
    assert task.retried["countdown"] > 0
    assert [_get(sessions, i).attempts for i in ids] == [0, 0]
    assert stage_env == []


def test_retries_used_up_leave_the_articles_to_the_sweeper(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 1)

    def down(session: Session, batch: Any) -> list[str]:
        raise TransientError("still down")

    task = FakeTask(retries=get_settings().task_max_retries)
    assert worker.run_stage(task, Stage.ENRICH, ids, down, Stage.INDEX) == 0  # type: ignore[arg-type]
    assert task.retried is None
    assert _get(sessions, ids[0]).state == "ingested"


def test_a_crashing_batch_is_split_and_the_culprit_failed_alone(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 3)
    culprit = ids[1]

    def crashes_on_culprit(session: Session, batch: Any) -> list[str]:
        claimed = pipeline.claim(session, Stage.ENRICH, batch)
        if any(a.id == culprit for a in claimed):
            raise KeyError("bug on this article")
        for article in claimed:
            pipeline.advance(session, article, Stage.ENRICH, ArticleState.ENRICHED)
        return [a.id for a in claimed]

    task = FakeTask()
    assert worker.run_stage(task, Stage.ENRICH, ids, crashes_on_culprit, Stage.INDEX) == 0  # type: ignore[arg-type]
    assert sorted(stage_env) == sorted([(Stage.ENRICH, [i]) for i in ids] + [(Stage.ENRICH, [])])
    assert sorted(sent_alone) == sorted(ids)
    stage_env.clear()
    for article_id in ids:
        worker.run_stage(task, Stage.ENRICH, [article_id], crashes_on_culprit, Stage.INDEX)  # type: ignore[arg-type]
    failed = _get(sessions, culprit)
    assert (failed.state, failed.error_class) == ("failed", "stage_error")
    assert "KeyError" in (failed.error or "")
    assert [_get(sessions, i).state for i in ids if i != culprit] == ["enriched", "enriched"]


class _Message:
    """A gathered message: only its acknowledgement matters to the stage runner."""

    def __init__(self) -> None:
        self.acked = 0

    def ack(self) -> None:
        self.acked += 1


def _gathering(monkeypatch: pytest.MonkeyPatch, ids: list[str]) -> list[_Message]:
    messages = [_Message() for _ in ids]

    def gather(stage: Stage, own: list[str]) -> Gathered:
        return Gathered(ids=list(ids), messages=list(messages))

    monkeypatch.setattr(worker, "gather", gather)
    return messages


def test_gathered_messages_join_the_batch_and_are_acked_after_its_commit(
    sessions: sessionmaker[Session],
    stage_env: list[tuple[Stage, list[str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _add(sessions, 4)
    messages = _gathering(monkeypatch, ids[1:])
    seen: list[list[str]] = []

    def enrich(session: Session, batch: Any) -> list[str]:
        seen.append(list(batch))
        assert [m.acked for m in messages] == [0, 0, 0], "acked before the batch committed"
        return _enrich_ok(session, batch)

    assert worker.run_stage(FakeTask(), Stage.ENRICH, ids[:1], enrich, Stage.INDEX) == 4  # type: ignore[arg-type]
    assert seen == [ids]  # one batch, one call
    assert stage_env == [(Stage.INDEX, ids)]
    assert [m.acked for m in messages] == [1, 1, 1]


def test_a_retried_batch_carries_its_gathered_ids(
    sessions: sessionmaker[Session],
    stage_env: list[tuple[Stage, list[str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _add(sessions, 3)
    messages = _gathering(monkeypatch, ids[1:])

    def es_down(session: Session, batch: Any) -> list[str]:
        pipeline.claim(session, Stage.ENRICH, batch)
        raise ESConnectionError("connection refused")

    task = FakeTask()
    with pytest.raises(_Retry):
        worker.run_stage(task, Stage.ENRICH, ids[:1], es_down, Stage.INDEX)  # type: ignore[arg-type]
    assert task.retried is not None
    assert task.retried["args"] == [ids]  # the retry message holds the whole batch
    assert [m.acked for m in messages] == [1, 1]


def test_an_article_sent_alone_gathers_nothing(
    sessions: sessionmaker[Session],
    stage_env: list[tuple[Stage, list[str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _add(sessions, 2)
    messages = _gathering(monkeypatch, ids[1:])
    ran = worker.run_stage(FakeTask(), Stage.ENRICH, ids[:1], _enrich_ok, Stage.INDEX, alone=True)  # type: ignore[arg-type]
    assert ran == 1
    assert _get(sessions, ids[1]).state == "ingested"
    assert [m.acked for m in messages] == [0]


def test_a_permanent_error_keeps_its_reason(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 1)

    def unparseable(session: Session, batch: Any) -> list[str]:
        pipeline.claim(session, Stage.ENRICH, batch)
        raise PermanentError("cannot parse", reason="bad_input")

    worker.run_stage(FakeTask(), Stage.ENRICH, ids, unparseable, Stage.INDEX)  # type: ignore[arg-type]
    assert _get(sessions, ids[0]).error_class == "bad_input"


def test_a_batch_with_an_interrupted_attempt_is_split(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 4)
    with sessions() as session:
        session.get(Article, ids[2]).attempts = 1  # type: ignore[union-attr]
        session.commit()
    assert worker.run_stage(FakeTask(), Stage.ENRICH, ids, _enrich_ok, Stage.INDEX) == 0  # type: ignore[arg-type]
    assert stage_env == [(Stage.ENRICH, [ids[2]]), (Stage.ENRICH, [ids[0], ids[1], ids[3]])]
    assert sent_alone == [ids[2]]
    assert {_get(sessions, i).state for i in ids} == {"ingested"}


def test_a_batch_over_its_time_budget_is_split_into_single_articles(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    ids = _add(sessions, 3)

    def slow(session: Session, batch: Any) -> list[str]:
        pipeline.claim(session, Stage.ENRICH, batch)
        raise SoftTimeLimitExceeded()

    assert worker.run_stage(FakeTask(), Stage.ENRICH, ids, slow, Stage.INDEX) == 0  # type: ignore[arg-type]
    assert sorted(stage_env) == sorted([(Stage.ENRICH, [i]) for i in ids] + [(Stage.ENRICH, [])])
    # Nobody is blamed for a batch: each article waits for its own run.
    assert {_get(sessions, i).state for i in ids} == {"ingested"}


def test_an_article_alone_over_its_time_budget_fails_with_timeout(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    (article_id,) = _add(sessions, 1)

    def slow(session: Session, batch: Any) -> list[str]:
        pipeline.claim(session, Stage.ENRICH, batch)
        raise SoftTimeLimitExceeded()

    assert worker.run_stage(FakeTask(), Stage.ENRICH, [article_id], slow, Stage.INDEX) == 0  # type: ignore[arg-type]
    failed = _get(sessions, article_id)
    assert (failed.state, failed.failed_stage, failed.error_class) == (
        "failed",
        "enrich",
        "timeout",
    )
    assert "time budget of 120s" in (failed.error or "")
    assert stage_env == []


def test_the_hard_time_limit_splits_the_batch_or_fails_the_one_article(
    sessions: sessionmaker[Session], stage_env: list[tuple[Stage, list[str]]]
) -> None:
    """What `StageRequest.on_timeout` runs after the hard limit killed the worker process."""
    ids = _add(sessions, 2)
    worker._timed_out(Stage.INGEST, ids, None)
    assert sorted(stage_env) == sorted([(Stage.INGEST, [i]) for i in ids] + [(Stage.INGEST, [])])
    (alone,) = _add(sessions, 1, ArticleState.RECEIVED, start=50)
    worker._timed_out(Stage.INGEST, [alone], None)
    failed = _get(sessions, alone)
    assert (failed.state, failed.failed_stage, failed.error_class) == (
        "failed",
        "ingest",
        "timeout",
    )


def test_a_worker_process_keeps_what_it_started_with_out_of_full_collections() -> None:
    gc.unfreeze()
    try:
        worker._reset_after_fork()
        # Everything the process held at start is in the permanent generation: the full
        # passes of the garbage collector no longer walk it.
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
