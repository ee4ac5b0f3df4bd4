"""The migrations build exactly the schema the models declare (like `alembic check`).

A model changed without a migration, or a migration without the model, fails here: a fresh
PostgreSQL database is migrated to the newest revision and compared with `Base.metadata` by
alembic's autogenerate, which would otherwise write the missing migration.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, Text

from shared.db import make_engine, upgrade_database
from shared.models import Base
from tests.conftest import PG_ADMIN_URL, TEST_DATABASE_URL
from tests.support import NAMESPACE

pytestmark = pytest.mark.integration

_DATABASE = f"{NAMESPACE}_migrations"


@pytest.fixture
def migrated(stack: dict[str, str]) -> Iterator[Engine]:
    """A database of its own, built by the migrations alone."""
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{_DATABASE}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{_DATABASE}"')
        admin.execute(f'CREATE DATABASE "{_DATABASE}"')
    upgrade_database(url)
    engine = make_engine(url, pooled=False)
    yield engine
    engine.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{_DATABASE}" WITH (FORCE)')


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_the_migrations_build_the_schema_of_the_models(migrated: Engine) -> None:
    assert _differences(migrated) == []


def test_a_model_change_without_a_migration_is_found(migrated: Engine) -> None:
    # The check above can fail: one column more in the models than the migrations made.
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    metadata.tables["articles"].append_column(Column("summary_v2", Text, nullable=True))
    with migrated.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [(diff[0], diff[2], diff[3].name) for diff in diffs] == [
        ("add_column", "articles", "summary_v2")
    ]
