"""Ingest and article endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse

from services.api.deps import SessionDep
from shared.models import Article
from shared.schemas import ArticleIn, SubmitResult
from shared.submission import submit_articles

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=SubmitResult)
def create_article(item: ArticleIn, session: SessionDep) -> Any:
    """Accept one article; answers 202 once it is committed to the store."""
    result = submit_articles(session, [item])[0]
    if result.status == "rejected":
        code = 413 if result.reason == "too_large" else 422
        return JSONResponse(
            status_code=code,
            content={
                "detail": result.detail,
                "reason": result.reason,
            },
        )
    if result.status == "unchanged":
        return JSONResponse(status_code=200, content=result.model_dump())
    return result


@router.get("/{article_id}")
def read_article(article_id: str, session: SessionDep) -> dict[str, Any]:
    """An article's state, stage outputs and failure, straight from the store."""
    article = session.get(Article, article_id)
    if article is None:
        raise HTTPException(status_code=404, detail={"reason": "not_found"})
    return article_view(article)


def article_view(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "revision": article.revision,
        "state": article.state,
        "source": article.source,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "body": article.body,
        "published_at": article.published_at,
        "language": article.language,
        "extracted": article.extracted,
        "enrichment": article.enrichment,
        "duplicate_of": article.duplicate_of,
        "cluster_id": article.cluster_id,
        "failure": None
        if article.state != "failed"
        else {
            "stage": article.failed_stage,
            "reason": article.error_class,
            "error": article.error,
        },
        "attempts": article.attempts,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "indexed_at": article.indexed_at,
    }
