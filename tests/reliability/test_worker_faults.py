"""Nothing is lost when workers die: SIGKILL of each worker type mid-batch (repeatedly),
poison articles that kill or break the enrich stage every time, and a warm shutdown on
SIGTERM. Afterwards every accepted article is `indexed` exactly once (store ==
Elasticsearch, no duplicate) or `failed` with a reason, within a bounded time.

The fault table is printed at the end of the session (tests/reliability/conftest.py).
"""

from __future__ import annotations

import time
from functools import partial

import pytest

from tests.reliability.chaos import (
    ChaosPool,
    FaultResult,
    FaultTable,
    batch_in_flight,
    claimed_unfinished,
    failure_reasons,
    history_outcomes,
    late_resend_histories,
    record_fault,
    recovery_seconds,
    resend_seconds_after_kills,
    store_states,
    submit,
    synthetic_article,
    utc_now,
    verify,
    wait_all_final,
)
from tests.support import wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.e2e]

ARTICLES = 240
RECOVERY_TIMEOUT_S = 180
# Issue 9: articles in flight when a worker dies are re-sent within 30 s.
RECOVERY_GOAL_S = 30.0


def _name(fault: str, cycle: int) -> str:
    return fault if cycle == 1 else f"{fault} [cycle {cycle}]"


def _articles(seed: int, n: int = ARTICLES) -> list[dict[str, str]]:
    return [synthetic_article(i, seed) for i in range(n)]


def _assert_nothing_lost(verdict_lost: list[str], duplicated: int) -> None:
    assert verdict_lost == [], f"lost articles: {verdict_lost[:10]}"
    assert duplicated == 0, "an article has more than one document, or one it should not have"


def test_sigkill_of_each_worker_type_mid_batch_repeatedly(
    cycle: int, chaos: ChaosPool, stack: dict[str, str], fault_table: FaultTable
) -> None:
    # A short pause after each claim makes "mid-batch" a window a test can hit.
    chaos.env["NEWSFLOW_HARNESS_DELAY_S"] = "0.4"
    chaos.start_pipeline()
    ids = submit(_articles(seed=100 + cycle))
    kills: list[str] = []
    killed_at = []
    for _round in range(2):
        for stage, input_state in (
            ("ingest", "received"),
            ("enrich", "ingested"),
            ("index", "enriched"),
        ):
            try:
                wait_until(partial(batch_in_flight, input_state), timeout=60, interval=0.05)
            except AssertionError:
                continue  # this stage already drained: nothing in flight to kill
            chaos.sigkill(stage)
            killed_at.append(utc_now())
            kills.append(stage)
            chaos.start(stage)
        # The scheduler too (beat and the sweeper, maybe mid-sweep).
        chaos.sigkill("scheduler")
        killed_at.append(utc_now())
        kills.append("scheduler")
        chaos.start("scheduler", beat=True)
    assert len(kills) >= 5, f"could not catch enough batches in flight: {kills}"
    drained = wait_all_final(ids, RECOVERY_TIMEOUT_S)
    verdict = verify(ids, stack["alias"])
    interrupted = history_outcomes(ids).get("interrupted", 0)
    recovery = resend_seconds_after_kills(ids, killed_at)
    record_fault(
        fault_table,
        _name(f"SIGKILL workers mid-batch x{len(kills)}", cycle),
        ids,
        verdict,
        recovery,
        drained,
        notes=f"killed: {','.join(kills)}; {interrupted} interrupted attempts re-run alone; "
        "recovery = kill -> its batch re-sent; drained = last kill -> all final",
    )
    # The kills did land mid-batch: claimed attempts were cut short, and were re-run.
    assert interrupted > 0
    _assert_nothing_lost(verdict.lost, verdict.duplicated)
    assert verdict.states == {"indexed": len(ids)}, verdict.failures
    assert recovery <= RECOVERY_GOAL_S, late_resend_histories(ids, killed_at, RECOVERY_GOAL_S)


