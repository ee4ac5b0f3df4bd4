"""Fault injection against the real local stack: helpers, fixtures and the fault table.

These tests stop and restart Redis, PostgreSQL and Elasticsearch through
`infra/local-stack.sh`, and kill real worker processes. Every service a test stops is started
again before the test ends (and once more at the end of the session, whatever happened).

They must act on the very stack the tests talk to: when NEWSFLOW_TEST_* points at a private
stack, NEWSFLOW_STACK_* must point the script at the same one, or the suite is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.chaos import (
    FAULT_TABLE,
    ChaosPool,
    FaultTable,
    Stack,
    script_env,
    shipped_env,
    url_port,
)


@pytest.fixture(scope="session")
def fault_table() -> FaultTable:
    return FAULT_TABLE


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cycles",
        type=int,
        default=1,
        help="soak mode: run every fault scenario this many times (outside CI)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cycle" in metafunc.fixturenames:
        cycles = int(metafunc.config.getoption("cycles", default=1))
        metafunc.parametrize("cycle", range(1, cycles + 1), ids=lambda c: f"cycle{c}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FAULT_TABLE.rows:
        return
    header = (
        "fault",
        "in flight",
        "indexed",
        "failed",
        "lost",
        "duplicated",
        "recovery s",
        "drained s",
    )
    rows = [
        (
            r.fault,
            str(r.in_flight),
            str(r.indexed),
            str(r.failed),
            str(r.lost),
            str(r.duplicated),
            f"{r.recovery_s:.1f}",
            f"{r.drained_s:.1f}",
        )
        for r in FAULT_TABLE.rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    terminalreporter.section(
        "fault injection (shipped defaults): every accepted article indexed once or failed; "
        "recovery = back -> lost work re-sent and moving, drained = back -> all final"
    )
    terminalreporter.write_line(line(header))
    terminalreporter.write_line("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        terminalreporter.write_line(line(row))
    for r in FAULT_TABLE.rows:
        if r.notes:
            terminalreporter.write_line(f"  {r.fault}: {r.notes}")


@pytest.fixture(scope="session")
def local_stack(stack: dict[str, str]) -> Iterator[Stack]:
    """The local-stack script, checked to drive the services this session uses."""
    script = script_env()
    ours = {
        "redis": (url_port(os.environ["NEWSFLOW_REDIS_URL"], 6379), script["NEWSFLOW_REDIS_URL"]),
        "postgres": (
            url_port(os.environ["NEWSFLOW_DATABASE_URL"], 5432),
            script["NEWSFLOW_DATABASE_URL"],
        ),
        "elasticsearch": (
            url_port(os.environ["NEWSFLOW_ELASTICSEARCH_URL"], 9200),
            script["NEWSFLOW_ELASTICSEARCH_URL"],
        ),
    }
    for name, (port, script_url) in ours.items():
        if url_port(script_url, 0) != port:
            pytest.skip(
                f"infra/local-stack.sh drives {name} at {script_url}, the tests use port {port}: "
                "set NEWSFLOW_STACK_* to the stack of NEWSFLOW_TEST_* (faults must hit it)"
            )
    handle = Stack()
    yield handle
    handle.restore_all()


@pytest.fixture
def chaos(local_stack: Stack, clean_store: None, tmp_path: Path) -> Iterator[ChaosPool]:
    """A fresh pool for a test that kills or reconfigures workers."""
    pool = ChaosPool(tmp_path, shipped_env())
    yield pool
    pool.stop_all()
    local_stack.restore_all()


@pytest.fixture(scope="module")
def running_pipeline(
    local_stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChaosPool]:
    """One pipeline (ingest, enrich, index, scheduler with the sweeper) for a module's tests
    of infrastructure faults: the workers live through every fault, as they would in
    production, and load their models once."""
    pool = ChaosPool(tmp_path_factory.mktemp("pipeline"), shipped_env())
    pool.start_pipeline()
    yield pool
    pool.stop_all()
    local_stack.restore_all()
