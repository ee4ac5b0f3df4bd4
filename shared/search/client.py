"""The Elasticsearch client, one per process."""

from __future__ import annotations

from functools import lru_cache

from elasticsearch import Elasticsearch

from shared.settings import get_settings


@lru_cache(maxsize=1)
def get_client() -> Elasticsearch:
    settings = get_settings()
    return Elasticsearch(
        settings.elasticsearch_url,
        request_timeout=settings.elasticsearch_timeout_s,
        retry_on_timeout=True,
        max_retries=2,
    )
