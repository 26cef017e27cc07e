"""The ledger read by date, as plain-text accountants read it: an account's register with its
running balance (`ingot register`, hledger's `register`) and the transactions of a period
with their postings (`ingot journal`).

Amounts are on each account's normal side, as `ingot balances` shows them, so a register's
last running balance is the account's balance. Dates filter on when a transaction was
posted: `--since` inclusive, `--until` exclusive; a date alone means its midnight UTC.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.output import Column, Output, format_amount
from ingot_cli.parsing import parse_period
from ingot_cli.session import Session
from ingot_cli.zone import label, when
from ingot_core.accounting import Account, Ledger, Transaction
from ingot_core.accounting.register import RegisterLine, normal_amount, register
from ingot_core.numbers import shown

__all__ = ["app", "find_account", "journal", "register_of"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


def find_account(ledger: Ledger, name: str) -> Account:
    """The account called `name` (letter case aside, when that leaves one); BadInput naming
    the closest names otherwise."""
    exact = ledger.find_account(name)
    if exact is not None:
        return exact
    folded = [a for a in ledger.accounts if a.name.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(name, [a.name for a in ledger.accounts], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'ingot accounts' lists them"
    raise BadInput("ACCOUNT", [f"no account {shown(name)}{hint}"])


def register_of(
    session: Session, name: str, since: str | None, until: str | None
) -> tuple[Account, Iterator[RegisterLine]]:
    """The account and its postings in the period, each with its running balance (starting
    from the balance before the period)."""
    account = find_account(session.book.ledger, name)
    start, end = parse_period(since, until)
    from ingot_storage.ledger.register import balance_before, iter_postings

    def lines() -> Iterator[RegisterLine]:
        with session.database.connect() as conn:
            opening = balance_before(conn, account, start)
            yield from register(account, iter_postings(conn, account, start, end), opening)

    return account, lines()


def journal(session: Session, since: str | None, until: str | None) -> Iterator[Transaction]:
    """The transactions posted in the period, with their postings, in posting order."""
    start, end = parse_period(since, until)
    from ingot_storage.ledger.register import iter_transactions_between

    with session.database.connect() as conn:
        yield from iter_transactions_between(conn, start, end)


# -- rendering ------------------------------------------------------------------------------


def render_register(out: Output, account: Account, lines: Iterator[RegisterLine]) -> None:
    """The register as a table (Date, Description, Amount, Balance) or JSON."""
    decimals = account.currency.decimals
    if out.json_mode:
        out.json(
            [
                {
                    "posted_at": line.posted_at,
                    "transaction_id": line.transaction_id,
                    "description": line.description,
                    "amount": line.amount,
                    "balance": line.balance,
                    "currency": account.currency.code,
                }
                for line in lines
            ]
        )
        return
    out.table(
        [
            Column(f"Date ({label()})"),
            Column("Description", wrap=True),
            Column("Amount", "right"),
            Column(f"Balance {account.currency.code}", "right"),
        ],
        [
            (
                f"{when(line.posted_at)}",
                line.description,
                format_amount(line.amount, decimals),
                format_amount(line.balance, decimals),
            )
            for line in lines
        ],
    )


def render_journal(out: Output, ledger: Ledger, txs: Iterator[Transaction]) -> None:
    """Each transaction with its postings (normal side, as `balances`), or JSON."""
    if out.json_mode:
        out.json([_transaction_data(ledger, tx) for tx in txs])
        return
    rows: list[tuple[str, str, str, str]] = []
    for tx in txs:
        rows.append((f"{when(tx.posted_at)}", tx.description, "", ""))
        for entry in tx.entries:
            account = ledger.account(entry.account_id)
            amount = normal_amount(account, entry.side, entry.amount)
            rows.append(("", f"  {account.name}", format_amount(amount, entry.currency.decimals),
                         entry.currency.code))  # fmt: skip
    out.table(
        [
            Column(f"Date ({label()})"),
            Column("Description / account", wrap=True),
            Column("Amount", "right"),
            Column("Currency"),
        ],
        rows,
    )


def _transaction_data(ledger: Ledger, tx: Transaction) -> dict[str, object]:
    return {
        "id": tx.id,
        "posted_at": tx.posted_at,
        "description": tx.description,
        "postings": [
            {
                "account": ledger.account(e.account_id).name,
                "side": e.side.value,
                "amount": e.amount,
                "currency": e.currency.code,
            }
            for e in tx.entries
        ],
    }


# -- Typer registration ---------------------------------------------------------------------


@app.command("register")
def register_command(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="Account name, e.g. Assets:Cash:USD."),
    since: str | None = typer.Option(None, "--since", help="Only postings from this date."),
    until: str | None = typer.Option(None, "--until", help="Only postings before this date."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """An account's postings with their running balance (normal side, as 'balances')."""
    found, lines = register_of(session_of(ctx), account, since, until)
    render_register(output_for(json_mode, fmt), found, lines)


@app.command("journal")
def journal_command(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="Only transactions from this date."),
    until: str | None = typer.Option(None, "--until", help="Only transactions before this date."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Every transaction with its postings, in posting order."""
    session = session_of(ctx)
    render_journal(output_for(json_mode, fmt), session.book.ledger, journal(session, since, until))
