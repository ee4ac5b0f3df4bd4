"""The index stage as a plain function: enriched articles are bulk-written to the alias.

Each document's `_id` is the article id and its external version the article revision,
so a redelivered batch or a replay never makes a second document, and a stale revision
can never overwrite a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import streaming_bulk
from sqlalchemy.orm import Session

from shared.errors import TransientError
from shared.metrics import ACCEPTED_TO_SEARCHABLE
from shared.models import Article, utcnow
from shared.pipeline import advance, claim, mark_failed
from shared.search.client import get_client
from shared.search.documents import article_document
from shared.search.indices import alias_name, ensure_index
from shared.states import ArticleState, Stage

# Statuses worth retrying: overload or a shard not ready.
_RETRYABLE = {429, 502, 503, 504}


@lru_cache(maxsize=1)
def _index_ready() -> bool:
    ensure_index(get_client())
    return True


def bulk_actions(articles: Sequence[Article], index: str) -> list[dict[str, Any]]:
    return [
        {
            "_op_type": "index",
            "_index": index,
            "_id": article.id,
            "version": article.revision,
            "version_type": "external",
            "_source": article_document(article),
        }
        for article in articles
    ]


def bulk_index(
    es: Elasticsearch, articles: Sequence[Article], index: str
) -> dict[str, dict[str, Any]]:
    """Send one bulk request; returns each article's item result keyed by id."""
    results: dict[str, dict[str, Any]] = {}
    for _ok, item in streaming_bulk(
        es,
        bulk_actions(articles, index),
        chunk_size=500,
        max_chunk_bytes=50 * 1024 * 1024,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=3,
        initial_backoff=1,
    ):
        result = item["index"]
        results[result["_id"]] = result
    return results


def index_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Index every enriched article of the batch in one bulk request."""
    articles = claim(session, Stage.INDEX, article_ids)
    if not articles:
        return []
    _index_ready()
    results = bulk_index(get_client(), articles, alias_name())
    indexed, retry = [], []
    now = utcnow()
    for article in articles:
        result = results.get(article.id, {})
        status = result.get("status", 0)
        # 409: this revision (or a newer one) is already there, which is what we wanted.
        if 200 <= status < 300 or status == 409:
            article.indexed_at = now
            advance(session, article, Stage.INDEX, ArticleState.INDEXED)
            ACCEPTED_TO_SEARCHABLE.observe((now - article.created_at).total_seconds())
            indexed.append(article.id)
        elif status in _RETRYABLE or not status:
            retry.append(article.id)
        else:
            error = result.get("error", {})
            mark_failed(
                session,
                article,
                Stage.INDEX,
                reason="index_rejected",
                message=f"{status} {error.get('type')}: {error.get('reason')}",
            )
    session.commit()
    if retry:
        raise TransientError(f"{len(retry)} documents were not accepted by Elasticsearch yet")
    return indexed
