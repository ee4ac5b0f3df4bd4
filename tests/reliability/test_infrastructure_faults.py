"""Nothing is lost when a dependency fails: Redis restarted with its queues emptied,
Elasticsearch unreachable for a while, PostgreSQL restarted, with a few hundred articles in
flight through one running pipeline. Afterwards every accepted article is `indexed` exactly
once (store == Elasticsearch, no duplicate) or `failed` with a reason, within a bounded time.

The fault table is printed at the end of the session (tests/reliability/conftest.py).
"""

from __future__ import annotations

import time

import pytest

from tests.reliability.chaos import (
    ChaosPool,
    FaultTable,
    Stack,
    count_in_state,
    empty_queues,
    record_fault,
    submit,
    synthetic_article,
    verify,
    wait_all_final,
)
from tests.support import wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.e2e]

ARTICLES = 240
RECOVERY_TIMEOUT_S = 180


def _articles(seed: int, n: int = ARTICLES) -> list[dict[str, str]]:
    return [synthetic_article(i, seed) for i in range(n)]


def _assert_nothing_lost(verdict_lost: list[str], duplicated: int) -> None:
    assert verdict_lost == [], f"lost articles: {verdict_lost[:10]}"
    assert duplicated == 0, "an article has more than one document, or one it should not have"


@pytest.mark.usefixtures("clean_store")
def test_redis_restart_with_queues_emptied(
    running_pipeline: ChaosPool,
    local_stack: Stack,
    stack: dict[str, str],
    fault_table: FaultTable,
) -> None:
    ids = submit(_articles(seed=2))
    wait_until(lambda: count_in_state(ids, "indexed") >= 20, timeout=120, interval=0.2)
    local_stack.restart("redis")
    empty_queues()  # the restart kept them (AOF): lose every queued and unacked message
    back = time.monotonic()
    wait_all_final(ids, RECOVERY_TIMEOUT_S)
    verdict = verify(ids, stack["alias"])
    record_fault(
        fault_table, "Redis restarted, queues emptied", ids, verdict, time.monotonic() - back
    )
    _assert_nothing_lost(verdict.lost, verdict.duplicated)
    assert verdict.states == {"indexed": len(ids)}, verdict.failures


@pytest.mark.usefixtures("clean_store")
def test_elasticsearch_unreachable_then_back(
    running_pipeline: ChaosPool,
    local_stack: Stack,
    stack: dict[str, str],
    fault_table: FaultTable,
) -> None:
    ids = submit(_articles(seed=3))
    wait_until(lambda: count_in_state(ids, "indexed") >= 20, timeout=120, interval=0.2)
    local_stack.stop("elasticsearch")
    # Long enough for the index stage to use up its retries and leave work to the sweeper.
    time.sleep(15)
    local_stack.start("elasticsearch")
    back = time.monotonic()
    wait_all_final(ids, RECOVERY_TIMEOUT_S)
    verdict = verify(ids, stack["alias"])
    record_fault(
        fault_table, "Elasticsearch down 15 s + restart", ids, verdict, time.monotonic() - back
    )
    _assert_nothing_lost(verdict.lost, verdict.duplicated)
    assert verdict.states == {"indexed": len(ids)}, verdict.failures


@pytest.mark.usefixtures("clean_store")
def test_postgresql_restart(
    running_pipeline: ChaosPool,
    local_stack: Stack,
    stack: dict[str, str],
    fault_table: FaultTable,
) -> None:
    ids = submit(_articles(seed=4))
    wait_until(lambda: count_in_state(ids, "indexed") >= 20, timeout=120, interval=0.2)
    local_stack.restart("postgres")
    back = time.monotonic()
    wait_all_final(ids, RECOVERY_TIMEOUT_S)
    verdict = verify(ids, stack["alias"])
    record_fault(fault_table, "PostgreSQL restarted", ids, verdict, time.monotonic() - back)
    _assert_nothing_lost(verdict.lost, verdict.duplicated)
    assert verdict.states == {"indexed": len(ids)}, verdict.failures
