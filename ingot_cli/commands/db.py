"""Database administration: `ingot db upgrade` and `ingot db status`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.output import Column, Output, format_count
from ingot_cli.session import Session

if TYPE_CHECKING:
    from ingot_storage import DatabaseStatus

__all__ = ["UpgradeResult", "app", "database_state", "upgrade_database"]

app = typer.Typer(help="Database schema and health.", invoke_without_command=True)


@app.callback()
def db_group(ctx: typer.Context) -> None:
    """Database schema and health."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


@dataclass(frozen=True)
class UpgradeResult:
    """What an upgrade changed.

    Attributes:
      before: the revision found (None for an empty database).
      after: the revision reached.
    """

    before: str | None
    after: str | None


def upgrade_database(session: Session) -> UpgradeResult:
    """Bring the schema to this Ingot's head revision."""
    from ingot_storage import migrations

    database = session.open_database(upgrade=False)
    with database.connect() as conn:
        before = migrations.current_revision(conn)
    after = migrations.upgrade(database.engine) if before != migrations.SCHEMA_HEAD else before
    return UpgradeResult(before, after)


def database_state(session: Session) -> DatabaseStatus:
    """Server kind, version, migration state and row counts, without changing anything."""
    from ingot_storage import database_status

    return database_status(session.open_database(upgrade=False))


def render_upgrade(out: Output, result: UpgradeResult) -> None:
    """One line saying where the schema went."""
    if out.json_mode:
        out.json({"before": result.before, "after": result.after})
    elif result.before == result.after:
        out.line(f"Database already at revision {result.after} (head).")
    else:
        start = result.before or "empty"
        out.line(f"Database upgraded from {start} to revision {result.after} (head).")


def render_status(out: Output, status: DatabaseStatus) -> None:
    """The database status as a key/value table and a row-count table."""
    if out.json_mode:
        out.json(
            {
                "kind": status.kind,
                "url": status.url,
                "server_version": status.server_version,
                "revision": status.revision,
                "head": status.head,
                "up_to_date": status.up_to_date,
                "data_dir": status.data_dir,
                "row_counts": status.row_counts,
            }
        )
        return
    schema = f"{status.revision or 'empty'}" + (
        " (head)"
        if status.up_to_date
        else f" (head is {status.head}; 'ingot db upgrade' or any ledger command applies it)"
    )
    facts = [
        ("Server", f"{status.kind} PostgreSQL {status.server_version}"),
        ("URL", status.url),
        ("Schema", schema),
    ]
    if status.data_dir is not None:
        facts.append(("Data", status.data_dir))
    out.table([Column("Database"), Column("")], facts)
    out.line("")
    out.table(
        [Column("Table"), Column("Rows", "right")],
        [(name, format_count(count)) for name, count in status.row_counts.items()],
    )


@app.command("upgrade")
def upgrade_command(ctx: typer.Context, json_mode: bool = JsonOption) -> None:
    """Apply every pending schema migration (also done automatically at start-up)."""
    render_upgrade(output_for(json_mode), upgrade_database(session_of(ctx)))


@app.command("status")
def status_command(ctx: typer.Context, json_mode: bool = JsonOption) -> None:
    """Show server kind and version, schema revision and row counts."""
    render_status(output_for(json_mode), database_state(session_of(ctx)))
