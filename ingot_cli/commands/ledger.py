"""Seeing the ledger: accounts, balances and NAV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.output import Column, Output, format_amount, money_shown, money_text
from ingot_cli.parsing import parse_since, whole_number
from ingot_cli.session import Session
from ingot_core.accounting import Account, AccountType, Balance, Currency, EntrySide, currency
from ingot_core.accounting.register import TreeRow, balance_tree, normal_amount
from ingot_core.numbers import parse_decimal

__all__ = ["NavReport", "app", "compute_nav", "list_accounts", "list_balances", "parse_marks"]


# -- the command layer ----------------------------------------------------------------------


def list_accounts(session: Session) -> list[Account]:
    """Every account in the ledger, oldest first."""
    return list(session.book.ledger.accounts)


def list_balances(
    session: Session, *, include_zero: bool = True, at: str | None = None
) -> list[Balance]:
    """Every account's balance on its normal side: now, or from the transactions posted
    before `at` (a date alone means its midnight UTC)."""
    ledger = session.book.ledger
    if at is None:
        balances = ledger.balances()
    else:
        moment = parse_since(at, "--at")
        from ingot_storage.ledger.register import balances_at

        with session.database.connect() as conn:
            net = balances_at(conn, moment)
        balances = [
            Balance(a, normal_amount(a, EntrySide.DEBIT, net.get(a.id, Decimal(0))))
            for a in ledger.accounts
        ]
    return balances if include_zero else [b for b in balances if b.amount != 0]


@dataclass(frozen=True)
class NavReport:
    """Net asset value and what it was computed from.

    Attributes:
      quote: the currency NAV is expressed in.
      nav: assets minus liabilities, exact.
      marks: the prices used, by currency code.
      recorded: the codes whose price is their last recorded mark rather than a given one.
    """

    quote: Currency
    nav: Decimal
    marks: dict[str, Decimal]
    recorded: tuple[str, ...] = ()


def parse_marks(items: Sequence[str]) -> dict[str, Decimal]:
    """Parse CODE=PRICE pairs; report every malformed one at once."""
    marks: dict[str, Decimal] = {}
    problems: list[str] = []
    for item in items:
        code, sep, price_text = item.partition("=")
        if not sep or not code.strip():
            problems.append(f"--mark {item!r} must be CODE=PRICE, e.g. BTC=61000")
            continue
        try:
            ccy = currency(code)
            price = parse_decimal(price_text, f"price of {ccy.code}")
        except ValueError as error:
            problems.append(str(error))
            continue
        if price <= 0:
            problems.append(f"price of {ccy.code} must be positive, got {price_text.strip()}")
        elif ccy.code in marks and marks[ccy.code] != price:
            problems.append(f"{ccy.code} is marked twice with different prices")
        else:
            marks[ccy.code] = price
    if problems:
        raise BadInput("marks", problems)
    return marks


def compute_nav(session: Session, quote_code: str | None, mark_items: Sequence[str]) -> NavReport:
    """NAV of the ledger in `quote_code` (default: the book's base currency), at the marks
    given, and for every other held currency at its last recorded mark against `quote_code`
    (`ingot mark`, or a tick), as `ingot status` values the book."""
    given = parse_marks(mark_items)
    book = session.book
    try:
        quote = currency(quote_code) if quote_code is not None else book.base_currency
    except ValueError as error:
        raise BadInput("--quote", [str(error)]) from None
    from ingot_storage.trading.orders import latest_marks

    with session.database.connect() as conn:
        last = latest_marks(conn)
    held = {
        b.account.currency.code
        for b in book.ledger.balances()
        if b.amount and b.account.type in (AccountType.ASSET, AccountType.LIABILITY)
    }
    recorded = {
        s.base: price
        for s, price in last.items()
        if s.quote == quote.code and s.base in held and s.base not in given
    }
    marks = {**recorded, **given}
    return NavReport(quote, book.ledger.nav(quote, marks), marks, tuple(sorted(recorded)))


# -- rendering ------------------------------------------------------------------------------


def render_accounts(out: Output, accounts: Sequence[Account]) -> None:
    """Accounts as a table or JSON."""
    if out.json_mode:
        out.json([a.as_data() for a in accounts])
        return
    out.table(
        [Column("Name"), Column("Type"), Column("Currency"), Column("ID")],
        [(a.name, a.type.value, a.currency.code, str(a.id)) for a in accounts],
    )


def render_balances(out: Output, balances: Sequence[Balance]) -> None:
    """Balances as a table or JSON."""
    if out.json_mode:
        out.json(
            [
                {
                    "account": b.account.name,
                    "type": b.account.type.value,
                    "currency": b.account.currency.code,
                    "balance": money_text(b.amount, b.account.currency.decimals),
                }
                for b in balances
            ]
        )
        return
    out.table(
        [Column("Account"), Column("Type"), Column("Balance", "right"), Column("Currency")],
        [
            (
                b.account.name,
                b.account.type.value,
                format_amount(b.amount, b.account.currency.decimals),
                b.account.currency.code,
            )
            for b in balances
        ],
    )


def render_tree(out: Output, rows: Sequence[TreeRow]) -> None:
    """The account tree, each node indented under its parent with its sums per currency."""
    if out.json_mode:
        out.json([{"account": r.name, "depth": r.depth, "balances": r.amounts} for r in rows])
        return
    lines: list[tuple[str, str, str]] = []
    for r in rows:
        for n, (code, amount) in enumerate(sorted(r.amounts.items())):
            label = "  " * (r.depth - 1) + r.leaf if n == 0 else ""
            lines.append((label, format_amount(amount, currency(code).decimals), code))
    out.table([Column("Account"), Column("Balance", "right"), Column("Currency")], lines)


def render_nav(out: Output, report: NavReport) -> None:
    """NAV as one line or JSON."""
    if out.json_mode:
        out.json(
            {
                "quote": report.quote.code,
                "nav": money_text(report.nav, report.quote.decimals),
                "marks": report.marks,
                "recorded": list(report.recorded),
            }
        )
        return
    shown, code = money_shown(report.nav, report.quote.decimals), report.quote.code
    exactly = f" (exactly {format_amount(report.nav)})" if shown.startswith("≈") else ""
    out.line(f"NAV: {shown} {code}{exactly}")
    if report.recorded:
        prices = ", ".join(f"{code} {report.marks[code]}" for code in report.recorded)
        out.line(f"at the last recorded marks: {prices}")


# -- Typer registration ---------------------------------------------------------------------


app = typer.Typer()
"""The ledger commands: accounts, balances, nav."""


@app.command("accounts")
def accounts_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """List every ledger account."""
    render_accounts(output_for(json_mode, fmt), list_accounts(session_of(ctx)))


@app.command("balances")
def balances_command(
    ctx: typer.Context,
    nonzero: bool = typer.Option(False, "--nonzero", help="Hide accounts with a zero balance."),
    tree: bool = typer.Option(False, "--tree", help="Roll balances up the account names."),
    depth: int | None = typer.Option(
        None, "--depth", parser=whole_number(1, 32), help="With --tree: show N levels."
    ),
    at: str | None = typer.Option(
        None, "--at", help="Balances from what was posted before this date or instant."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Show every account's balance, exactly."""
    if depth is not None and not tree:
        raise BadInput("--depth", ["applies with --tree"])
    balances = list_balances(session_of(ctx), include_zero=not nonzero, at=at)
    if tree:
        render_tree(output_for(json_mode, fmt), balance_tree(balances, depth))
    else:
        render_balances(output_for(json_mode, fmt), balances)


@app.command("nav")
def nav_command(
    ctx: typer.Context,
    quote: str | None = typer.Option(
        None, "--quote", help="Currency to express NAV in (default: the ledger's base)."
    ),
    mark: list[str] = typer.Option(
        [], "--mark", help="Price of one unit of a held currency, CODE=PRICE; repeatable."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Net asset value: assets minus liabilities at the given marks."""
    render_nav(output_for(json_mode, fmt), compute_nav(session_of(ctx), quote, mark))
