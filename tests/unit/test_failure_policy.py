"""The failure policy: what is transient, the backoff, the budgets (stated, not recomputed)."""

from __future__ import annotations

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError
from elasticsearch import ConnectionError as ESConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from shared.errors import PermanentError, TransientError
from shared.failure_policy import (
    ENQUEUE_RETRY,
    SEARCH_RETRY,
    Retry,
    bulk_item_retry,
    is_dependency_failure,
    is_transient,
    reindex_bulk_retry,
    stage_retry,
)


def _api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )
    return ApiError("error", meta=meta, body={})


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (TransientError("x"), True),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
        (ESConnectionError("refused"), True),
        (RedisConnectionError("refused"), True),
        (ConnectionRefusedError("refused"), True),
        (_api_error(408), True),
        (_api_error(429), True),
        (_api_error(502), True),
        (_api_error(503), True),
        (_api_error(504), True),
        (_api_error(500), False),
        (_api_error(400), False),
        (_api_error(404), False),
        (KeyError("bug"), False),
        (PermanentError("bad"), False),
    ],
)
def test_transient_errors_are_told_apart(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_a_wrapped_transient_error_is_transient() -> None:
    outer = RuntimeError("wrapper")
    outer.__cause__ = ConnectionRefusedError("redis")
    assert is_transient(outer)


def test_a_search_answers_503_for_any_elasticsearch_failure_but_not_for_a_refusal() -> None:
    assert is_dependency_failure(_api_error(500))
    assert is_dependency_failure(_api_error(429))
    assert is_dependency_failure(ESConnectionError("refused"))
    assert not is_dependency_failure(_api_error(400))
    assert not is_dependency_failure(KeyError("bug"))


def test_backoff_doubles_from_the_base_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    policy = Retry(times=8, base_s=2.0, cap_s=15.0)
    assert [policy.max_backoff_s(n) for n in range(6)] == [2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert policy.max_backoff_s(60) == 15.0  # no overflow, however many retries
    bounds = {0: (1.0, 2.0), 1: (2.0, 4.0), 2: (4.0, 8.0), 3: (7.5, 15.0), 10: (7.5, 15.0)}
    for retry, (low, high) in bounds.items():
        delays = [policy.backoff_s(retry) for _ in range(200)]
        assert all(low <= d <= high for d in delays)
        assert max(delays) - min(delays) > (high - low) / 4  # jittered, not constant


def test_the_shipped_budgets() -> None:
    # The stage retries resume work within 15 s of a dependency being back.
    assert stage_retry() == Retry(times=8, base_s=2.0, cap_s=15.0)
    assert bulk_item_retry() == Retry(times=4, base_s=0.5, cap_s=30.0)
    assert reindex_bulk_retry() == Retry(times=8, base_s=0.5, cap_s=30.0)
    assert SEARCH_RETRY.times == 0
    assert ENQUEUE_RETRY.kombu_policy() == {
        "max_retries": 2,
        "interval_start": 0.2,
        "interval_step": 0.2,
        "interval_max": 1.0,
    }


def test_the_stage_budget_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import get_settings

    monkeypatch.setenv("NEWSFLOW_TASK_MAX_RETRIES", "3")
    monkeypatch.setenv("NEWSFLOW_RETRY_BACKOFF_MAX_S", "5")
    get_settings.cache_clear()
    try:
        assert stage_retry() == Retry(times=3, base_s=2.0, cap_s=5.0)
    finally:
        get_settings.cache_clear()
