"""What `ingot db status` reports about the database."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_storage.db import migrations
from ingot_storage.db.database import Database, ServerKind
from ingot_storage.db.roles import privilege_warning
from ingot_storage.db.tables import metadata
from ingot_storage.errors import translate_db_errors

__all__ = ["DatabaseStatus", "database_status"]


@dataclass(frozen=True)
class DatabaseStatus:
    """A snapshot of the database Ingot is using.

    Attributes:
      kind: "embedded" or "external".
      url: connection URL with any password masked.
      server_version: PostgreSQL's version string, e.g. "18.6".
      revision: the schema migration the database is at (None before the first).
      head: the newest migration this Ingot ships.
      row_counts: rows per Ingot table, in table order (absent tables omitted).
      data_dir: the embedded server's data directory, None for an external server.
      role: the role commands connect as; privilege: why it could rewrite the audit trail
        (a superuser, or the audit tables' owner), None when it cannot.
    """

    kind: ServerKind
    url: str
    server_version: str
    revision: str | None
    head: str
    row_counts: dict[str, int]
    data_dir: str | None
    role: str = ""
    privilege: str | None = None

    @property
    def up_to_date(self) -> bool:
        """Whether the schema is at this Ingot's head."""
        return self.revision == self.head


@translate_db_errors
def database_status(database: Database) -> DatabaseStatus:
    """Collect kind, server version, migration state and row counts in one connection."""
    with database.engine.connect() as conn:
        version = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
        role = str(conn.execute(sa.text("SELECT current_user")).scalar_one())
        privilege = privilege_warning(conn) if revision_present(conn) else None
        revision = migrations.current_revision(conn)
        counts: dict[str, int] = {}
        for table in metadata.sorted_tables:
            present = conn.execute(sa.select(sa.func.to_regclass(table.name))).scalar()
            if present is not None:
                count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                counts[table.name] = int(count)
    return DatabaseStatus(
        kind=database.kind,
        url=database.display_url,
        server_version=version.split()[0],
        revision=revision,
        head=migrations.SCHEMA_HEAD,
        row_counts=counts,
        data_dir=str(database.server.pgdata) if database.server is not None else None,
        role=role,
        privilege=privilege,
    )


def revision_present(conn: Connection) -> bool:
    """Whether the audit log exists yet (a privilege check needs its owner)."""
    return conn.execute(sa.select(sa.func.to_regclass("public.audit_log"))).scalar() is not None
