"""Engine, sessions and migrations for the article store (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, Insert, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from shared.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the API) run while a worker writes; busy_timeout waits out the writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _json_loads(text: str | bytes) -> Any:
    """JSON columns as Python values: orjson, several times faster than the standard library
    on the enrichment the index stage and the reindex read for every article; what orjson
    refuses (a lone surrogate in a SQLite file) is left to the standard library."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, json_deserializer=_json_loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool, json_deserializer=_json_loads)
    engine = create_engine(url, pool_size=5, max_overflow=10, json_deserializer=_json_loads)
    _ping_when_idle(engine)
    return engine


# A pooled connection that sat idle this long is pinged before use (see `_ping_when_idle`).
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """A PostgreSQL restart must cost a reconnect, not a failed task: a connection that sat
    in the pool for `PING_AFTER_IDLE_S` is pinged first, and replaced if the ping fails.
    One that came back a moment ago is not (SQLAlchemy's `pool_pre_ping` pings at every
    checkout: a round trip per transaction, two per stage task, on every lone article); if
    the server went away in that moment, the statement fails as a dependency error (a 503,
    a stage retry) and SQLAlchemy drops every connection of the pool opened before it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # a new connection, or one in use a moment ago
        try:
            ok = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failed ping means a dead connection
            raise exc.DisconnectionError(str(error)) from error
        if not ok:
            raise exc.DisconnectionError("ping failed")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return config


def upgrade_database(url: str | None = None) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the folder of the SQLite file
    command.upgrade(alembic_config(url), "head")


def insert_ignoring_duplicates(session: Session, model: type[Any]) -> Insert:
    """An INSERT of `model` rows where a row that already exists (same key) is skipped, not
    an error: for writes two workers may both make (a redelivered batch, a catch-up job)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"no INSERT ... ON CONFLICT DO NOTHING for {dialect}")
