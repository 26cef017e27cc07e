"""The ledger validates, posts and balances exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from ingot_core.accounting import AccountType, Entry, EntrySide, Ledger, Transaction, currency
from ingot_core.errors import DuplicateAccount, MissingMarks, TransactionRejected, UnknownAccount
from tests.builders import BTC, T0, USD, account, transfer


@pytest.fixture
def ledger_with_two() -> tuple[Ledger, object, object]:
    ledger = Ledger()
    cash = account("Assets:Cash:USD")
    capital = account("Equity:Capital:USD", AccountType.EQUITY)
    ledger.add_account(cash)
    ledger.add_account(capital)
    return ledger, cash, capital


def test_post_balanced_transaction_updates_normal_side_balances(ledger_with_two) -> None:
    ledger, cash, capital = ledger_with_two
    ledger.post(transfer(cash, capital, "1000.00"))
    assert ledger.balance(cash.id) == Decimal("1000.00")
    assert ledger.balance(capital.id) == Decimal("1000.00")
    assert ledger.transaction_count == 1


def test_prepare_reports_every_problem_at_once(ledger_with_two) -> None:
    ledger, cash, capital = ledger_with_two
    ghost = uuid4()
    tx = Transaction(
        uuid4(),
        datetime(2026, 1, 1),  # naive
        "bad",
        (
            Entry(cash.id, EntrySide.DEBIT, Decimal("-5"), USD),
            Entry(capital.id, EntrySide.CREDIT, Decimal("1.001"), USD),
            Entry(ghost, EntrySide.CREDIT, Decimal("1"), USD),
            Entry(cash.id, EntrySide.DEBIT, Decimal("1"), BTC),
        ),
    )
    with pytest.raises(TransactionRejected) as caught:
        ledger.prepare_transaction(tx)
    problems = caught.value.problems
    assert "posted_at must be timezone-aware" in problems
    assert "entry 1: amount -5 must be positive" in problems
    assert "entry 2: amount 1.001 has 3 decimals, USD allows 2" in problems
    assert f"entry 3: account {ghost} does not exist" in problems
    assert "entry 4: currency BTC does not match account Assets:Cash:USD (USD)" in problems
    assert any(p.startswith("BTC does not balance") for p in problems)
    assert any(p.startswith("USD does not balance") for p in problems)
    assert ledger.transaction_count == 0
    assert ledger.balance(cash.id) == 0


def test_unbalanced_transaction_is_rejected_and_leaves_balances(ledger_with_two) -> None:
    ledger, cash, capital = ledger_with_two
    tx = transfer(cash, capital, "10.00")
    lopsided = replace(tx, entries=(tx.entries[0], replace(tx.entries[1], amount=Decimal("9.99"))))
    with pytest.raises(TransactionRejected, match=r"debits exceed credits by 0\.01"):
        ledger.post(lopsided)
    assert ledger.balance(cash.id) == 0


def test_single_entry_transaction_is_rejected(ledger_with_two) -> None:
    ledger, cash, _ = ledger_with_two
    tx = Transaction(uuid4(), T0, "one leg", (Entry(cash.id, EntrySide.DEBIT, Decimal(1), USD),))
    with pytest.raises(TransactionRejected, match="at least 2 entries"):
        ledger.post(tx)


def test_posting_same_transaction_twice_is_refused(ledger_with_two) -> None:
    ledger, cash, capital = ledger_with_two
    tx = ledger.post(transfer(cash, capital, "1.00"))
    with pytest.raises(TransactionRejected, match="already posted"):
        ledger.post(tx)
    assert ledger.balance(cash.id) == Decimal("1.00")


def test_validated_transaction_cannot_be_posted_to_another_ledger(ledger_with_two) -> None:
    ledger, cash, capital = ledger_with_two
    other = Ledger()
    other.add_account(cash)
    other.add_account(capital)
    validated = ledger.prepare_transaction(transfer(cash, capital, "1.00"))
    with pytest.raises(TransactionRejected, match="another ledger"):
        other.post_transaction(validated)


def test_duplicate_account_id_and_name_are_refused(ledger_with_two) -> None:
    ledger, cash, _ = ledger_with_two
    with pytest.raises(DuplicateAccount, match="id"):
        ledger.add_account(cash)
    with pytest.raises(DuplicateAccount, match="name"):
        ledger.add_account(account("Assets:Cash:USD"))


def test_unknown_account_lookups_raise(ledger_with_two) -> None:
    ledger, _, _ = ledger_with_two
    with pytest.raises(UnknownAccount):
        ledger.account(uuid4())
    with pytest.raises(UnknownAccount):
        ledger.account_named("Assets:Nowhere")


def test_sums_beyond_default_decimal_precision_are_exact(ledger_with_two) -> None:
    ledger, _, _ = ledger_with_two
    big = account("Assets:Big", ccy=currency("ETH"))
    eq = account("Equity:Big", AccountType.EQUITY, currency("ETH"))
    ledger.add_account(big)
    ledger.add_account(eq)
    # 40 significant digits: Python's default context (28 digits) would round these sums.
    amount = "1234567890123456789012.123456789012345678"
    ledger.post(transfer(big, eq, amount))
    ledger.post(transfer(big, eq, "0.000000000000000001"))
    assert ledger.balance(big.id) == Decimal("1234567890123456789012.123456789012345679")


def test_nav_prices_assets_and_liabilities_with_marks() -> None:
    ledger = Ledger()
    cash = account("Assets:Cash:USD")
    btc = account("Assets:Holdings:BTC", ccy=BTC)
    loan = account("Liabilities:Loan:USD", AccountType.LIABILITY)
    capital = account("Equity:Capital:USD", AccountType.EQUITY)
    btc_eq = account("Equity:Trading:BTC", AccountType.EQUITY, BTC)
    for a in (cash, btc, loan, capital, btc_eq):
        ledger.add_account(a)
    ledger.post(transfer(cash, capital, "1000.00"))
    ledger.post(transfer(cash, loan, "250.00"))
    ledger.post(transfer(btc, btc_eq, "0.12345678"))
    nav = ledger.nav(USD, {"BTC": Decimal("60000.01")})
    assert nav == Decimal("1000.00") + Decimal("0.12345678") * Decimal("60000.01")
    assert nav == Decimal("8407.4080345678")


def test_nav_names_every_missing_mark() -> None:
    ledger = Ledger()
    pairs = []
    for code in ("BTC", "ETH"):
        ccy = currency(code)
        held = account(f"Assets:Holdings:{code}", ccy=ccy)
        eq = account(f"Equity:Trading:{code}", AccountType.EQUITY, ccy)
        ledger.add_account(held)
        ledger.add_account(eq)
        pairs.append((held, eq))
    for held, eq in pairs:
        ledger.post(transfer(held, eq, "1"))
    with pytest.raises(MissingMarks) as caught:
        ledger.nav(USD, {})
    assert caught.value.codes == ("BTC", "ETH")


def test_zero_balance_of_credit_normal_account_is_not_negative_zero(ledger_with_two) -> None:
    ledger, cash, capital = ledger_with_two
    ledger.post(transfer(cash, capital, "1.00"))
    ledger.post(transfer(capital, cash, "1.00"))
    for amount in (ledger.balance(capital.id), Ledger().nav(USD, {})):
        assert amount == 0
        assert not amount.is_signed()


def test_nav_of_empty_ledger_is_zero() -> None:
    assert Ledger().nav(USD, {}) == 0
