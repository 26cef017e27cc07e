"""Schema migrations through Alembic, callable from Ingot itself.

`alembic upgrade head` at the repository root and `ingot db upgrade` run the same scripts.
Start-up only compares one row (alembic_version) with SCHEMA_HEAD and imports Alembic
only when an upgrade is due, so opening an up-to-date database stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_storage.db.locks import MIGRATION_LOCK
from ingot_storage.errors import SchemaError, db_errors

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "SCHEMA_HEAD",
    "current_revision",
    "downgrade",
    "ensure_head",
    "script_location",
    "upgrade",
]

# The newest migration; tests/storage/db/test_migrations.py checks it against alembic/versions.
SCHEMA_HEAD = "0015"


def script_location() -> Path:
    """The alembic/ directory: the repository's, or the copy packaged in the wheel."""
    package = Path(__file__).resolve().parent.parent  # ingot_storage/
    for candidate in (package.parent / "alembic", package / "_alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise SchemaError("Ingot's migration scripts are missing from this installation")


def _config(conn: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes["connection"] = conn
    return config


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    exists = conn.execute(sa.text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
    if not exists:
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _run(engine: Engine, action: str, revision: str) -> str | None:
    from alembic import command
    from alembic.util.exc import CommandError

    with db_errors(), engine.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        # The migrations build public (main's tables and the shared ones), whatever book
        # the engine's connections search first.
        conn.execute(sa.text("SET LOCAL search_path = public"))
        try:
            getattr(command, action)(_config(conn), revision)
        except CommandError as error:
            raise SchemaError(f"cannot {action} to {revision!r}: {error}") from error
        return current_revision(conn)


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate up to `revision` in one transaction; return the revision reached."""
    return _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> str | None:
    """Migrate down to `revision` ("base" empties the schema); return the revision reached."""
    return _run(engine, "downgrade", revision)


def ensure_head(engine: Engine) -> None:
    """Upgrade to SCHEMA_HEAD when behind; refuse a database newer than this Ingot."""
    with db_errors(), engine.connect() as conn:
        revision = current_revision(conn)
    if revision == SCHEMA_HEAD:
        return
    if revision is not None and not revision.isdigit():
        raise SchemaError(f"database revision {revision!r} is not one of Ingot's")
    if revision is not None and int(revision) > int(SCHEMA_HEAD):
        raise SchemaError(
            f"database schema {revision} is newer than this Ingot ({SCHEMA_HEAD}); upgrade Ingot"
        )
    upgrade(engine)
