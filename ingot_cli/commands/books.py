"""`ingot books`: the books of this database, and dropping a scratch one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.output import Column, Output, format_amount, format_count
from ingot_cli.session import Session
from ingot_cli.zone import label, when

if TYPE_CHECKING:
    from ingot_storage.ledger.books import BookSummary

__all__ = ["app", "book_summaries", "drop"]

app = typer.Typer(help="The books of this database: one ledger each.", invoke_without_command=True)


def book_summaries(session: Session) -> list[BookSummary]:
    """Every book, oldest first, valued at the last recorded marks."""
    from ingot_storage.ledger.books import list_books
    from ingot_storage.trading.orders import latest_marks

    database = session.open_database(upgrade=True)
    with database.connect() as conn:
        return list_books(conn, latest_marks(conn))


def drop(session: Session, name: str, force: bool) -> list[Path]:
    """Remove a book with everything in it (main only with `force`); its external audit
    checkpoints are kept aside, renamed (a new book of that name starts a new log). Return
    the files kept aside."""
    from ingot_storage.db.database import grant_if_missing
    from ingot_storage.ledger.books import drop_book, retire_book_files

    database = session.open_database(upgrade=True)
    with database.owner_begin() as conn:  # dropping tables is the owner's
        drop_book(conn, name, force=force, data_dir=session.config.data_dir,
                  identity=database.identity)  # fmt: skip
    grant_if_missing(database)  # main, dropped with --force, is made again
    config = session.config
    return retire_book_files(config.data_dir, database.identity, name, config.audit_key_path)


def render_books(out: Output, summaries: Sequence[BookSummary]) -> None:
    """The books as a table or JSON."""
    if out.json_mode:
        out.json([summary.__dict__ for summary in summaries])
        return
    out.table(
        [
            Column("Book"),
            Column("Kind", drop=1),
            Column("Booking"),
            Column(f"Created ({label()})"),
            Column("NAV", "right"),
            Column("Orders", "right"),
            Column("Last activity", drop=2),
        ],
        [
            (
                b.name,
                b.kind,
                b.booking,
                f"{when(b.created_at)}",
                "no mark" if b.nav is None else f"{format_amount(b.nav, 2)} {b.currency}",
                format_count(b.orders),
                "" if b.last_activity is None else f"{when(b.last_activity)}",
            )
            for b in summaries
        ],
    )


@app.callback()
def books_group(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """List the books: name, kind, booking, created, NAV, orders, last activity."""
    if ctx.invoked_subcommand is None:
        render_books(output_for(json_mode, fmt), book_summaries(session_of(ctx)))


@app.command("drop")
def drop_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The book to remove with everything in it."),
    force: bool = typer.Option(False, "--force", help="Needed to drop (empty) the main book."),
) -> None:
    """Remove a book: its ledger, orders, audit trail and checkpoints (market data stays)."""
    kept = drop(session_of(ctx), name, force)
    typer.echo(f"Dropped book {name}")
    for path in kept:
        typer.echo(f"kept aside: {path}")
