"""Real PostgreSQL servers for the tests: never a mock, never SQLite.

Order of preference: INGOT_TEST_DATABASE_URL; a testcontainer (postgres:17) when a Docker
engine answers; otherwise a throwaway embedded server in a temporary directory. Each test
gets its own database, cloned from a template that is migrated once per run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_storage.config import normalize_database_url
from ingot_storage.db import migrations
from ingot_storage.db.database import create_db_engine
from ingot_storage.db.embedded import EmbeddedServer

TEMPLATE_NAME = "ingot_test_template"


def _docker_reachable() -> bool:
    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # any failure means "no usable engine": fall back to embedded
        return False
    return True


@contextmanager
def postgres_server(workdir: Path) -> Iterator[tuple[URL, str]]:
    """Yield (admin URL, kind) of a PostgreSQL server for this test run."""
    external = os.environ.get("INGOT_TEST_DATABASE_URL")
    if external:
        yield normalize_database_url(external, "INGOT_TEST_DATABASE_URL"), "external"
        return
    if _docker_reachable():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver="psycopg") as container:
            yield normalize_database_url(container.get_connection_url()), "testcontainer"
        return
    server = EmbeddedServer(workdir / "embedded")
    server.start("postgres")
    url = server.url("postgres", role="postgres")  # the superuser: it makes the test databases
    try:
        yield url, "embedded"
    finally:
        server.stop()
        shutil.rmtree(workdir / "embedded", ignore_errors=True)


class DatabaseFactory:
    """Creates and drops per-test databases on one server."""

    def __init__(self, admin_url: URL) -> None:
        self.admin_url = admin_url
        self._admin = sa.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        self._template_ready = False

    def url(self, name: str) -> URL:
        """URL of database `name` on this server."""
        return self.admin_url.set(database=name)

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as conn:
            conn.exec_driver_sql(statement)

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        self._execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_NAME}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{TEMPLATE_NAME}"')
        engine = create_db_engine(self.url(TEMPLATE_NAME), pool_size=1)
        try:
            migrations.upgrade(engine)
        finally:
            engine.dispose()
        self._template_ready = True

    def create(self, *, migrated: bool = True) -> URL:
        """A new database: migrated to head (cloned from the template), or empty."""
        name = f"ingot_test_{uuid.uuid4().hex[:12]}"
        if migrated:
            self._ensure_template()
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_NAME}"')
        else:
            self._execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop(self, url: URL) -> None:
        """Drop a database made by `create`, closing any connection left on it."""
        self._execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')

    def close(self) -> None:
        """Drop the template and release the admin pool."""
        if self._template_ready:
            self._execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_NAME}" WITH (FORCE)')
        self._admin.dispose()


def query_rows(url: URL, sql: str) -> list:
    """Run one query on its own short-lived connection; return every row."""
    from ingot_storage.db.database import create_db_engine

    engine = create_db_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()
