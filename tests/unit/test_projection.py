"""The search document of an article, checked against documents projected before the
projection was made fast (tests/fixtures/projection/documents.jsonl: rows the project made up,
odd values included, and the bytes `from_db` made of each at commit 1719e5c), and the same
documents as stored by the enrich stage and read back by the index stage."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.models import DOCUMENT_SOURCE_COLUMNS, Article
from shared.search.documents import (
    INDEXED_COLUMNS,
    PROJECTED_COLUMNS,
    PROJECTION,
    document_source,
    from_db,
    store_document,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projection" / "documents.jsonl"
CASES = [json.loads(line) for line in FIXTURES.read_text(encoding="utf-8").splitlines()]
_DATES = ("published_at", "created_at", "indexed_at")
# What the fixtures were projected with when a row has no indexed_at.
_DEFAULT_INDEXED_AT = datetime.fromisoformat("2004-03-01T08:30:00+00:00")


def _article(row: dict[str, Any]) -> Article:
    dates = {key: datetime.fromisoformat(row[key]) if row[key] else None for key in _DATES}
    return Article(**(row | dates))


@pytest.mark.parametrize("case", CASES, ids=[c["article"]["id"] for c in CASES])
def test_the_document_is_the_one_projected_before(case: dict[str, Any]) -> None:
    article = _article(case["article"])
    document = from_db(article, indexed_at=article.indexed_at or _DEFAULT_INDEXED_AT)
    # What is sent is the serialised document: compare what Elasticsearch receives.
    assert orjson.loads(orjson.dumps(document)) == case["document"]


def test_projecting_twice_gives_the_same_document() -> None:
    """Cached names must not leak between documents (a list shared and then modified)."""
    article = _article(next(c for c in CASES if len(c["document"]["entities"]) > 5)["article"])
    first = orjson.dumps(from_db(article, indexed_at=_DEFAULT_INDEXED_AT))
    from_db(article, indexed_at=_DEFAULT_INDEXED_AT)["suggest_entity"][0]["input"].append("x")
    assert orjson.dumps(from_db(article, indexed_at=_DEFAULT_INDEXED_AT)) == first


def test_the_fixtures_cover_odd_values() -> None:
    documents = [c["document"] for c in CASES]
    assert sum(len(d["entities"]) for d in documents) > 200
    assert any(d["quotes"] for d in documents)
    assert any(not d["entities"] for d in documents)
    assert any(d["person_surnames"] for d in documents)
    assert any(d["other_entities"] for d in documents)


# --- the document the enrich stage stores ------------------------------------------------


def _insert(sessions: sessionmaker[Session], article: Article) -> None:
    """The row, with what the store requires of every article besides what is projected."""
    required = {"input_format": "text", "raw_content": "", "raw_hash": ""}
    for column, value in required.items():
        setattr(article, column, value)
    with sessions() as session:
        if article.duplicate_of:  # the original it points at
            session.add(Article(id=article.duplicate_of, **required))
            session.flush()
        session.add(article)
        session.commit()


def _indexed_row(sessions: sessionmaker[Session], article_id: str) -> Any:
    with sessions() as session:
        return session.execute(select(*INDEXED_COLUMNS).where(Article.id == article_id)).one()


@pytest.mark.parametrize("case", CASES, ids=[c["article"]["id"] for c in CASES])
def test_the_stored_document_is_the_document_with_its_indexing_time(
    case: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    article = _article(case["article"])
    indexed_at = article.indexed_at or _DEFAULT_INDEXED_AT
    store_document(article)
    _insert(sessions, article)
    row = _indexed_row(sessions, article.id)
    # Current: the stored bytes are read, not the columns they were projected from.
    assert row.stored_document is not None
    assert (row.title, row.body, row.extracted, row.enrichment) == (None, None, None, None)
    assert orjson.loads(document_source(row, indexed_at)) == case["document"]


def test_a_document_stored_by_other_code_is_projected_again(
    sessions: sessionmaker[Session],
) -> None:
    case = next(c for c in CASES if len(c["document"]["entities"]) > 5)
    article = _article(case["article"])
    store_document(article)
    # What an earlier version of the projection stored: another title, say.
    article.search_document = orjson.dumps(case["document"] | {"title": "stale"})
    article.search_projection = "earlier"
    _insert(sessions, article)
    row = _indexed_row(sessions, article.id)
    assert row.stored_document is None
    assert row.enrichment == case["article"]["enrichment"]
    indexed_at = article.indexed_at or _DEFAULT_INDEXED_AT
    assert orjson.loads(document_source(row, indexed_at)) == case["document"]


def test_the_projection_version_is_a_digest_of_the_projecting_code() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", PROJECTION)


def test_a_new_value_in_a_projected_column_drops_the_stored_document() -> None:
    # The model's list is the projection's: no column a document is made of is left out.
    assert {c.key for c in PROJECTED_COLUMNS} - {"id", "state", "indexed_at"} == set(
        DOCUMENT_SOURCE_COLUMNS
    )
    article = _article(CASES[0]["article"])
    for column in DOCUMENT_SOURCE_COLUMNS:
        store_document(article)
        setattr(article, column, getattr(article, column))  # set, even to the same value
        assert (article.search_document, article.search_projection) == (None, None), column
