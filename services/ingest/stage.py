"""The ingest stage as plain functions: received articles become clean, deduplicated rows."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ingest.extraction import Extracted, extract, parse_date
from shared.identity import content_hash
from shared.models import Article
from shared.pipeline import advance, claim, mark_failed
from shared.states import ArticleState, Stage

log = structlog.get_logger(__name__)


def apply_extraction(article: Article, extracted: Extracted) -> None:
    submitted = article.submitted or {}
    article.title = submitted.get("title") or extracted.title
    article.body = extracted.body
    article.canonical_url = extracted.canonical_url or article.url
    article.published_at = extracted.published_at
    if submitted.get("published_at"):
        article.published_at = parse_date(submitted["published_at"]) or article.published_at
    article.language = submitted.get("language") or extracted.language
    article.extracted = extracted.to_json()
    article.content_hash = content_hash(f"{article.title or ''}\n{extracted.body}")


def find_exact_duplicate(session: Session, article: Article) -> str | None:
    """The first other article with the same normalised text, if any."""
    return session.scalar(
        select(Article.id)
        .where(
            Article.content_hash == article.content_hash,
            Article.id != article.id,
            Article.state.not_in(
                [ArticleState.RECEIVED, ArticleState.FAILED, ArticleState.DUPLICATE]
            ),
        )
        .order_by(Article.created_at)
        .limit(1)
    )


def ingest_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Extract and dedupe each received article; returns the ids ready for enrichment."""
    ready: list[str] = []
    for article in claim(session, Stage.INGEST, article_ids):
        try:
            extracted = extract(article.raw_content, article.input_format, url=article.url)
        except Exception as exc:  # noqa: BLE001 - one bad article must not sink its batch
            mark_failed(
                session,
                article,
                Stage.INGEST,
                reason="extraction_error",
                message=f"{type(exc).__name__}: {exc}",
                exc=exc,
            )
            continue
        if not extracted.body.strip():
            mark_failed(
                session,
                article,
                Stage.INGEST,
                reason="no_article_text",
                message="no article text could be extracted from the input",
            )
            continue
        apply_extraction(article, extracted)
        duplicate_of = find_exact_duplicate(session, article)
        if duplicate_of:
            article.duplicate_of = duplicate_of
            article.cluster_id = duplicate_of
            advance(session, article, Stage.INGEST, ArticleState.DUPLICATE)
            continue
        article.cluster_id = article.id
        advance(session, article, Stage.INGEST, ArticleState.INGESTED)
        ready.append(article.id)
        # Flush so a later article of the same batch sees this one as the original.
        session.flush()
    session.commit()
    return ready
