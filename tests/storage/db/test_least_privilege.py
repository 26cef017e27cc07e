"""Least privilege, against real servers: the embedded one as Ingot sets it up, and a plain one
with the README's two roles. The application role commands connect as cannot switch off, drop
or replace the audit triggers, nor UPDATE, DELETE or TRUNCATE the audit tables; it still
trades, and it can append to a new day of the trade log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_storage.config import StorageConfig
from ingot_storage.db.database import open_database
from ingot_storage.db.roles import privilege_warning
from tests.postgres import DatabaseFactory

TAMPERING = [
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE audit_checkpoint DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_refuse_update_delete ON audit_log",
    "CREATE OR REPLACE FUNCTION ingot_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "DROP TABLE audit_log CASCADE",
    "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
    "DELETE FROM audit_log WHERE seq = 1",
    "TRUNCATE audit_log",
    "DELETE FROM audit_checkpoint",
    "SET session_replication_role = replica",
    "ALTER TABLE audit_log OWNER TO CURRENT_USER",
]


def _refused(url: URL, statement: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    except sa.exc.ProgrammingError as error:
        return isinstance(error.orig, psycopg.errors.InsufficientPrivilege)
    finally:
        engine.dispose()
    return False


def _holds_up(config: StorageConfig) -> URL:
    """Open the database as Ingot does, trade-log a new day; return the application URL."""
    database = open_database(config)
    try:
        app_url = database.engine.url
        with database.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() >= 0
            conn.exec_driver_sql("INSERT INTO audit_checkpoint SELECT * FROM audit_checkpoint "
                                 "WHERE false")  # fmt: skip
            day = int(datetime(2031, 5, 6, tzinfo=UTC).timestamp()) * 1_000_000
            name = conn.execute(sa.select(sa.func.public.ingot_tradelog_partition(day)))
            assert name.scalar_one() == "tradelog_p20310506"
            assert privilege_warning(conn) is None
    finally:
        database.close()
    return app_url


def test_the_embedded_servers_application_role_cannot_touch_the_audit_trail(
    tmp_path: Path,
) -> None:
    config = StorageConfig(data_dir=tmp_path / "data", server_idle_seconds=0)
    app_url = _holds_up(config)
    assert app_url.username == "ingot_app"
    database = open_database(config)  # held, so the server stays up for the checks
    try:
        url = database.engine.url
        for statement in TAMPERING:
            assert _refused(url, statement), statement
        owner = database.owner_engine.url
        assert owner.username == "ingot_owner"
        with database.owner_engine.connect() as conn:
            assert not conn.exec_driver_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).scalar()
    finally:
        database.close()


@pytest.fixture
def two_roles(database_factory: DatabaseFactory) -> Iterator[tuple[URL, URL]]:
    """A plain database set up as the README says: an owner role and an application role."""
    tag = uuid.uuid4().hex[:8]
    owner, app, name = f"owner_{tag}", f"app_{tag}", f"ingot_roles_{tag}"
    admin = sa.create_engine(database_factory.admin_url, isolation_level="AUTOCOMMIT",
                             poolclass=sa.NullPool)  # fmt: skip
    with admin.connect() as conn:
        for role in (owner, app):
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{tag}'")
        conn.exec_driver_sql(f"CREATE DATABASE {name} OWNER {owner}")
    base = database_factory.admin_url.set(database=name, password=f"pw-{tag}")
    try:
        yield base.set(username=owner), base.set(username=app)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {app}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        admin.dispose()


def test_a_plain_server_with_two_roles_holds_the_line(
    two_roles: tuple[URL, URL], tmp_path: Path
) -> None:
    owner, app = two_roles
    config = StorageConfig(database_url=app, owner_database_url=owner, data_dir=tmp_path)
    assert _holds_up(config) == app
    for statement in TAMPERING:
        assert _refused(app, statement), statement


def test_the_owner_connecting_is_warned_about(database_url: URL) -> None:
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            warning = privilege_warning(conn)
    finally:
        engine.dispose()
    assert warning is not None
    assert "superuser" in warning or "owns the audit tables" in warning
