"""How an article row is shown to people and apps: one view for the API and the CLI."""

from __future__ import annotations

from typing import Any

from shared.models import Article


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
        # Which article this one copies, and how: "exact" copies stop at `duplicate`,
        # "near" copies are indexed too, sharing the story's `cluster_id`.
        "duplicate": None
        if article.duplicate_of is None
        else {
            "of": article.duplicate_of,
            "kind": article.duplicate_kind,
            "similarity": article.similarity,
        },
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
