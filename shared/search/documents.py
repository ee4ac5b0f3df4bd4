"""The search document of an article: the projection of its row into the index."""

from __future__ import annotations

from typing import Any

from shared.models import Article, utcnow

_TYPE_FIELDS = {
    "person": "persons",
    "organization": "organizations",
    "place": "places",
    "event": "events",
    "other": "other_entities",
}


def article_document(article: Article) -> dict[str, Any]:
    enrichment = article.enrichment or {}
    extracted = article.extracted or {}
    entities = enrichment.get("entities", [])
    doc: dict[str, Any] = {
        "article_id": article.id,
        "revision": article.revision,
        "title": article.title,
        "body": article.body,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "site_name": extracted.get("site_name"),
        "authors": extracted.get("authors") or [],
        "language": article.language,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "ingested_at": article.created_at.isoformat() if article.created_at else None,
        "indexed_at": utcnow().isoformat(),
        "entities": [
            {"name": e["name"], "type": e["type"], "mentions": e["mentions"]} for e in entities
        ],
        "cluster_id": article.cluster_id or article.id,
        "word_count": enrichment.get("word_count"),
    }
    for kind, field in _TYPE_FIELDS.items():
        doc[field] = [e["name"] for e in entities if e["type"] == kind]
    return doc
