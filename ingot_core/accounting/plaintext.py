"""The ledger as plain-text accounting files: beancount, ledger/hledger journal, and CSV of
postings, so those tools can check and report on a book.

Ingot books every trade through trading accounts (Equity:Trading:BTC, Equity:Trading:USD), so
each transaction balances in each currency on its own: the tools need no prices or costs to
accept it. Amounts are written exactly, debit-positive, as the tools sign them. Ingot's
Revenue accounts are written under Income, the name both tools expect for that class.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from ingot_core.accounting.account import Account, AccountType
from ingot_core.accounting.transaction import Transaction

__all__ = ["beancount_lines", "csv_lines", "journal_name", "ledger_lines"]

_CLASS_ROOT = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.REVENUE: "Income",
    AccountType.EXPENSE: "Expenses",
}


def journal_name(account: Account) -> str:
    """The account's name as the tools want it: under its class's root (Assets, Liabilities,
    Equity, Income, Expenses), each part starting with a capital letter or digit."""
    parts = account.name.split(":")
    root = _CLASS_ROOT[account.type]
    rest = (
        parts[1:]
        if parts[0].casefold() in (root.casefold(), account.type.value.casefold())
        else parts
    )
    return ":".join([root, *(p[:1].upper() + p[1:] for p in rest)])


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(amount: Decimal) -> str:
    return format(amount, "f")


def beancount_lines(
    accounts: Sequence[Account],
    transactions: Iterable[Transaction],
    prices: Mapping[str, Decimal],
    base: str,
    opened: date,
    priced_on: date,
) -> Iterator[str]:
    """A beancount file: options, an `open` for every account on `opened`, each transaction,
    and a `price` for each held currency on `priced_on` (in `base`)."""
    names = {a.id: journal_name(a) for a in accounts}
    yield f'option "operating_currency" "{base}"'
    yield ""
    for account in accounts:
        yield f"{opened:%Y-%m-%d} open {names[account.id]} {account.currency.code}"
    yield ""
    for tx in transactions:
        yield f"{tx.posted_at:%Y-%m-%d} * {_quoted(tx.description)}"
        yield f'  ingot-id: "{tx.id}"'
        for e in tx.entries:
            yield f"  {names[e.account_id]}  {_plain(e.signed_amount)} {e.currency.code}"
        yield ""
    for code, price in sorted(prices.items()):
        yield f"{priced_on:%Y-%m-%d} price {code} {_plain(price)} {base}"


def ledger_lines(
    accounts: Sequence[Account], transactions: Iterable[Transaction], prices: Mapping[str, Decimal],
    base: str, priced_on: datetime,
) -> Iterator[str]:  # fmt: skip
    """A ledger/hledger journal: account declarations, each transaction, and a market price
    (`P`) for each held currency at `priced_on` (in `base`)."""
    names = {a.id: journal_name(a) for a in accounts}
    for account in accounts:
        yield f"account {names[account.id]}"
    yield ""
    for tx in transactions:
        yield f"{tx.posted_at:%Y-%m-%d} {tx.description}  ; ingot-id: {tx.id}"
        for e in tx.entries:
            yield f"    {names[e.account_id]}  {_plain(e.signed_amount)} {e.currency.code}"
        yield ""
    for code, price in sorted(prices.items()):
        yield f"P {priced_on:%Y-%m-%d %H:%M:%S} {code} {_plain(price)} {base}"


def csv_lines(accounts: Sequence[Account], transactions: Iterable[Transaction]) -> Iterator[str]:
    """One CSV row per posting: date, transaction id, description, account, amount
    (debit-positive), currency."""
    names = {a.id: a.name for a in accounts}
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="")
    out.writerow(["posted_at", "transaction_id", "description", "account", "amount", "currency"])
    yield buffer.getvalue()
    for tx in transactions:
        for e in tx.entries:
            buffer.seek(0)
            buffer.truncate()
            amount = _plain(e.signed_amount)
            row = [tx.posted_at.isoformat(), str(tx.id), tx.description, names[e.account_id]]
            out.writerow([*row, amount, e.currency.code])
            yield buffer.getvalue()
