"""Rebuilding the ledger from PostgreSQL (seed 000, Task 2.3.1)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import Ledger, bootstrap_ledger
from ingot_storage import CorruptLedger, persist_ledger, recover_ledger, save_account
from tests.builders import T0, USD, account, trading_ledger, transfer

MARKS = {"BTC": Decimal("64123.45"), "ETH": Decimal("3100.5")}


def snapshot(ledger: Ledger) -> list[tuple[str, Decimal]]:
    return [(b.account.name, b.amount) for b in ledger.balances()]


def test_recover_ledger_empty_db_signals_fresh(conn: Connection) -> None:
    assert recover_ledger(conn) is None


def test_recover_ledger_single_account_no_transactions(conn: Connection) -> None:
    cash = account()
    save_account(conn, cash)
    recovered = recover_ledger(conn)
    assert recovered is not None
    assert recovered.accounts == (cash,)
    assert recovered.transaction_count == 0
    assert recovered.balance(cash.id) == 0


def test_recover_ledger_full_round_trip(conn: Connection) -> None:
    original = trading_ledger()
    persist_ledger(conn, original)
    recovered = recover_ledger(conn)
    assert recovered is not None
    assert recovered.accounts == original.accounts
    assert recovered.transactions == original.transactions
    assert snapshot(recovered) == snapshot(original)


def test_recover_ledger_nav_matches_original(conn: Connection) -> None:
    original = trading_ledger()  # bootstrap_ledger + post_order_fill, BTC and ETH
    nav_before = original.nav(USD, MARKS)
    persist_ledger(conn, original)
    recovered = recover_ledger(conn)
    assert recovered is not None
    nav_after = recovered.nav(USD, MARKS)
    assert nav_after == nav_before
    assert str(nav_after) == str(nav_before)  # same digits, not merely equal value


def test_recover_ledger_multiple_transactions_replayed_in_order(conn: Connection) -> None:
    ledger = bootstrap_ledger(USD, Decimal("0"), T0)
    cash = ledger.account_named("Assets:Cash:USD")
    capital = ledger.account_named("Equity:Capital:USD")
    for n in range(5):
        ledger.post(transfer(cash, capital, f"{n + 1}.00", at=T0 + timedelta(hours=5 - n)))
    persist_ledger(conn, ledger)
    recovered = recover_ledger(conn)
    assert recovered is not None
    assert [tx.posted_at for tx in recovered.transactions] == sorted(
        tx.posted_at for tx in ledger.transactions
    )
    assert recovered.balance(cash.id) == Decimal("15.00")


def test_recover_ledger_refuses_a_stored_unbalanced_transaction(conn: Connection) -> None:
    ledger = trading_ledger()
    persist_ledger(conn, ledger)
    cash = ledger.account_named("Assets:Cash:USD")
    # Someone edits an entry behind Ingot's back: recovery must say so, not repair it.
    conn.execute(
        sa.text("UPDATE entries SET amount = amount + 1 WHERE account_id = :id AND position = 0"),
        {"id": cash.id},
    )
    with pytest.raises(CorruptLedger, match="does not balance"):
        recover_ledger(conn)


def test_recover_ledger_refuses_a_stored_entry_on_a_missing_currency(conn: Connection) -> None:
    ledger = trading_ledger()
    persist_ledger(conn, ledger)
    conn.execute(sa.text("UPDATE entries SET currency_code = 'EUR' WHERE position = 0"))
    with pytest.raises(CorruptLedger, match="does not match account"):
        recover_ledger(conn)


def test_persist_ledger_twice_is_idempotent(conn: Connection) -> None:
    ledger = trading_ledger()
    persist_ledger(conn, ledger)
    persist_ledger(conn, ledger)
    recovered = recover_ledger(conn)
    assert recovered is not None
    assert recovered.transaction_count == ledger.transaction_count
    assert snapshot(recovered) == snapshot(ledger)


def test_connection_still_writes_after_recovery_streamed_on_it(conn: Connection) -> None:
    ledger = trading_ledger()
    persist_ledger(conn, ledger)
    recovered = recover_ledger(conn)
    assert recovered is not None
    cash = recovered.account_named("Assets:Cash:USD")
    capital = recovered.account_named("Equity:Capital:USD")
    extra = recovered.post(transfer(cash, capital, "1.00", at=T0 + timedelta(days=9)))
    persist_ledger(conn, recovered)  # a second batch on the same connection
    again = recover_ledger(conn)
    assert again is not None
    assert again.transactions[-1] == extra
