"""Database administration: `ingot db upgrade`, `status`, `spill` and `stop`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import report_warning
from ingot_cli.output import Column, Output, counted, format_count
from ingot_cli.session import Session
from ingot_cli.spill_report import (
    SpillReport,
    render_spill,
    spill_json,
    spill_report,
    spill_reports,
)

if TYPE_CHECKING:
    from ingot_storage import DatabaseStatus
    from ingot_storage.ledger.check import BookCheck
    from ingot_storage.writer.spill import DrainResult

__all__ = [
    "SpillReport",
    "UpgradeResult",
    "app",
    "database_state",
    "drain_spill_setting_aside",
    "spill_json",
    "spill_report",
    "spill_reports",
    "upgrade_database",
]

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
    from ingot_storage.db import migrations

    database = session.open_database(upgrade=False)
    with database.connect() as conn:
        before = migrations.current_revision(conn)
    after = before
    if before != migrations.SCHEMA_HEAD:
        from ingot_storage.db.database import grant_if_missing

        after = migrations.upgrade(database.owner_engine)  # migrations are the owner's
        grant_if_missing(database)
    return UpgradeResult(before, after)


def database_state(session: Session) -> DatabaseStatus:
    """Server kind, version, migration state and row counts, without changing anything."""
    from ingot_storage import database_status

    return database_status(session.open_database(upgrade=False))


def drain_spill_setting_aside(session: Session) -> DrainResult:
    """Write the spilled batches in order; keep those PostgreSQL refuses in the side file."""
    from ingot_storage.writer.drain import drain_spill

    database = session.open_database(upgrade=True)
    return drain_spill(database.engine, session.spill_path, set_aside=True)


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
                "role": status.role,
                "privilege_warning": status.privilege,
                "row_counts": status.row_counts,
            }
        )
        if status.privilege is not None:
            report_warning(status.privilege)
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
    facts.append(("Role", status.role))
    if status.data_dir is not None:
        facts.append(("Data", status.data_dir))
    out.table([Column("Database"), Column("")], facts)
    if status.privilege is not None:
        report_warning(status.privilege)
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
def status_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """Show server kind and version, schema revision and row counts."""
    render_status(output_for(json_mode, fmt), database_state(session_of(ctx)))


@app.command("stats")
def stats_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """Rows, sizes, partitions and time spans per table; the database, server, pool, spill
    files and QuestDB."""
    from ingot_cli.db_stats import render_stats
    from ingot_storage.db.local_files import tradelog_spill_for
    from ingot_storage.db.stats import store_stats

    session = session_of(ctx)
    database, config = session.database, session.config
    stats = store_stats(database, session.spill_path,
                        tradelog_spill_for(config.data_dir, database.identity),
                        config.questdb_pg_url, config.questdb_ilp_addr is not None)  # fmt: skip
    render_stats(output_for(json_mode, fmt), stats)


@app.command("prune")
def prune_command(
    ctx: typer.Context,
    table: list[str] = typer.Option(
        [], "--table", help="ticks, tradelog or bars (repeatable; default: each with a policy)."
    ),
    older_than: str | None = typer.Option(
        None, "--older-than", help="Remove rows older than this, e.g. 90d (default: the policy)."
    ),
    archive: Path | None = typer.Option(
        None, "--archive", help="Archive every removed row here first (gzip JSONL)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Drop whole days of ticks and trade log (and bars) older than their retention."""
    from ingot_cli.db_prune import prune_tables, render_prunes

    done = prune_tables(session_of(ctx), table, older_than, archive, dry_run)
    render_prunes(output_for(json_mode, fmt), done, dry_run)


def check_books(session: Session, only: str | None) -> list[BookCheck]:
    """Replay every book (or `only`) from zero and compare it with its stored snapshots."""
    from ingot_storage.ledger.books import list_book_names
    from ingot_storage.ledger.check import check_book

    database = session.open_database(upgrade=True)
    with database.connect() as conn:
        names = list_book_names(conn)
    if only is not None:
        if only not in names:
            from ingot_storage.errors import UnknownBook

            raise UnknownBook(f"no book {only!r} ('ingot books' lists them)")
        names = [only]
    from ingot_storage.trading.reconcile import reconcile_book

    reports = []
    for name in names:
        with database.begin() as conn:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            report = check_book(conn, name)  # it points the transaction at the book
            report.problems += reconcile_book(conn)
            reports.append(report)
    config = session.config
    if config.questdb_ilp_addr is not None and config.questdb_pg_url and reports:
        from ingot_storage.trading.reconcile import questdb_day_counts

        with database.connect() as conn:  # the market data is shared by every book
            reports[0].problems += questdb_day_counts(conn, config.questdb_pg_url)
    from ingot_storage.trading.checks import count_inconsistencies

    count_inconsistencies(session.config.data_dir, {r.book: len(r.problems) for r in reports})
    return reports


def render_checks(out: Output, reports: Sequence[BookCheck]) -> None:
    """Each book's verdict; exit 1 naming the first problem when any book has one."""
    if out.json_mode:
        out.json([r.__dict__ for r in reports])
    else:
        for r in reports:
            verdict = "OK" if not r.problems else f"{len(r.problems)} PROBLEMS"
            out.line(
                f"Book {r.book}: {verdict} ({counted(r.transactions, 'transaction')} "
                f"replayed, {counted(r.snapshots, 'snapshot')} compared)"
            )
            for problem in r.problems:
                out.line(f"  {problem}")
    failed = [r for r in reports if r.problems]
    if failed:
        from ingot_storage.errors import CorruptLedger

        raise CorruptLedger(f"book {failed[0].book}: {failed[0].problems[0]}")


@app.command("check")
def check_command(
    ctx: typer.Context,
    book: str | None = typer.Option(None, "--book", help="Only this book (default: every one)."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Replay every book from zero and compare it with its snapshots; hold every row to its
    audit entry and every filled order to its ledger transaction; exit 1 on any problem."""
    render_checks(output_for(json_mode, fmt), check_books(session_of(ctx), book))


@app.command("stop")
def stop_command(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL now (it also stops by itself once idle)."""
    from ingot_storage.db.database import stop_embedded_server

    session = session_of(ctx)
    stopped = stop_embedded_server(session.config)
    where = session.config.data_dir / "pgdata"
    typer.echo(f"Stopped the embedded PostgreSQL in {where}" if stopped else "Not running")


@app.command("spill")
def spill_command(
    ctx: typer.Context,
    set_aside: bool = typer.Option(
        False,
        "--set-aside",
        help="Write the spilled batches now, in order, and keep any that PostgreSQL refuses "
        "(or that cannot be read) in a side file instead of letting them hold the rest back.",
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Show the batches waiting in the spill file (written during an outage)."""
    session = session_of(ctx)
    out = output_for(json_mode, fmt)
    if set_aside:
        drained = drain_spill_setting_aside(session)
        render_spill(out, spill_report(session.spill_path, drained))
        return
    reports, note = spill_reports(session)
    if note is not None:
        typer.echo(f"warning: {note}", err=True)
    if out.json_mode and len(reports) != 1:
        out.json([spill_json(r) for r in reports])
        return
    for report in reports or [None]:
        if report is None:
            out.line("There is no spill file in this data directory.")
        else:
            render_spill(out, report)
