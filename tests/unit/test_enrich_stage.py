"""The enrich stage as a plain function on a SQLite store: enrichment stored, state advanced."""

from __future__ import annotations

import orjson
from sqlalchemy.orm import Session, sessionmaker

from services.enrich.stage import enrich_articles
from services.ingest.extraction import extract
from shared.models import Article
from shared.search.documents import PROJECTION, from_db
from shared.states import ArticleState
from tests.support import SEED


def test_enrich_articles_stores_the_enrichment_of_ingested_articles(
    sessions: sessionmaker[Session],
) -> None:
    raw = SEED.read_text(encoding="utf-8")
    extracted = extract(raw, "text")
    with sessions() as session:
        session.add(
            Article(
                id="a" * 32,
                state=ArticleState.INGESTED,
                input_format="text",
                raw_content=raw,
                raw_hash="a" * 32,
                title=extracted.title,
                body=extracted.body,
                extracted=extracted.to_json(),
            )
        )
        session.add(
            Article(
                id="b" * 32,
                state=ArticleState.RECEIVED,  # not ingested yet: left alone
                input_format="text",
                raw_content="x",
                raw_hash="b" * 32,
            )
        )
        session.commit()
        ready = enrich_articles(session, ["a" * 32, "b" * 32])
    assert ready == ["a" * 32]
    with sessions() as session:
        article = session.get(Article, "a" * 32)
        assert article is not None
        assert article.state == ArticleState.ENRICHED
        assert article.language == "en"
        enrichment = article.enrichment
        # The dateline and headings stored by ingest reach the enrich stage.
        places = {e["name"] for e in enrichment["entities"] if e["type"] == "place"}
        assert "Anchorage" in places
        assert {"language", "entities", "quotes", "keywords", "summary", "models"} <= set(
            enrichment
        )
        # The search document goes with it, as the index stage will send it.
        assert article.search_projection == PROJECTION
        assert article.search_document is not None
        stored = orjson.loads(article.search_document)
        expected = from_db(article)
        del expected["indexed_at"]  # added when indexed
        assert stored == orjson.loads(orjson.dumps(expected))
        assert "Anchorage" in stored["places"]
        untouched = session.get(Article, "b" * 32)
        assert untouched is not None
        assert untouched.state == ArticleState.RECEIVED
        assert untouched.search_document is None
