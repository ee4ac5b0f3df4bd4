"""The Elasticsearch client's per-request variants: made once, sharing the connections."""

from __future__ import annotations

import datetime

from elasticsearch import Elasticsearch

from shared.search.client import with_options


def test_the_same_options_give_the_same_client_on_the_same_connections() -> None:
    es = Elasticsearch("http://127.0.0.1:9", request_timeout=30)
    first = with_options(es, request_timeout=5, retry_on_timeout=False)
    assert with_options(es, retry_on_timeout=False, request_timeout=5) is first
    assert first is not es
    assert first.transport is es.transport
    other = with_options(es, request_timeout=7)
    assert other is not first
    assert other.transport is es.transport


def test_requests_and_answers_go_through_orjson_with_dates() -> None:
    from shared.search.client import get_client

    serializer = get_client().transport.serializers.get_serializer("application/json")
    body = {"range": {"date": {"gte": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)}}}
    assert serializer.loads(serializer.dumps(body)) == {
        "range": {"date": {"gte": "2026-01-02T00:00:00+00:00"}}
    }
    assert type(serializer).__name__ == "OrjsonSerializer"
