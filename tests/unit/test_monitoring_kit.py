"""The monitoring kit in infra/monitoring is valid for Prometheus's own tools and wired into
docker-compose.yml; the alert rules fire on what they describe (`promtool test rules`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "infra" / "monitoring"
RULES = sorted((MONITORING / "rules").glob("*.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(binary).exists():
        pytest.fail("promtool is not installed: run `infra/local-stack.sh install`")
    return subprocess.run(
        [binary, *args], cwd=MONITORING, capture_output=True, text=True, timeout=120
    )


def test_rules_pass_promtool_check() -> None:
    done = _promtool("check", "rules", *map(str, RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(RULES) == 2


def test_alerts_fire_on_the_situations_they_describe() -> None:
    done = _promtool("test", "rules", "tests/alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_prometheus_config_is_valid() -> None:
    done = _promtool("check", "config", "--syntax-only", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_monitoring_profile_mounts_the_kit() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    profiled = {name for name, s in compose.items() if "monitoring" in s.get("profiles", [])}
    assert profiled == {"prometheus", "grafana", "flower"}
    for service in ("prometheus", "grafana"):
        for volume in compose[service]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume


def test_dashboard_panels_query_the_provisioned_datasource() -> None:
    dashboard = json.loads((MONITORING / "grafana" / "dashboards" / "newsflow.json").read_text())
    datasource = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"][0]
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert len(set(titles)) == len(titles)
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]


def test_task_events_are_off_unless_asked_for(settings_env: Callable[..., None]) -> None:
    """Ten Redis publishes per article otherwise; Flower turns the workers' events on itself."""
    from shared.celery_app import create_app

    conf = create_app().conf
    assert (conf.worker_send_task_events, conf.task_send_sent_event) == (False, False)
    settings_env(task_events="true")
    conf = create_app().conf
    assert (conf.worker_send_task_events, conf.task_send_sent_event) == (True, True)
