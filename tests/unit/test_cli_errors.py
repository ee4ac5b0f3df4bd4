"""CLI failures read as one line on stderr that says what to do, with a non-zero exit code;
`--debug` shows the traceback. Unreachable services are real addresses nothing listens on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

UNREACHABLE = {
    "NEWSFLOW_ELASTICSEARCH_URL": "http://127.0.0.1:1",
    "NEWSFLOW_DATABASE_URL": "postgresql+psycopg://newsflow:s3cret@127.0.0.1:1/newsflow",
    "NEWSFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
}


def newsflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["search", "putin"], "Elasticsearch at http://127.0.0.1:1 is not reachable"),
        (["index", "status"], "Elasticsearch at http://127.0.0.1:1 is not reachable"),
        (["show", "abc"], "the store at postgresql+psycopg://newsflow:***@127.0.0.1:1/newsflow"),
    ],
)
def test_unreachable_services_are_one_line_saying_what_to_do(args: list[str], says: str) -> None:
    result = newsflow(*args, env=UNREACHABLE)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_store_never_migrated_says_run_db_upgrade(tmp_path: Path) -> None:
    env = {**UNREACHABLE, "NEWSFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    result = newsflow("failures", "list", env=env)
    assert result.returncode != 0
    assert result.stderr == "newsflow: the store is not migrated: run `newsflow db upgrade`\n"


def test_debug_shows_the_traceback() -> None:
    result = newsflow("--debug", "index", "status", env=UNREACHABLE)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_wait_for_unknown_ids_is_an_error(tmp_path: Path) -> None:
    env = {"NEWSFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    assert newsflow("db", "upgrade", env=env).returncode == 0
    result = newsflow("wait", "nope", "nada", "--timeout", "1", env=env)
    assert result.returncode == 1
    assert "2 of 2 ids are unknown: nope, nada" in result.stderr


def test_replaying_unknown_ids_is_an_error(tmp_path: Path) -> None:
    env = {"NEWSFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    assert newsflow("db", "upgrade", env=env).returncode == 0
    result = newsflow("failures", "replay", "nope", env=env)
    assert result.returncode == 1
    assert "replayed 0 article(s)" in result.stderr
    assert "1 of 1 ids are unknown: nope" in result.stderr
