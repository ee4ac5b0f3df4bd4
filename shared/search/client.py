"""The Elasticsearch client, one per process, and its per-request variants."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

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
        # orjson reads a page of hits several times faster than the standard library: JSON
        # decoding was the largest share of the API's own CPU per search.
        serializers={"application/json": OrjsonSerializer()},
    )


def with_options(es: Elasticsearch, **options: Any) -> Elasticsearch:
    """`es.options(**options)`, made once per client and options and then reused: making
    one costs ~0.5 ms of CPU (a copy of the client and its ~40 API namespaces), as much as
    the rest of a search's own work in this process. The copies share `es`'s connections."""
    return _with_options(es, frozenset(options.items()))


@lru_cache(maxsize=64)
def _with_options(es: Elasticsearch, options: frozenset[tuple[str, Any]]) -> Elasticsearch:
    return es.options(**dict(options))
