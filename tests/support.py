"""Helpers shared by the tests that run real services and worker processes."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The seed article: `make up` posts it, and tests read it.
SEED = FIXTURES / "alaska-summit.txt"
# One namespace per test session: database, queues and index alias of its own.
NAMESPACE = os.environ.get("NEWSFLOW_TEST_NAMESPACE") or f"nftest{secrets.token_hex(3)}"
os.environ["NEWSFLOW_TEST_NAMESPACE"] = NAMESPACE


class WorkerPool:
    """Real Celery worker processes for this session's queues; tests may kill them."""

    APPS = {
        "ingest": "services.ingest.worker",
        "enrich": "services.enrich.worker",
        "index": "services.indexer.worker",
        "scheduler": "services.scheduler.worker",
        "feeds": "services.ingest.worker",
        "alerts": "services.alerts.worker",
    }

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self,
        stage: str,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        beat: bool = False,
    ) -> subprocess.Popen[bytes]:
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            self.APPS[stage],
            "--quiet",  # no banner: every line of a worker's log is JSON
            "worker",
            "-Q",
            f"{NAMESPACE}.{stage}",
            "-c",
            str(concurrency),
            "-n",
            f"{stage}-{secrets.token_hex(2)}@{NAMESPACE}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ]
        if beat:
            argv += ["--beat", "--schedule", str(self.log_dir / "beat-schedule")]
        log = (self.log_dir / f"{stage}.log").open("ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[stage] = process
        return process

    def start_all(self, concurrency: int = 1) -> None:
        for stage in ("ingest", "enrich", "index"):
            self.start(stage, concurrency=concurrency)

    def kill(self, stage: str, sig: int = 9) -> None:
        process = self.processes.pop(stage)
        os.killpg(process.pid, sig)
        process.wait(timeout=60)

    def stop_all(self) -> None:
        """Warm shutdown of every worker at once (each takes seconds to stop)."""
        stopping = list(self.processes.values())
        self.processes.clear()
        for process in stopping:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.killpg(process.pid, 15)
        for process in stopping:
            process.wait(timeout=60)


class ApiServer:
    """The real API in a uvicorn process on a free loopback port, for browsers and clients."""

    def __init__(self, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "uvicorn", "services.api.app:app"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self.log = log_dir / "api.log"
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(extra_env or {})},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._ready, timeout=60, message=f"the API did not start (see {self.log})")

    def _ready(self) -> bool:
        import httpx

        if self.process.poll() is not None:
            raise AssertionError(f"the API exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)


def wait_until(
    predicate: Callable[[], bool], timeout: float, interval: float = 0.25, message: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s: {message}")


def run_stages_in_process(article_ids: list[str]) -> list[str]:
    """Ingest, enrich and index the articles in this process, each stage committed as a
    worker commits it; returns the ids indexed. The stages are the real ones, no workers."""
    from services.enrich.stage import enrich_articles
    from services.indexer.stage import index_articles
    from services.ingest.stage import ingest_articles
    from shared.db import session_scope

    with session_scope() as session:
        ready = ingest_articles(session, article_ids)
    with session_scope() as session:
        ready = enrich_articles(session, ready)
    with session_scope() as session:
        return index_articles(session, ready)
