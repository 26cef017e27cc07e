"""The ledger a fresh database starts with, and the accounts a new symbol needs.

Account names follow one scheme so every part of Ingot finds them the same way:

    Assets:Cash:USD         quote-currency cash
    Assets:Holdings:BTC     a traded asset
    Equity:Capital:USD      the owner's paid-in capital
    Equity:Trading:BTC      currency trading accounts: they keep each currency of a fill
    Equity:Trading:USD      balanced on its own, so the ledger never mixes currencies
    Expenses:Fees:USD       exchange fees
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ingot_core.accounting.account import Account, AccountType, EntrySide
from ingot_core.accounting.currency import Currency
from ingot_core.accounting.ledger import Ledger
from ingot_core.accounting.transaction import Entry, Transaction
from ingot_core.errors import ValidationError
from ingot_core.ids import new_uuid

__all__ = [
    "bootstrap_ledger",
    "capital_account_name",
    "cash_account_name",
    "ensure_currency_accounts",
    "fee_account_name",
    "holdings_account_name",
    "trading_account_name",
]

IdFactory = Callable[[], UUID]


def cash_account_name(code: str) -> str:
    """Name of the cash account in `code`."""
    return f"Assets:Cash:{code}"


def holdings_account_name(code: str) -> str:
    """Name of the account holding the traded asset `code`."""
    return f"Assets:Holdings:{code}"


def capital_account_name(code: str) -> str:
    """Name of the paid-in capital account in `code`."""
    return f"Equity:Capital:{code}"


def trading_account_name(code: str) -> str:
    """Name of the currency trading account for `code`."""
    return f"Equity:Trading:{code}"


def fee_account_name(code: str) -> str:
    """Name of the fee expense account in `code`."""
    return f"Expenses:Fees:{code}"


def _ensure(
    ledger: Ledger, name: str, kind: AccountType, ccy: Currency, new_id: IdFactory
) -> Account | None:
    existing = ledger.find_account(name)
    if existing is not None:
        if existing.currency != ccy or existing.type is not kind:
            raise ValidationError(
                f"account {name}",
                [
                    f"exists as {existing.type} in {existing.currency.code}, "
                    f"needed as {kind} in {ccy.code}"
                ],
            )
        return None
    account = Account(new_id(), name, kind, ccy)
    ledger.add_account(account)
    return account


def ensure_currency_accounts(
    ledger: Ledger, *, quote: Currency, base: Currency | None = None, new_id: IdFactory = new_uuid
) -> list[Account]:
    """Create whatever accounts trading `base` against `quote` needs; return the new ones."""
    wanted: list[tuple[str, AccountType, Currency]] = [
        (cash_account_name(quote.code), AccountType.ASSET, quote),
        (trading_account_name(quote.code), AccountType.EQUITY, quote),
        (fee_account_name(quote.code), AccountType.EXPENSE, quote),
    ]
    if base is not None:
        wanted += [
            (holdings_account_name(base.code), AccountType.ASSET, base),
            (trading_account_name(base.code), AccountType.EQUITY, base),
        ]
    created = [_ensure(ledger, name, kind, ccy, new_id) for name, kind, ccy in wanted]
    return [account for account in created if account is not None]


def bootstrap_ledger(
    base: Currency, opening_capital: Decimal, at: datetime, *, new_id: IdFactory = new_uuid
) -> Ledger:
    """A new ledger with cash, capital, trading and fee accounts in `base`.

    When `opening_capital` is positive, one transaction moves it from the owner's
    capital into cash, so NAV starts at that amount.
    """
    if opening_capital < 0:
        raise ValidationError("opening capital", [f"{opening_capital} must not be negative"])
    ledger = Ledger()
    capital = Account(new_id(), capital_account_name(base.code), AccountType.EQUITY, base)
    ledger.add_account(capital)
    ensure_currency_accounts(ledger, quote=base, new_id=new_id)
    if opening_capital > 0:
        cash = ledger.account_named(cash_account_name(base.code))
        ledger.post(
            Transaction(
                id=new_id(),
                posted_at=at,
                description="Opening capital",
                entries=(
                    Entry(cash.id, EntrySide.DEBIT, opening_capital, base),
                    Entry(capital.id, EntrySide.CREDIT, opening_capital, base),
                ),
            )
        )
    return ledger
