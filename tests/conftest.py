"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import URL, Connection, Engine

from ingot_storage.db.database import create_db_engine
from tests.postgres import DatabaseFactory, postgres_server

# Property tests run at least 200 examples (the Foundation issue's floor); database-backed
# ones share a fixture across examples on purpose, each example in its own rolled-back
# transaction.
settings.register_profile(
    "ingot",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile("ingot")

# An embedded server a test starts stops when its last user leaves, not 300 s later: a test
# run leaves no server behind (tests of the idle stop set their own value).
os.environ["INGOT_SERVER_IDLE_SECONDS"] = "0"


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """Per-test databases on the run's PostgreSQL server."""
    with postgres_server(tmp_path_factory.mktemp("pg")) as (admin_url, _kind):
        factory = DatabaseFactory(admin_url)
        try:
            yield factory
        finally:
            factory.close()


@pytest.fixture
def database_url(database_factory: DatabaseFactory) -> Iterator[URL]:
    """A fresh database migrated to head, dropped after the test."""
    url = database_factory.create()
    yield url
    database_factory.drop(url)


@pytest.fixture
def empty_database_url(database_factory: DatabaseFactory) -> Iterator[URL]:
    """A fresh database with no schema at all."""
    url = database_factory.create(migrated=False)
    yield url
    database_factory.drop(url)


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    """An engine on the test's migrated database."""
    engine = create_db_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection whose work is committed only where the test commits it."""
    with engine.connect() as connection:
        yield connection


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty Ingot data directory."""
    path = tmp_path / "ingot-data"
    path.mkdir()
    return path
