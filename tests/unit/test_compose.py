"""docker-compose.yml stays in step with the code: same workers, same settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.cli.main import WORKER_APPS
from shared.settings import Settings

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())


def test_compose_runs_one_service_per_worker_queue() -> None:
    commands = [s.get("command", []) for s in COMPOSE["services"].values()]
    stages = {c[2] for c in commands if c[:2] == ["newsflow", "worker"]}
    assert stages == set(WORKER_APPS)


def test_compose_sets_only_real_settings() -> None:
    fields = {f"NEWSFLOW_{name.upper()}" for name in Settings.model_fields}
    for service in COMPOSE["services"].values():
        for key in service.get("environment", {}):
            if key.startswith("NEWSFLOW_"):
                assert key in fields, key


def test_app_services_wait_for_healthy_dependencies() -> None:
    api = COMPOSE["services"]["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for dependency in ("postgres", "redis", "elasticsearch"):
        assert api["depends_on"][dependency]["condition"] == "service_healthy"
        assert "healthcheck" in COMPOSE["services"][dependency]


def test_every_worker_service_is_health_checked_on_its_metrics_port() -> None:
    port = COMPOSE["x-newsflow"]["environment"]["NEWSFLOW_METRICS_PORT"]
    workers = [
        s
        for s in COMPOSE["services"].values()
        if s.get("command", [])[:2] == ["newsflow", "worker"]
    ]
    assert workers
    for service in workers:
        assert f"localhost:{port}/metrics" in " ".join(service["healthcheck"]["test"])
