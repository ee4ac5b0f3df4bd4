"""The store's connection pool on the real PostgreSQL: a connection the server dropped while
it sat idle is replaced before use (a PostgreSQL restart costs a reconnect, not a failed
task), and one in use a moment ago goes back to work without a ping round trip."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

import shared.db
from shared.db import make_engine
from tests.conftest import PG_ADMIN_URL

pytestmark = [pytest.mark.integration]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    """What a PostgreSQL restart does to every pooled connection."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared.db, "PING_AFTER_IDLE_S", 0.0)
    dropped = _backend_pid(engine)
    _terminate(dropped)
    # The statement runs on a new connection: no error reaches the caller.
    assert _backend_pid(engine) != dropped


def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared.db, "PING_AFTER_IDLE_S", 3600.0)
    dropped = _backend_pid(engine)
    _terminate(dropped)
    # No ping: the dead connection is handed out, and its statement fails as the dependency
    # error it is (a stage retries it, the API answers 503)...
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    # ...and the pool then replaces it: the next one works.
    assert _backend_pid(engine) != dropped
