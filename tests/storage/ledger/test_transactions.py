"""Transactions and entries in PostgreSQL (seed 000, Tasks 2.2.3-2.2.4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from ingot_core.accounting import AccountType, Entry, EntrySide, Transaction, currency
from ingot_storage import (
    IntegrityViolation,
    StorageError,
    load_transactions,
    save_accounts,
    save_transaction,
    save_transactions,
)
from tests.builders import T0, account, transfer


@pytest.fixture
def cash_and_capital(conn: Connection):
    cash = account("Assets:Cash:USD")
    capital = account("Equity:Capital:USD", AccountType.EQUITY)
    save_accounts(conn, [cash, capital])
    return cash, capital


def count(conn: Connection, table: str) -> int:
    return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_save_transaction_persists_header_fields(conn: Connection, cash_and_capital) -> None:
    tx = transfer(*cash_and_capital, "10.00", description="Opening capital")
    assert save_transaction(conn, tx) is True
    row = conn.execute(sa.text("SELECT id, posted_at, description FROM transactions")).one()
    assert (row.id, row.posted_at, row.description) == (tx.id, T0, "Opening capital")
    assert row.posted_at.utcoffset() == timedelta(0)


def test_save_transaction_persists_all_entries(conn: Connection, cash_and_capital) -> None:
    cash, capital = cash_and_capital
    tx = transfer(cash, capital, "123.45")
    save_transaction(conn, tx)
    rows = conn.execute(
        sa.text(
            "SELECT transaction_id, position, account_id, side, amount, currency_code, "
            "decimals FROM entries ORDER BY position"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        (tx.id, 0, cash.id, "Debit", Decimal("123.45"), "USD", 2),
        (tx.id, 1, capital.id, "Credit", Decimal("123.45"), "USD", 2),
    ]


def test_save_transaction_idempotent_on_duplicate_id(conn: Connection, cash_and_capital) -> None:
    tx = transfer(*cash_and_capital, "1.00")
    assert save_transaction(conn, tx) is True
    assert save_transaction(conn, tx) is False
    assert (count(conn, "transactions"), count(conn, "entries")) == (1, 2)


def test_save_transaction_other_content_under_same_id_is_refused(
    conn: Connection, cash_and_capital
) -> None:
    tx = transfer(*cash_and_capital, "1.00")
    save_transaction(conn, tx)
    with pytest.raises(IntegrityViolation, match="other content"):
        save_transaction(conn, replace(tx, description="rewritten"))


def test_save_transaction_atomic_on_entry_failure(engine: Engine) -> None:
    cash = account("Assets:Cash:USD")
    with engine.begin() as conn:
        save_accounts(conn, [cash])
    ghost = account("Equity:Ghost", AccountType.EQUITY)  # never saved: its FK fails
    good = transfer(cash, cash, "5.00")
    bad = transfer(cash, ghost, "5.00")
    with pytest.raises(IntegrityViolation, match="fk_entries_account_id"), engine.begin() as conn:
        save_transactions(conn, [good, bad])
    with engine.connect() as conn:
        assert (count(conn, "transactions"), count(conn, "entries")) == (0, 0)


def test_database_refuses_amount_beyond_currency_decimals(engine: Engine) -> None:
    cash = account("Assets:Cash:USD")
    capital = account("Equity:Capital:USD", AccountType.EQUITY)
    with engine.begin() as conn:
        save_accounts(conn, [cash, capital])
    tx = transfer(cash, capital, "1.005")  # 3 decimals in a 2-decimal currency
    with pytest.raises(IntegrityViolation, match="ck_entries_amount_scale"), engine.begin() as c:
        save_transaction(c, tx)
    with engine.connect() as conn:
        assert count(conn, "transactions") == 0


def test_driver_errors_leave_storage_as_ingot_errors(conn: Connection) -> None:
    conn.execute(sa.text("DROP TABLE entries"))
    with pytest.raises(StorageError, match="entries"):
        load_transactions(conn)


def test_load_transactions_empty_db_returns_empty(conn: Connection) -> None:
    assert load_transactions(conn) == []


def test_load_transactions_returns_all_saved(conn: Connection, cash_and_capital) -> None:
    txs = [transfer(*cash_and_capital, f"{n}.00", at=T0 + timedelta(seconds=n)) for n in (1, 2, 3)]
    save_transactions(conn, txs)
    assert load_transactions(conn) == txs


def test_load_transactions_entries_grouped_correctly(conn: Connection, cash_and_capital) -> None:
    cash, capital = cash_and_capital
    fees = account("Expenses:Fees:USD", AccountType.EXPENSE)
    save_accounts(conn, [fees])
    usd = currency("USD")
    three_legs = Transaction(
        uuid4(),
        T0,
        "three legs",
        (
            Entry(fees.id, EntrySide.DEBIT, Decimal("1.00"), usd),
            Entry(cash.id, EntrySide.DEBIT, Decimal("9.00"), usd),
            Entry(capital.id, EntrySide.CREDIT, Decimal("10.00"), usd),
        ),
    )
    two_legs = transfer(cash, capital, "2.00", at=T0)  # same posted_at
    save_transactions(conn, [three_legs, two_legs])
    loaded = {tx.id: tx for tx in load_transactions(conn)}
    assert loaded[three_legs.id].entries == three_legs.entries
    assert loaded[two_legs.id].entries == two_legs.entries


def test_load_transactions_ordered_by_posted_at(conn: Connection, cash_and_capital) -> None:
    late = transfer(*cash_and_capital, "1.00", at=T0 + timedelta(days=1))
    early = transfer(*cash_and_capital, "2.00", at=T0 - timedelta(days=1))
    tied_first = transfer(*cash_and_capital, "3.00", at=T0)
    tied_second = transfer(*cash_and_capital, "4.00", at=T0)
    save_transactions(conn, [late, tied_first, early, tied_second])
    assert [tx.id for tx in load_transactions(conn)] == [
        early.id,
        tied_first.id,
        tied_second.id,
        late.id,
    ]


def test_load_transactions_entry_fields_preserved(conn: Connection) -> None:
    eth = currency("ETH")
    held = account("Assets:Holdings:ETH", ccy=eth)
    trading = account("Equity:Trading:ETH", AccountType.EQUITY, eth)
    save_accounts(conn, [held, trading])
    at = datetime(2026, 3, 1, 9, 15, 30, 123456, tzinfo=UTC)
    tx = transfer(held, trading, "98765432109876543210.123456789012345678", at=at)
    save_transaction(conn, tx)
    (loaded,) = load_transactions(conn)
    assert loaded == tx
    assert loaded.posted_at.utcoffset() == timedelta(0)
    assert loaded.posted_at == at
    assert str(loaded.entries[0].amount) == "98765432109876543210.123456789012345678"


decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.integers(0, 1),
    st.lists(st.integers(0, 9), min_size=1, max_size=120),
    st.integers(-60, 80),
)


@given(value=decimals)
@example(value=Decimal("-0.000000000000000000000000000000000001"))
@example(value=Decimal("-98765432109876543210987654321098765432109876543210.5"))
@example(value=Decimal("1E+150"))
def test_proptest_decimal_round_trip(engine: Engine, value: Decimal) -> None:
    # Negative, high-precision and very large values through a NUMERIC column and back.
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(sa.text("CREATE TEMP TABLE probe (v NUMERIC NOT NULL) ON COMMIT DROP"))
        conn.execute(sa.text("INSERT INTO probe VALUES (:v)"), {"v": value})
        loaded = conn.execute(sa.text("SELECT v FROM probe")).scalar_one()
        tx.rollback()
    assert isinstance(loaded, Decimal)
    assert loaded == value
    assert loaded.as_tuple().exponent == min(value.as_tuple().exponent, 0)


amounts = st.decimals(min_value=Decimal("1E-18"), max_value=Decimal("1E+30"), places=18).filter(
    lambda d: d > 0
)


@given(amount=amounts)
def test_proptest_entry_amount_round_trip(engine: Engine, amount: Decimal) -> None:
    eth = currency("ETH")
    held, trading = account("A", ccy=eth), account("E", AccountType.EQUITY, eth)
    tx = transfer(held, trading, str(amount))
    with engine.connect() as conn, conn.begin() as db_tx:
        save_accounts(conn, [held, trading])
        save_transaction(conn, tx)
        (loaded,) = load_transactions(conn)
        db_tx.rollback()
    assert loaded.entries[0].amount == amount
    assert str(loaded.entries[0].amount) == str(amount)
