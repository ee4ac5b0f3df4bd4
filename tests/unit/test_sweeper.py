"""The sweeper's decisions without services: message parsing, which unacknowledged messages
belong to live workers, how long a delivery may stay unlocked, and which rows are stuck."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.sweeper import (
    _eta,
    _message_ids,
    find_stuck,
    live_window_s,
    unacked_is_live,
)
from shared.db import make_engine
from shared.models import Article, Base, utcnow
from shared.states import ArticleState, Stage

TASK = "newsflow.enrich.enrich_articles"


def _message(ids: list[str], *, task: str = TASK, base64_body: bool = False) -> dict[str, object]:
    body = json.dumps([[ids], {}, {}])
    properties: dict[str, object] = {}
    if base64_body:
        body = base64.b64encode(body.encode()).decode()
        properties["body_encoding"] = "base64"
    return {"headers": {"task": task}, "body": body, "properties": properties}


def test_the_ids_of_a_message_are_read_whatever_its_body_encoding() -> None:
    assert _message_ids(_message(["a", "b"]), TASK) == ["a", "b"]
    assert _message_ids(_message(["c"], base64_body=True), TASK) == ["c"]
    assert _message_ids(_message(["a"], task="newsflow.other"), TASK) == []


def test_the_retry_countdown_of_a_message() -> None:
    assert _eta({"headers": {"eta": "2026-01-01T00:00:10+00:00"}}) == 1767225610.0
    assert _eta({"headers": {"eta": None}}) is None
    assert _eta({"headers": {"eta": "not a date"}}) is None
    assert _eta({}) is None


@pytest.mark.parametrize(
    ("delivered_ago", "eta_in", "live"),
    [
        (5.0, None, True),  # just taken: its worker is about to lock the rows
        (14.9, None, True),
        (15.0, None, False),  # taken 15 s ago and nobody holds its rows: the worker is gone
        (300.0, None, False),
        (300.0, 20.0, True),  # held for a retry that is due in 20 s
        (300.0, -10.0, True),  # the retry is due since 10 s: its worker is starting it
        (300.0, -15.0, False),  # due since 15 s and not started: the worker is gone
    ],
)
def test_an_unacknowledged_message_is_live_within_its_window(
    delivered_ago: float, eta_in: float | None, live: bool
) -> None:
    now = 1_000_000.0
    eta = None if eta_in is None else now + eta_in
    assert unacked_is_live(now - delivered_ago, eta, now, 15.0) is live


def test_the_window_is_short_with_row_locks_and_the_hard_time_limit_without() -> None:
    # Shipped defaults: stuck after 15 s; hard limits 60+15, 120+15 and 60+15 s.
    assert live_window_s(Stage.ENRICH, row_locks=True) == 15.0
    assert live_window_s(Stage.INGEST, row_locks=False) == 75.0
    assert live_window_s(Stage.ENRICH, row_locks=False) == 135.0
    assert live_window_s(Stage.INDEX, row_locks=False) == 75.0


@pytest.fixture
def session(tmp_path: Path) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)()


def _article(article_id: str, state: str, waited_s: float) -> Article:
    return Article(
        id=article_id,
        state=state,
        state_changed_at=utcnow() - timedelta(seconds=waited_s),
        input_format="text",
        raw_content="T\n\nB",
        raw_hash=article_id,
    )


def test_stuck_articles_are_those_waiting_for_a_stage_longer_than_the_minimum_age(
    session: Session,
) -> None:
    session.add_all(
        [
            _article("r-old", ArticleState.RECEIVED, 20),
            _article("r-new", ArticleState.RECEIVED, 5),
            _article("i-old", ArticleState.INGESTED, 60),
            _article("e-old", ArticleState.ENRICHED, 16),
            _article("done", ArticleState.INDEXED, 600),
            _article("bad", ArticleState.FAILED, 600),
            _article("copy", ArticleState.DUPLICATE, 600),
        ]
    )
    session.commit()
    assert find_stuck(session, 15) == {
        Stage.INGEST: ["r-old"],
        Stage.ENRICH: ["i-old"],
        Stage.INDEX: ["e-old"],
    }
    assert find_stuck(session, 0) == {
        Stage.INGEST: ["r-old", "r-new"],
        Stage.ENRICH: ["i-old"],
        Stage.INDEX: ["e-old"],
    }
