"""Alembic environment for Ingot.

Called by Ingot, it receives an open connection in `config.attributes["connection"]` (inside
Ingot's transaction and advisory lock). Called as `alembic ...`, it opens the database Ingot
is configured for, the embedded server included, exactly as `ingot` would.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from ingot_storage.db.tables import metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_with(connection: Connection) -> None:
    """Run the migrations on `connection` in its current transaction."""
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit SQL for the PostgreSQL dialect (`alembic upgrade head --sql`)."""
    context.configure(
        url="postgresql+psycopg://",
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate a live database: Ingot's connection, or the one Ingot is configured for."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    from ingot_storage.config import StorageConfig
    from ingot_storage.db.database import open_database
    from ingot_storage.db.locks import MIGRATION_LOCK

    database = open_database(StorageConfig.from_env(), upgrade=False)
    try:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            run_with(conn)
    finally:
        database.close()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
