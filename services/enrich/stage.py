"""The enrich stage as a plain function: ingested articles get their enrichment."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.orm import Session

from services.enrich.enrichment import ArticleText, enrich_texts
from shared.models import Article
from shared.pipeline import advance_each, claim
from shared.search.documents import store_document
from shared.states import ArticleState, Stage

log = structlog.get_logger(__name__)


def enrich_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Enrich every ingested article of the batch together; returns ids ready to index."""
    articles = claim(session, Stage.ENRICH, article_ids)
    if not articles:
        return []
    texts = [
        ArticleText(
            title=a.title,
            body=a.body or "",
            headings=list((a.extracted or {}).get("headings") or []),
            dateline=(a.extracted or {}).get("dateline"),
        )
        for a in articles
    ]
    # An article that breaks enrichment fails the batch; the stage runner (shared/worker.py)
    # then runs each article alone, so only that one is failed.
    results = enrich_texts(texts)
    moves = []
    for article, enrichment in zip(articles, results, strict=True):
        if not enrichment:
            continue
        article.enrichment = enrichment
        article.language = article.language or enrichment.get("language")
        _store_document(article)
        moves.append((article, ArticleState.ENRICHED))
    advance_each(session, moves, Stage.ENRICH)
    session.commit()
    return [article.id for article, _ in moves]


def _store_document(article: Article) -> None:
    """The article's search document, stored with it for the index stage. A row the
    projection cannot take is left without one: the index stage projects it again and
    fails it there, visibly (`projection_error`)."""
    try:
        store_document(article)
    except Exception as exc:  # noqa: BLE001 - the enrichment itself is sound: keep it
        article.search_document = article.search_projection = None
        log.warning("search_document_not_stored", article_id=article.id, error=repr(exc)[:300])
