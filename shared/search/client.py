"""The Elasticsearch client, one per process."""

from __future__ import annotations

from functools import lru_cache

from elasticsearch import Elasticsearch

from shared.failure_policy import ES_TRANSPORT_RETRY
from shared.settings import get_settings


@lru_cache(maxsize=1)
def get_client() -> Elasticsearch:
    settings = get_settings()
    return Elasticsearch(
        settings.elasticsearch_url,
        request_timeout=settings.elasticsearch_timeout_s,
        # Connection errors only: a timed-out request is the caller's to retry (or not: a
        # search never is), by its policy in shared/failure_policy.py.
        retry_on_timeout=False,
        max_retries=ES_TRANSPORT_RETRY.times,
    )
