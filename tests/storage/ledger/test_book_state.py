"""Opening a book from its newest snapshot and the tail equals replaying it from zero."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import RiskCaps, TradingEngine
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_storage import persist_ledger, recover_ledger
from ingot_storage.errors import CorruptLedger
from ingot_storage.ledger.book_state import load_book_state, take_book_snapshot
from ingot_storage.ledger.check import check_book
from ingot_storage.trading.orders import load_trading_state
from ingot_storage.writer.worker import StorageWorker
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")
BIG = RiskCaps(Decimal(10**12), Decimal(10**12), 10_000)


def trade(engine: Engine, tmp_path: Path, rounds: int, start: int = 0) -> None:
    with engine.connect() as conn:
        stored = recover_ledger(conn)
    ledger = stored or bootstrap_ledger(USD, Decimal("1000000.00"), T0)
    if stored is None:
        with engine.begin() as conn:
            persist_ledger(conn, ledger)
    worker = StorageWorker(engine, tmp_path / f"spill-{start}.jsonl").start()
    eng = TradingEngine(ledger, USD, sink=worker, caps=BIG)
    if stored is not None:
        with engine.connect() as conn:
            eng.restore(positions=load_trading_state(conn).positions)
    for n in range(start, start + rounds):
        eng.on_tick(Ticker(BTC, Decimal(60000 + 7 * n), T0))
        side = OrderSide.BUY if n % 3 else OrderSide.SELL
        qty = Decimal("0.013") if side is OrderSide.BUY else Decimal("0.005")
        eng.place_order(OrderRequest(f"o{n}", BTC, side, OrderType.MARKET, qty), T0)
    worker.close()


def replayed(engine: Engine) -> tuple[dict, dict]:
    with engine.connect() as conn:
        ledger = recover_ledger(conn)
        positions = {p.symbol: p for p in load_trading_state(conn).positions}
    assert ledger is not None
    nets = {b.account.id: b.amount if b.account.type.normal_side.value == "Debit" else -b.amount
            for b in ledger.balances()}  # fmt: skip
    return nets, positions


def test_a_snapshot_and_its_tail_give_exactly_the_full_replay(engine: Engine, tmp_path) -> None:
    trade(engine, tmp_path, 20)
    with engine.begin() as conn:
        first = take_book_snapshot(conn)
        assert first > 0
        assert take_book_snapshot(conn) == 0  # nothing new since
    trade(engine, tmp_path, 17, start=20)  # the tail
    nets, positions = replayed(engine)
    with engine.connect() as conn:
        state = load_book_state(conn)
    assert state.snapshot_seq == first
    assert {k: v for k, v in state.net_debits.items() if v} == {k: v for k, v in nets.items() if v}
    assert state.positions == positions
    with engine.begin() as conn:
        assert take_book_snapshot(conn) > first
        assert check_book(conn, "main").problems == []


def test_a_snapshot_edited_by_hand_is_refused(engine: Engine, tmp_path) -> None:
    trade(engine, tmp_path, 5)
    with engine.begin() as conn:
        take_book_snapshot(conn)
        conn.exec_driver_sql(
            "UPDATE book_snapshots SET state_text = "
            "replace(state_text, '\"transactions\":', '\"transactions\":9')"
        )
    with engine.connect() as conn, pytest.raises(CorruptLedger, match="does not match its audit"):
        load_book_state(conn)


def test_check_names_an_entry_edited_by_hand(engine: Engine, tmp_path) -> None:
    trade(engine, tmp_path, 6)
    with engine.begin() as conn:
        take_book_snapshot(conn)
        conn.execute(sa.text("UPDATE entries SET amount = amount + 1 WHERE id = "
                             "(SELECT max(id) FROM entries)"))  # fmt: skip
    with engine.begin() as conn:
        problems = check_book(conn, "main").problems
    assert problems[0].startswith("replay: stored transaction ")
    assert "does not balance" in problems[0]
    assert any("snapshot at seq" in p for p in problems)


def test_check_names_a_fill_edited_by_hand_against_every_snapshot(engine: Engine, tmp_path) -> None:
    trade(engine, tmp_path, 6)
    with engine.begin() as conn:
        take_book_snapshot(conn)
    trade(engine, tmp_path, 4, start=6)
    with engine.begin() as conn:
        take_book_snapshot(conn)
        conn.exec_driver_sql(
            "UPDATE order_history SET fill_quantity = fill_quantity * 2 WHERE seq = "
            "(SELECT min(seq) FROM order_history WHERE status = 'Filled')"
        )
    with engine.begin() as conn:
        problems = check_book(conn, "main").problems
    snapshots = [p for p in problems if p.startswith("snapshot at seq") and "BTC-USD" in p]
    assert len(snapshots) == 2  # both snapshots disagree with the edited fill
    assert any(p.startswith("the book as opened: position BTC-USD") for p in problems)
