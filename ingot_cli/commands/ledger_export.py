"""`ingot ledger export`: the book's accounts, transactions and prices as a beancount file, a
ledger/hledger journal, or CSV of postings (ingot_core.accounting.plaintext), so the
plain-text accounting tools can check the book and report on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid5

import typer

from ingot_cli.commands import session_of
from ingot_cli.exporting import (
    ExportResult,
    check_export_target,
    default_target,
    export_target,
    report_export,
)
from ingot_cli.parsing import parse_since
from ingot_cli.session import Session
from ingot_core.accounting import Account, Entry, EntrySide, Transaction
from ingot_core.accounting.plaintext import beancount_lines, csv_lines, ledger_lines

__all__ = ["LedgerFormat", "app", "export_ledger"]

app = typer.Typer(help="The ledger as plain-text accounting files.")
"""The `ingot ledger` group."""


class LedgerFormat(StrEnum):
    """What `ledger export` writes."""

    BEANCOUNT = "beancount"
    LEDGER = "ledger"
    CSV = "csv"


_OPENING = UUID("7c1a4e02-5f1b-4d39-9a6e-0b3f8e2d9c41")  # names the synthetic opening entry
_SUFFIX = {LedgerFormat.BEANCOUNT: "beancount", LedgerFormat.LEDGER: "journal",
           LedgerFormat.CSV: "csv"}  # fmt: skip


def export_ledger(
    session: Session, fmt: LedgerFormat, since: str | None, output: str | None, force: bool
) -> ExportResult:
    """Write the book's transactions posted since `since` (all by default) in `fmt`, with
    every account and the last recorded price of each held currency."""
    moment = parse_since(since)
    now = datetime.now(UTC)
    name = default_target(output, f"ledger_{now:%Y%m%d}.{_SUFFIX[fmt]}")
    path = check_export_target(name, force=force)
    from ingot_storage.ledger.register import (
        balances_at,
        first_posted_at,
        iter_transactions_between,
    )
    from ingot_storage.trading.orders import latest_marks

    book = session.book
    base = book.base_currency.code
    accounts = list(book.ledger.accounts)
    held = {a.currency.code for a in accounts}
    count = 0
    with session.database.connect() as conn, export_target(path) as stream:
        prices = {
            s.base: p for s, p in latest_marks(conn).items() if s.quote == base and s.base in held
        }

        def counted() -> Iterator[Transaction]:
            nonlocal count
            if moment is not None:  # what came before, as one transaction: balances match
                opening = _opening(accounts, balances_at(conn, moment), moment)
                if opening is not None:
                    yield opening
            for tx in iter_transactions_between(conn, moment, None):
                count += 1
                yield tx

        opened = moment or first_posted_at(conn) or now  # accounts open with the first entry
        first = opened.date()
        if fmt is LedgerFormat.BEANCOUNT:
            lines = beancount_lines(accounts, counted(), prices, base, first, now.date())
        elif fmt is LedgerFormat.LEDGER:
            lines = ledger_lines(accounts, counted(), prices, base, now)
        else:
            lines = csv_lines(accounts, counted())
        for line in lines:
            stream.write(line + "\n")
    return ExportResult(count, path)


def _opening(
    accounts: list[Account], net: dict[UUID, Decimal], moment: datetime
) -> Transaction | None:
    """Every account's balance before `moment` as one transaction (it balances in each
    currency, as every transaction of the book does), or None when there is nothing yet."""
    entries = tuple(
        Entry(
            a.id, EntrySide.DEBIT if net[a.id] > 0 else EntrySide.CREDIT, abs(net[a.id]), a.currency
        )
        for a in accounts
        if net.get(a.id)
    )
    if not entries:
        return None
    return Transaction(uuid5(_OPENING, moment.isoformat()), moment, "Opening balances", entries)


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: LedgerFormat = typer.Option(..., "--format", help="beancount, ledger or csv."),
    since: str | None = typer.Option(None, "--since", help="Only transactions from this date."),
    output: str | None = typer.Option(
        None,
        "--output",
        help="File ('-': stdout); default: stdout if piped, else ledger_YYYYMMDD.EXT.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Export the ledger for beancount, ledger/hledger, or as CSV of postings."""
    report_export(export_ledger(session_of(ctx), fmt, since, output, force), "transaction")
