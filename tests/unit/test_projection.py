"""The search document of an article, checked against documents projected before the
projection was made fast (tests/fixtures/projection/documents.jsonl: rows the project made up,
odd values included, and the bytes `from_db` made of each at commit 1719e5c)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared.models import Article
from shared.search.documents import from_db

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
