"""The monitoring kit against the real thing: a real Prometheus (the Debian package the local
stack installs) scrapes a real API and real worker processes while articles flow through them.

It checks what an operator relies on: per-stage series and the accepted -> searchable histogram
come from the workers, the shipped alert and recording rules evaluate (a stopped enrich worker
fires `NewsflowWorkerAbsent`), every PromQL expression of the Grafana dashboard runs and only
names series that exist, every log line is JSON with the batch's article ids, and `trace`
follows an article from the API to the index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import FIXTURES, ROOT, WorkerPool, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

MONITORING = ROOT / "infra" / "monitoring"
WORKER_SERVICES = {
    "ingest": "worker-ingest",
    "enrich": "worker-enrich",
    "index": "worker-index",
    "scheduler": "scheduler",
    "feeds": "worker-feeds",
    "alerts": "worker-alerts",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float) -> None:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout=timeout, interval=0.3, message=f"{url} does not answer")


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert answer["status"] == "success", (expr, answer)
        return list(answer["data"]["result"])

    def values(self, expr: str, label: str) -> dict[str, float]:
        return {r["metric"].get(label, ""): float(r["value"][1]) for r in self.query(expr)}

    def names(self) -> set[str]:
        answer = httpx.get(f"{self.url}/api/v1/label/__name__/values", timeout=10).json()
        return set(answer["data"])

    def firing(self, alertname: str) -> list[dict[str, str]]:
        alerts = httpx.get(f"{self.url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return [
            a["labels"]
            for a in alerts
            if a["labels"]["alertname"] == alertname and a["state"] == "firing"
        ]


@pytest.fixture
def ports() -> dict[str, int]:
    return {name: _free_port() for name in ("api", "prometheus", *WORKER_SERVICES)}


@pytest.fixture
def prometheus(tmp_path: Path, ports: dict[str, int]) -> Iterator[Prometheus]:
    """Prometheus with the shipped rules, `for:` shortened to 0s, scraping every second."""
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(binary).exists():
        pytest.fail("Prometheus is not installed: run `infra/local-stack.sh install`")
    rules = tmp_path / "rules"
    rules.mkdir()
    for source in sorted((MONITORING / "rules").glob("*.yml")):
        text = re.sub(r"\bfor: \S+", "for: 0s", source.read_text())
        (rules / source.name).write_text(text)
    workers = [
        {"targets": [f"127.0.0.1:{ports[stage]}"], "labels": {"service": service}}
        for stage, service in WORKER_SERVICES.items()
    ]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "newsflow-api",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{ports['api']}"], "labels": {"service": "api"}}
                ],
            },
            {"job_name": "newsflow-workers", "static_configs": workers},
        ],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    log = (tmp_path / "prometheus.log").open("ab")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{ports['prometheus']}"
        _wait_http(f"{url}/-/ready", timeout=30)
        yield Prometheus(url)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def api_process(stack: dict[str, str], tmp_path: Path, ports: dict[str, int]) -> Iterator[str]:
    """The API as its own uvicorn process, logging like the deployed one."""
    log = (tmp_path / "api.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["api"]),
        ],
        cwd=ROOT,
        env={**os.environ, "NEWSFLOW_LOG_LEVEL": "INFO"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{ports['api']}"
        _wait_http(f"{url}/healthz", timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _start_workers(workers: WorkerPool, tmp_path: Path, ports: dict[str, int]) -> None:
    for stage in WORKER_SERVICES:
        metrics_dir = tmp_path / f"metrics-{stage}"
        metrics_dir.mkdir()
        env = {
            "NEWSFLOW_METRICS_PORT": str(ports[stage]),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "NEWSFLOW_LOG_LEVEL": "INFO",
        }
        workers.start(stage, extra_env=env, beat=stage == "scheduler")


def _payloads() -> list[dict[str, str]]:
    return [
        {"text": (FIXTURES / "alaska-summit.txt").read_text(), "source": "seed"},
        {"text": (FIXTURES / "e2e" / "harbour-bridge.txt").read_text(), "source": "fixture"},
        {
            "html": (FIXTURES / "e2e" / "glacier-study.html").read_text(),
            "url": "https://meridian.example.org/science/patagonia-glaciers",
            "source": "meridian",
        },
    ]


def _state(api: str, article_id: str) -> str:
    return str(httpx.get(f"{api}/v1/articles/{article_id}", timeout=10).json()["state"])


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana" / "dashboards" / "newsflow.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


_SERIES_NAME = re.compile(r"\b(newsflow_[a-z_]+|up|process_start_time_seconds)\b(?=\s*[{\[)])")


@pytest.mark.usefixtures("clean_store")
def test_prometheus_scrapes_every_process_and_the_kit_evaluates(
    workers: WorkerPool,
    prometheus: Prometheus,
    api_process: str,
    ports: dict[str, int],
    tmp_path: Path,
) -> None:
    _start_workers(workers, tmp_path, ports)
    good = [httpx.post(f"{api_process}/v1/articles", json=p, timeout=30) for p in _payloads()]
    assert [r.status_code for r in good] == [202, 202, 202], [r.text for r in good]
    ids = [r.json()["id"] for r in good]
    bad = httpx.post(
        f"{api_process}/v1/articles",
        json={"html": (FIXTURES / "ingest" / "no-article.html").read_text(), "source": "t"},
        timeout=30,
    )
    assert bad.status_code == 202
    wait_until(
        lambda: (
            [_state(api_process, i) for i in ids] == ["indexed"] * 3
            and _state(api_process, bad.json()["id"]) == "failed"
        ),
        timeout=180,
        message="articles did not reach their final states",
    )

    # Per-stage series and the SLO histogram, as Prometheus sees them from the workers.
    def counted() -> bool:
        ok = prometheus.values(
            'sum by (stage) (newsflow_stage_processed_total{outcome="ok"})', "stage"
        )
        searchable = prometheus.values("sum(newsflow_accepted_to_searchable_seconds_count)", "")
        return ok == {"ingest": 3.0, "enrich": 3.0, "index": 3.0} and searchable == {"": 3.0}

    wait_until(counted, timeout=30, message="worker series never reached the expected counts")
    failed = prometheus.values("sum by (stage, reason) (newsflow_stage_failed_total)", "reason")
    assert failed == {"no_article_text": 1.0}
    p99 = prometheus.values(
        "histogram_quantile(0.99, sum by (le) (newsflow_accepted_to_searchable_seconds_bucket))",
        "",
    )
    assert 0 < p99[""] <= 300
    accepted = prometheus.values("sum(newsflow_articles_accepted_total)", "")
    assert accepted == {"": 4.0}, "the API's own series"
    steps = prometheus.values("sum by (step) (newsflow_enrich_step_seconds_count)", "step")
    assert set(steps) == {"language", "entities", "quotes", "keywords", "summary"}

    # The scheduler computes the state gauges when it is scraped: wait for a scrape made
    # after the last article reached its state.
    def states_counted() -> bool:
        states = prometheus.values("newsflow_articles", "state")
        return (states.get("indexed"), states.get("failed")) == (3, 1)

    wait_until(
        states_counted, timeout=30, message="the state gauges never showed 3 indexed, 1 failed"
    )
    depth = prometheus.values("newsflow_queue_depth", "queue")
    assert set(depth) == {"ingest", "enrich", "index", "scheduler", "feeds", "alerts"}
    assert prometheus.values("newsflow_dependency_up", "dependency") == {
        "database": 1.0,
        "redis": 1.0,
        "elasticsearch": 1.0,
    }
    up = prometheus.values("up", "service")
    assert up == dict.fromkeys(["api", *WORKER_SERVICES.values()], 1.0)

    # The dashboard: every expression is valid PromQL over series that exist.
    wait_until(
        lambda: bool(prometheus.query("newsflow:stage_processed:rate1m")),
        timeout=30,
        message="recording rules never evaluated",
    )
    known = prometheus.names()
    for expr in _dashboard_expressions():
        prometheus.query(expr.replace("$__rate_interval", "1m"))
        missing = {name for name in _SERIES_NAME.findall(expr) if name not in known}
        assert not missing, f"{expr} reads series nobody exports: {missing}"

    # `newsflow status --json`: the same picture, without Prometheus.
    from typer.testing import CliRunner

    from services.cli.main import app

    shown = CliRunner().invoke(app, ["status", "--json", "--window", "600"])
    assert shown.exit_code == 0, shown.output
    status = json.loads(shown.stdout)
    assert {name for name, dep in status["dependencies"].items() if dep["ok"]} == {
        "database",
        "redis",
        "elasticsearch",
    }
    assert {q for q, names in status["workers"].items() if names} == set(WORKER_SERVICES)
    assert {s: v["outcomes"]["ok"] for s, v in status["stages"].items()} == {
        "ingest": 3,
        "enrich": 3,
        "index": 3,
    }
    assert status["failures"] == [{"stage": "ingest", "reason": "no_article_text", "count": 1}]
    assert status["states"]["indexed"]["count"] == 3

    # Alerts: no worker is absent; stop the enrich worker and its alert fires alone.
    assert prometheus.firing("NewsflowWorkerAbsent") == []
    workers.kill("enrich")
    wait_until(
        lambda: bool(prometheus.firing("NewsflowWorkerAbsent")),
        timeout=30,
        message="NewsflowWorkerAbsent did not fire for the stopped enrich worker",
    )
    assert [a["service"] for a in prometheus.firing("NewsflowWorkerAbsent")] == ["worker-enrich"]

    # Logs: every line of every process is one JSON object; stage events name their batch.
    stage_done: list[dict[str, Any]] = []
    for path in [*(tmp_path / f"{stage}.log" for stage in WORKER_SERVICES), tmp_path / "api.log"]:
        for line in path.read_text().splitlines():
            entry = json.loads(line)  # raises on any line that is not JSON
            if entry.get("event") == "stage_done":
                stage_done.append(entry)
    for article_id in ids:
        stages = {e["stage"] for e in stage_done if article_id in e["article_ids"]}
        assert stages == {"ingest", "enrich", "index"}, article_id
    assert all(e["task_id"] for e in stage_done)

    # trace: API -> ingest -> enrich -> index, with the work time of each step from the logs.
    from services.cli.ops_commands import trace_article

    trace = trace_article(ids[0], tmp_path)
    assert trace is not None
    steps_seen = [(s["stage"], s["outcome"]) for s in trace["steps"]]
    assert steps_seen == [("api", "accepted"), ("ingest", "ok"), ("enrich", "ok"), ("index", "ok")]
    assert all(s["work_s"] > 0 for s in trace["steps"][1:]), trace["steps"]
    assert 0 < trace["accepted_to_indexed_s"] <= sum(s["since_prev_s"] for s in trace["steps"]) + 1
