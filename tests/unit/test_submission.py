"""The one door every article goes through: validation reasons, storing, revisions, copies.

A temporary SQLite store, migrated with the real migrations; the enqueue is recorded
instead of sent, so no service is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import shared.submission as submission
from shared.db import make_engine
from shared.errors import RejectedInput
from shared.models import Article, StageEvent
from shared.schemas import ArticleIn, SubmitResult
from shared.states import ArticleState, Stage
from shared.submission import parse_article, submit_articles, validate_content

STORY = (
    Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "doors" / "story.txt"
).read_text()


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Stage, list[str]]]:
    sent: list[tuple[Stage, list[str]]] = []

    def record(stage: Stage, ids: list[str]) -> bool:
        if ids:
            sent.append((stage, list(ids)))
        return True

    monkeypatch.setattr(submission, "enqueue", record)
    return sent


@pytest.fixture
def session(sqlite_url: str, enqueued: list[Any]) -> Iterator[Session]:
    engine = make_engine(sqlite_url)
    with Session(engine, expire_on_commit=False) as db:
        yield db
    engine.dispose()


def submit_one(session: Session, **fields: Any) -> SubmitResult:
    return submit_articles(session, [ArticleIn(**fields)])[0]


# --- validation: every refusal has a machine-readable reason --------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ([{"text": "a"}], "not_an_object"),
        ("just a string", "not_an_object"),
        ({}, "content_required"),
        ({"text": "a", "html": "<p>a</p>"}, "content_required"),
        ({"text": 42}, "wrong_type"),
        ({"html": ["<p>"]}, "wrong_type"),
        ({"text": "a", "source": 7}, "wrong_type"),
        ({"text": "a", "colour": "red"}, "unknown_field"),
        ({"text": "a", "url": "ftp://example.org/a"}, "invalid_url"),
        ({"text": "a", "url": "/relative/path"}, "invalid_url"),
        ({"text": "a", "title": "nul\x00"}, "invalid_characters"),
        ({"text": "a", "source": "\ud800"}, "invalid_characters"),
        ({"text": "a", "published_at": "last tuesday"}, "invalid_date"),
        ({"text": "a", "language": "english please"}, "invalid_field"),
        ({"text": "a", "title": "t" * 2001}, "invalid_field"),
    ],
)
def test_parse_article_rejects_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        parse_article(value)
    assert info.value.reason == reason
    assert str(info.value)


def test_parse_article_cleans_metadata() -> None:
    item = parse_article(
        {
            "text": "Body",
            "url": " https://e.org/a ",
            "title": "  ",
            "published_at": "2026-03-02T08:30",
        }
    )
    assert item.url == "https://e.org/a"
    assert item.title is None  # blank means "not given"
    assert item.published_at is not None
    assert item.published_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty_body"),
        ("  \n\t \n ", "empty_body"),
        ("text with a NUL\x00 in it", "binary_content"),
        (bytes(range(256)).decode("latin-1") * 4, "binary_content"),
        ("a lone surrogate \ud800 here", "invalid_unicode"),
    ],
)
def test_validate_content_refuses_what_no_stage_can_use(content: str, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        validate_content(ArticleIn(text=content))
    assert info.value.reason == reason


def test_article_size_limit_is_configurable(settings_env: Callable[..., None]) -> None:
    settings_env(max_article_bytes=100)
    validate_content(ArticleIn(text="é" * 50))  # 100 bytes in UTF-8: at the limit
    with pytest.raises(RejectedInput) as info:
        validate_content(ArticleIn(text="é" * 51))
    assert (info.value.reason, info.value.status_code) == ("article_too_large", 413)


# --- storing ----------------------------------------------------------------------------------


def test_new_article_is_stored_then_enqueued_and_resubmission_is_unchanged(
    session: Session, enqueued: list[tuple[Stage, list[str]]]
) -> None:
    first = submit_one(session, text=STORY, source="herald")
    assert (first.status, first.revision) == ("accepted", 1)
    stored = session.get(Article, first.id)
    assert stored is not None
    assert stored.state == ArticleState.RECEIVED
    assert enqueued == [(Stage.INGEST, [first.id])]

    again = submit_one(session, text=STORY, source="herald")
    # Same content, only whitespace and case differ: the same article, unchanged.
    respaced = submit_one(
        session, text="  " + STORY.replace("\n\n", "\n \n").upper(), source="herald"
    )
    assert [again.status, respaced.status] == ["unchanged", "unchanged"]
    assert again.id == respaced.id == first.id
    assert len(enqueued) == 1


def test_the_same_text_from_another_source_is_a_duplicate_never_an_overwrite(
    session: Session, enqueued: list[tuple[Stage, list[str]]]
) -> None:
    """No url, no external id: sources are namespaces (issue 9). The copy points at the first
    article, whose source and revision stay as they were."""
    first = submit_one(session, text=STORY, source="herald")
    copy = submit_one(session, text=STORY, source="gazette")
    assert (copy.status, copy.duplicate_of, copy.revision) == ("duplicate", first.id, 1)
    assert copy.id != first.id
    original = session.get(Article, first.id)
    assert original is not None
    assert (original.source, original.revision, original.state) == (
        "herald",
        1,
        ArticleState.RECEIVED,
    )
    row = session.get(Article, copy.id)
    assert row is not None
    assert (row.source, row.state, row.duplicate_of) == ("gazette", "duplicate", first.id)
    # Posted again, each is unchanged: the copy keeps its own id.
    again = submit_one(session, text=STORY, source="gazette")
    assert (again.id, again.status) == (copy.id, "unchanged")
    assert enqueued == [(Stage.INGEST, [first.id])]


def test_changed_version_bumps_the_revision_and_goes_through_ingest_again(
    session: Session, enqueued: list[tuple[Stage, list[str]]]
) -> None:
    first = submit_one(session, text=STORY, source="herald", external_id="h-1")
    revised = submit_one(
        session, text=STORY.replace("nine to two", "ten to one"), source="herald", external_id="h-1"
    )
    assert (revised.id, revised.status, revised.revision) == (first.id, "revised", 2)
    article = session.get(Article, first.id)
    assert article is not None
    assert "ten to one" in article.raw_content
    assert article.state == ArticleState.RECEIVED
    assert enqueued == [(Stage.INGEST, [first.id]), (Stage.INGEST, [first.id])]


def test_exact_copy_under_another_url_is_a_duplicate_at_the_door(
    session: Session, enqueued: list[tuple[Stage, list[str]]]
) -> None:
    original = submit_one(session, text=STORY, url="https://herald.example.org/cycle-lane")
    copy = submit_one(session, text=STORY, url="https://mirror.example.net/story/123")
    third = submit_one(session, text=STORY + "\n", url="https://third.example.com/x")
    assert copy.status == third.status == "duplicate"
    assert copy.duplicate_of == third.duplicate_of == original.id  # the first, not a copy
    row = session.get(Article, copy.id)
    assert row is not None
    assert (row.state, row.duplicate_of, row.duplicate_kind, row.cluster_id) == (
        ArticleState.DUPLICATE,
        original.id,
        "exact",
        original.id,
    )
    assert session.scalar(select(StageEvent.outcome).where(StageEvent.article_id == copy.id)) == (
        "duplicate"
    )
    assert enqueued == [(Stage.INGEST, [original.id])]  # copies are never processed


def test_a_copy_with_another_title_is_not_an_exact_copy(session: Session) -> None:
    submit_one(session, text=STORY, url="https://a.example.org/1", title="Cycle lane approved")
    other = submit_one(session, text=STORY, url="https://b.example.org/2", title="Lane vote")
    assert other.status == "accepted"  # left to near-duplicate detection at ingest


def test_failed_original_is_no_target_for_copies(session: Session) -> None:
    first = submit_one(session, html="<html><nav>Home</nav></html>", url="https://a.example.org/1")
    row = session.get(Article, first.id)
    assert row is not None
    row.state = ArticleState.FAILED
    session.commit()
    again = submit_one(session, html="<html><nav>Home</nav></html>", url="https://b.example.org/2")
    assert again.status == "accepted"


def test_one_bad_item_never_rejects_the_others(
    session: Session, enqueued: list[tuple[Stage, list[str]]]
) -> None:
    results = submit_articles(
        session,
        [
            ArticleIn(text=STORY, external_id="1", source="s"),
            ArticleIn(text="   "),
            ArticleIn(text="binary\x00garbage"),
            ArticleIn(html="<p>A short page about a bridge closing for repairs.</p>"),
        ],
    )
    assert [r.status for r in results] == ["accepted", "rejected", "rejected", "accepted"]
    assert [r.reason for r in results] == [None, "empty_body", "binary_content", None]
    assert enqueued == [(Stage.INGEST, [results[0].id, results[3].id])]


def test_repeats_within_one_submission(
    session: Session, enqueued: list[tuple[Stage, list[str]]]
) -> None:
    results = submit_articles(
        session,
        [
            ArticleIn(text=STORY, external_id="1", source="s"),
            ArticleIn(text=STORY, external_id="1", source="s"),
            ArticleIn(text=STORY + " Updated.", external_id="1", source="s"),
        ],
    )
    assert [(r.status, r.revision) for r in results] == [
        ("accepted", 1),
        ("unchanged", 1),
        ("revised", 2),
    ]
    assert enqueued == [(Stage.INGEST, [results[0].id])]


def test_revision_clears_the_previous_dedup_decision(session: Session) -> None:
    submit_one(session, text=STORY, url="https://a.example.org/1")
    copy = submit_one(session, text=STORY, url="https://b.example.org/2")
    assert copy.status == "duplicate"
    revised = submit_one(session, text=STORY + "\n\nA correction.", url="https://b.example.org/2")
    assert (revised.status, revised.revision) == ("revised", 2)
    row = session.get(Article, copy.id)
    assert row is not None
    assert (row.state, row.duplicate_of, row.duplicate_kind, row.cluster_id) == (
        ArticleState.RECEIVED,
        None,
        None,
        None,
    )


def test_a_concurrent_insert_of_the_same_article_is_unchanged_not_an_error(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = submit_one(session, text=STORY, external_id="1", source="s")
    real_load = submission._load_known
    calls = []

    def stale_then_real(db: Session, prepared: Any) -> Any:
        calls.append(1)
        # The first look misses the row, as if another request stored it just after.
        return ({}, {}) if len(calls) == 1 else real_load(db, prepared)

    monkeypatch.setattr(submission, "_load_known", stale_then_real)
    results = submit_articles(
        session,
        [ArticleIn(text=STORY, external_id="1", source="s"), ArticleIn(text="Another story.")],
    )
    assert [r.status for r in results] == ["unchanged", "accepted"]
    assert results[0].id == stored.id
    assert len(calls) == 2  # the fast path failed once, then item by item in savepoints
