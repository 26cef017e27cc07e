"""An account's register and the balance tree, computed from plain postings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from ingot_core.accounting import Account, AccountType, Balance, EntrySide, currency
from ingot_core.accounting.register import Posting, balance_tree, register
from tests.builders import T0

USD, BTC = currency("USD"), currency("BTC")


def _account(name: str, kind: AccountType, cur=USD) -> Account:  # type: ignore[no-untyped-def]
    return Account(uuid4(), name, kind, cur)


def test_the_running_balance_starts_from_the_opening_and_follows_the_normal_side() -> None:
    cash = _account("Assets:Cash:USD", AccountType.ASSET)
    capital = _account("Equity:Capital:USD", AccountType.EQUITY)
    postings = [
        Posting(T0, uuid4(), "deposit", EntrySide.DEBIT, Decimal("100.00")),
        Posting(T0 + timedelta(1), uuid4(), "fee", EntrySide.CREDIT, Decimal("0.25")),
    ]
    lines = list(register(cash, postings, Decimal("10.00")))
    assert [(line.amount, line.balance) for line in lines] == [
        (Decimal("100.00"), Decimal("110.00")),
        (Decimal("-0.25"), Decimal("109.75")),
    ]
    credit_normal = list(register(capital, postings[:1]))
    assert credit_normal[0].amount == Decimal("-100.00")  # a debit lowers an equity account


def test_the_tree_sums_every_prefix_per_currency_and_folds_at_a_depth() -> None:
    balances = [
        Balance(_account("Assets:Cash:USD", AccountType.ASSET), Decimal("99.50")),
        Balance(_account("Assets:Holdings:BTC", AccountType.ASSET, BTC), Decimal("0.01")),
        Balance(_account("Expenses:Fees:USD", AccountType.EXPENSE), Decimal("0.50")),
    ]
    rows = balance_tree(balances)
    assert [r.name for r in rows] == [
        "Assets", "Assets:Cash", "Assets:Cash:USD", "Assets:Holdings", "Assets:Holdings:BTC",
        "Expenses", "Expenses:Fees", "Expenses:Fees:USD",
    ]  # fmt: skip
    assert rows[0].amounts == {"USD": Decimal("99.50"), "BTC": Decimal("0.01")}
    assert rows[2].leaf == "USD"
    assert rows[2].depth == 3
    top = balance_tree(balances, depth=1)
    assert [(r.name, r.amounts) for r in top] == [
        ("Assets", {"USD": Decimal("99.50"), "BTC": Decimal("0.01")}),
        ("Expenses", {"USD": Decimal("0.50")}),
    ]
