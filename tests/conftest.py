"""Test settings and the real services the integration, e2e and reliability tests use.

Every test session gets its own namespace: a PostgreSQL database, Celery queue names and an
Elasticsearch alias of its own, so test runs never see each other's (or a dev stack's) data.
The environment is set here, before any `shared` module reads its settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support import NAMESPACE, WorkerPool

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from playwright.sync_api import Browser, Page
    from sqlalchemy.orm import Session, sessionmaker

PG_ADMIN_URL = os.environ.get(
    "NEWSFLOW_TEST_PG_ADMIN_URL", "postgresql://newsflow:newsflow@127.0.0.1:5432/newsflow"
)
TEST_DATABASE_URL = (
    PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0]
    + f"/{NAMESPACE}"
)

os.environ.update(
    {
        "NEWSFLOW_DATABASE_URL": TEST_DATABASE_URL,
        "NEWSFLOW_REDIS_URL": os.environ.get("NEWSFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "NEWSFLOW_ELASTICSEARCH_URL": os.environ.get(
            "NEWSFLOW_TEST_ELASTICSEARCH_URL", "http://127.0.0.1:9200"
        ),
        "NEWSFLOW_QUEUE_PREFIX": f"{NAMESPACE}.",
        "NEWSFLOW_INDEX_ALIAS": f"{NAMESPACE}-articles",
        "NEWSFLOW_LOG_JSON": "true",
        "NEWSFLOW_LOG_LEVEL": "WARNING",
        "NEWSFLOW_SWEEPER_INTERVAL_S": "2",
    }
)


# What the session's namespace is made of, as set above: a test module that changes it on
# import (a bench module does, for its own namespace) would send every later test elsewhere.
_SESSION_ENVIRONMENT = {
    key: os.environ[key]
    for key in ("NEWSFLOW_DATABASE_URL", "NEWSFLOW_QUEUE_PREFIX", "NEWSFLOW_INDEX_ALIAS")
}


def pytest_collection_finish(session: pytest.Session) -> None:
    changed = sorted(k for k, v in _SESSION_ENVIRONMENT.items() if os.environ.get(k) != v)
    if changed:
        raise pytest.UsageError(
            f"a test module changed the session's {', '.join(changed)} on import "
            "(it imports a module that sets its own environment, such as a bench script)"
        )


def _stack_error(what: str, exc: Exception) -> str:
    return (
        f"{what} is not reachable ({exc}). Start the local stack first: "
        "`infra/local-stack.sh up --deps-only` (or `make test`)."
    )


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, migrated to the newest schema."""
    import psycopg

    from shared.db import upgrade_database

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(_stack_error("PostgreSQL", exc))
    with admin:
        admin.execute(f'CREATE DATABASE "{NAMESPACE}"')
    upgrade_database(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL
    from shared.db import get_engine

    get_engine().dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAMESPACE}" WITH (FORCE)')


@pytest.fixture(scope="session")
def search_index() -> Iterator[str]:
    """The session's alias with its first versioned index; everything removed afterwards."""
    from shared.search.client import get_client
    from shared.search.indices import alias_name, ensure_index

    es = get_client()
    try:
        es.cluster.health(wait_for_status="yellow", timeout="5s")
    except Exception as exc:
        pytest.fail(_stack_error("Elasticsearch", exc))
    ensure_index(es)
    yield alias_name()
    es.options(ignore_status=404).indices.delete(index=f"{alias_name()}-*")
    es.options(ignore_status=404).indices.delete_index_template(name=alias_name())


@pytest.fixture(scope="session")
def redis_url() -> str:
    from redis import Redis

    url = os.environ["NEWSFLOW_REDIS_URL"]
    try:
        Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.fail(_stack_error("Redis", exc))
    return url


@pytest.fixture(scope="session")
def stack(database_url: str, search_index: str, redis_url: str) -> dict[str, str]:
    """All three real services, namespaced for this session."""
    return {"database_url": database_url, "alias": search_index, "redis_url": redis_url}


def wipe_store(stack: dict[str, str]) -> None:
    """Empty this session's store, queues and index."""
    from redis import Redis
    from sqlalchemy import text

    from shared.db import get_engine
    from shared.search.client import get_client
    from shared.search.indices import ensure_index

    with get_engine().begin() as connection:
        # CASCADE: tables that hang off articles (article_bands) are emptied with it.
        connection.execute(text("TRUNCATE stage_events, articles CASCADE"))
    redis = Redis.from_url(stack["redis_url"])
    for key in redis.scan_iter(f"{NAMESPACE}.*"):
        redis.delete(key)
    # No delete_by_query on the local node (no reindex module): recreate the index.
    es = get_client()
    es.options(ignore_status=404).indices.delete(index=f"{stack['alias']}-v*")
    ensure_index(es)


@pytest.fixture
def clean_store(stack: dict[str, str]) -> Iterator[None]:
    """Empty store, queues and index around a test that counts articles."""
    wipe_store(stack)
    yield
    wipe_store(stack)


@pytest.fixture
def workers(stack: dict[str, str], tmp_path: Path) -> Iterator[WorkerPool]:
    pool = WorkerPool(tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's, driven by Playwright), one per test module: Playwright's sync
    API runs an event loop in this thread while it lives, which `asyncio.run` in later tests
    (the API fuzz, the security unit tests) cannot share."""
    from tests.browser import launch_chromium

    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page, 1280 px wide."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- fixtures many test files use (the `shared` imports stay inside: the environment above
# must be set before any settings are read) ----------------------------------------------


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Override settings through the environment, as a deployment would:
    `settings_env(max_batch_items=5)` sets NEWSFLOW_MAX_BATCH_ITEMS; restored after the test."""
    from shared.settings import get_settings

    def override(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"NEWSFLOW_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield override
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def api(stack: dict[str, str]) -> Iterator[TestClient]:
    """The API in-process, over this session's real services."""
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite store of its own for one test, built by the migrations (no services)."""
    from shared.db import upgrade_database

    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's SQLite store."""
    from sqlalchemy.orm import sessionmaker

    from shared.db import make_engine

    engine = make_engine(sqlite_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
