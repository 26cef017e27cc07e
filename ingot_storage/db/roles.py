"""Least privilege: migrations and DDL run as an owner role; commands connect as an application
role that may only SELECT and INSERT the append-only tables (the audit log and its
checkpoints), and so can neither rewrite them nor switch off, drop or replace the triggers
that guard them (only an owner or a superuser can).

On the embedded server Ingot creates both roles (`ingot_owner` owns the database and every
object in it; commands connect as `ingot_app`). On an external server the README gives the
two-role setup as SQL: DATABASE_URL names the application role, INGOT_OWNER_DATABASE_URL the
owner; `ingot db status` warns when the connecting role owns the audit tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["APPEND_ONLY", "APP_ROLE", "OWNER_ROLE", "grant_app", "privilege_warning"]

APP_ROLE = "ingot_app"
OWNER_ROLE = "ingot_owner"
APPEND_ONLY = ("audit_log", "audit_checkpoint")
"""The tables the application role may only read and append to."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_app(conn: Connection, schema: str, role: str) -> None:
    """Give `role` what commands need in `schema` (run as the owner, after migrations or a new
    book): read and write every table, except read and append only on the append-only ones;
    the sequences; the partition makers of the trade log and the ticks."""
    s, r = _quoted(schema), _quoted(role)
    for statement in (
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ):
        conn.execute(sa.text(statement))
    present = {
        name
        for (name,) in conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        )
    }
    for table in APPEND_ONLY:
        if table in present:
            conn.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON "
                                 f"{s}.{_quoted(table)} FROM {r}"))  # fmt: skip
    if schema == "public":
        for function in ("ingot_tradelog_partition(bigint)", "ingot_ticks_partition(timestamptz)"):
            conn.execute(sa.text(f"GRANT EXECUTE ON FUNCTION public.{function} TO {r}"))


def privilege_warning(conn: Connection) -> str | None:
    """Why the connecting role could rewrite the audit trail (it is a superuser, or owns the
    audit tables), or None when it cannot."""
    row = conn.execute(
        sa.text(
            "SELECT r.rolname, r.rolsuper, pg_has_role(current_user, t.tableowner, 'MEMBER') "
            "FROM pg_roles r LEFT JOIN pg_tables t ON t.schemaname = 'public' "
            "AND t.tablename = 'audit_log' WHERE r.rolname = current_user"
        )
    ).one()
    if row[1]:
        return (f"the connecting role {row[0]} is a superuser: it can switch off the audit "
                "triggers and rewrite the log; connect as an application role (README, "
                "'Least privilege')")  # fmt: skip
    if row[2]:
        return (f"the connecting role {row[0]} owns the audit tables: it can drop their "
                "triggers and rewrite the log; connect as an application role (README, "
                "'Least privilege')")  # fmt: skip
    return None
