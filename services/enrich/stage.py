"""The enrich stage as a plain function: ingested articles get their enrichment."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.enrich.enrichment import ArticleText, enrich_texts
from shared.pipeline import advance, claim, mark_failed
from shared.states import ArticleState, Stage


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
    try:
        results = enrich_texts(texts)
    except Exception:  # noqa: BLE001 - isolate the article that breaks the batch
        results = []
        for article, text in zip(articles, texts, strict=True):
            try:
                results.append(enrich_texts([text])[0])
            except Exception as exc:  # noqa: BLE001
                mark_failed(
                    session,
                    article,
                    Stage.ENRICH,
                    reason="enrichment_error",
                    message=f"{type(exc).__name__}: {exc}",
                    exc=exc,
                )
                results.append({})
    ready = []
    for article, enrichment in zip(articles, results, strict=True):
        if not enrichment:
            continue
        article.enrichment = enrichment
        article.language = article.language or enrichment.get("language")
        advance(session, article, Stage.ENRICH, ArticleState.ENRICHED)
        ready.append(article.id)
    session.commit()
    return ready
