"""`newsflow alerts` on a SQLite store of its own (no services): save, list, refuse, remove."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from services.cli.main import app


@pytest.fixture
def store(sqlite_url: str, settings_env: Callable[..., None]) -> Iterator[None]:
    from shared.db import get_engine, get_sessionmaker

    settings_env(database_url=sqlite_url)
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    yield
    get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


@pytest.mark.usefixtures("store")
def test_an_alert_is_saved_listed_without_its_secret_and_removed() -> None:
    runner = CliRunner()
    added = runner.invoke(app, ["alerts", "add", "summits", "-q", "summit", "--place", "UK"])
    assert added.exit_code == 0, added.output
    alert = json.loads(added.stdout)
    assert alert["query"] == {"q": "summit", "place": ["UK"]}
    assert len(alert["secret"]) >= 32
    listed = json.loads(runner.invoke(app, ["alerts", "list"]).stdout)
    assert [a["id"] for a in listed] == [alert["id"]]
    assert "secret" not in listed[0]
    assert runner.invoke(app, ["alerts", "remove", alert["id"]]).exit_code == 0
    assert json.loads(runner.invoke(app, ["alerts", "list"]).stdout) == []


@pytest.mark.usefixtures("store")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alerts", "add", "x", "--webhook", "http://127.0.0.1/hook"], "webhook refused"),
        (["alerts", "add", "x", "--webhook", "ftp://example.org/"], "unsupported_scheme"),
        (["alerts", "add", "x", "--secret", "short"], "at least 16 characters"),
        (["alerts", "remove", "0" * 32], "no alert"),
        (["alerts", "replay", "0" * 32], "no alert"),
    ],
)
def test_refusals_are_one_line_on_stderr_and_exit_1(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