def test_poison_articles_are_failed_and_never_block_the_others(
    cycle: int, chaos: ChaosPool, stack: dict[str, str], fault_table: FaultTable
) -> None:
    # Each death of the enrich worker process costs a model reload: allow two attempts.
    chaos.env["NEWSFLOW_MAX_STAGE_ATTEMPTS"] = "2"
    chaos.stage_env["enrich"] = {
        "NEWSFLOW_HARNESS_POISON_EXIT": "POISON-EXIT-7f3a",
        "NEWSFLOW_HARNESS_POISON_RAISE": "POISON-RAISE-91c2",
    }
    chaos.start_pipeline()
    seed = 500 + cycle
    payloads = _articles(seed=seed)
    payloads[7] = synthetic_article(7, seed, marker="POISON-EXIT-7f3a")
    payloads[40] = synthetic_article(40, seed, marker="POISON-RAISE-91c2")
    payloads[200] = synthetic_article(200, seed, marker="POISON-RAISE-91c2")
    submitted = utc_now()
    ids = submit(payloads)
    drained = wait_all_final(ids, RECOVERY_TIMEOUT_S)
    verdict = verify(ids, stack["alias"])
    record_fault(
        fault_table,
        _name("poison articles (1 kills its worker, 2 raise)", cycle),
        ids,
        verdict,
        resend_seconds_after_kills(ids, [submitted]),
        drained,
        notes="recovery = submit -> last re-send; drained = submit -> all final",
    )
    _assert_nothing_lost(verdict.lost, verdict.duplicated)
    assert verdict.failures == {
        ids[7]: ("enrich", "attempts_exhausted"),
        ids[40]: ("enrich", "stage_error"),
        ids[200]: ("enrich", "stage_error"),
    }
    assert verdict.states == {"indexed": len(ids) - 3, "failed": 3}


def test_sigterm_finishes_the_batch_in_flight_and_requeues_the_rest(
    cycle: int, chaos: ChaosPool, stack: dict[str, str], fault_table: FaultTable
) -> None:
    """Warm shutdown, without the sweeper: nothing may depend on it here."""
    chaos.env["NEWSFLOW_HARNESS_DELAY_S"] = "1.0"
    for stage in ("ingest", "enrich", "index"):
        chaos.start(stage)
    ids = submit(_articles(seed=600 + cycle, n=120))
    wait_until(lambda: batch_in_flight("received"), timeout=120, interval=0.05)
    shutdown_s = chaos.sigterm_main("ingest")
    # Whatever the stopped worker had claimed was finished, not abandoned.
    assert claimed_unfinished("received") == 0
    chaos.start("ingest")
    back = utc_now()
    drained = wait_all_final(ids, RECOVERY_TIMEOUT_S)
    verdict = verify(ids, stack["alias"])
    record_fault(
        fault_table,
        _name("SIGTERM ingest mid-batch (no sweeper)", cycle),
        ids,
        verdict,
        recovery_seconds(ids, back, "ingest"),
        drained,
        notes=f"warm shutdown took {shutdown_s:.1f}s",
    )
    _assert_nothing_lost(verdict.lost, verdict.duplicated)
    assert verdict.states == {"indexed": len(ids)}, verdict.failures


def test_an_article_over_its_time_budget_fails_alone_with_timeout(
    cycle: int, chaos: ChaosPool, fault_table: FaultTable
) -> None:
    """One article sleeps past the ingest budget (the soft limit stops it), another ignores
    the soft limit like native code (the hard limit kills its worker process): each fails
    alone with `timeout`, and every other article of their batch is ingested. Only the
    ingest worker runs: what follows ingest is not what this test is about."""
    chaos.env["NEWSFLOW_INGEST_TIME_LIMIT_S"] = "3"
    chaos.env["NEWSFLOW_TIME_LIMIT_GRACE_S"] = "2"
    chaos.stage_env["ingest"] = {
        "NEWSFLOW_HARNESS_SLOW": "SLOW-5d1e",
        "NEWSFLOW_HARNESS_HANG": "HANG-0b7c",
    }
    chaos.start("ingest")
    seed = 700 + cycle
    payloads = _articles(seed=seed, n=24)
    payloads[3] = synthetic_article(3, seed, marker="SLOW-5d1e")
    payloads[20] = synthetic_article(20, seed, marker="HANG-0b7c")
    started = time.monotonic()
    ids = submit(payloads)
    wait_until(
        lambda: set(store_states(ids).values()) <= {"ingested", "failed"},
        timeout=RECOVERY_TIMEOUT_S,
        interval=0.5,
        message="articles still waiting for ingest",
    )
    drained = time.monotonic() - started
    failures = failure_reasons(ids)
    states = store_states(ids)
    counts = {state: list(states.values()).count(state) for state in set(states.values())}
    fault_table.rows.append(
        FaultResult(
            _name("articles over their time budget (1 soft, 1 hard limit)", cycle),
            in_flight=len(ids),
            indexed=counts.get("ingested", 0),
            failed=counts.get("failed", 0),
            lost=len(ids) - len(states),
            duplicated=0,
            recovery_s=drained,
            drained_s=drained,
            notes="ingest only (indexed = ingested); budget 3 s + 2 s grace; "
            "recovery = drained = submit -> every article ingested or failed",
        )
    )
    assert failures == {ids[3]: ("ingest", "timeout"), ids[20]: ("ingest", "timeout")}
    assert counts == {"ingested": len(ids) - 2, "failed": 2}
