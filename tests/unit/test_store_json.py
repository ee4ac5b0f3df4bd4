"""JSON columns read back as they were written (orjson decodes them, the standard library
what orjson refuses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared.models import Article


def _round_trip(sessions: sessionmaker[Session], enrichment: dict[str, Any]) -> Any:
    with sessions() as session:
        session.add(
            Article(
                id="a" * 32,
                state="enriched",
                input_format="text",
                raw_content="x",
                raw_hash="x",
                enrichment=enrichment,
            )
        )
        session.commit()
    with sessions() as session:
        article = session.get(Article, "a" * 32)
        assert article is not None
        return article.enrichment


def test_json_columns_read_back_what_was_written(sessions: sessionmaker[Session]) -> None:
    enrichment = {
        "entities": [{"name": "Zoë Ünal", "type": "person", "mentions": 3, "first_offset": 0}],
        "language_confidence": 0.1 + 0.2,
        "keywords": ["北京", "naïve"],
        "summary": None,
        "word_count": 2**53 + 1,
    }
    assert _round_trip(sessions, enrichment) == enrichment


def test_a_value_orjson_refuses_is_still_read(sessions: sessionmaker[Session]) -> None:
    # A lone surrogate: the standard library writes and reads it, orjson refuses it.
    assert _round_trip(sessions, {"summary": "\ud800 broken"}) == {"summary": "\ud800 broken"}
