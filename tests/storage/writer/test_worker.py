"""The storage worker (seed 000, Task 2.4.2) and order history (Tasks 2.6.2-2.6.3, 2.9.3)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import EquitySnapshot, RiskCaps, TickReceived, TradingEngine, TradingMode
from ingot_core.execution import OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_storage import persist_ledger, recover_ledger
from ingot_storage.audit.verify import verify_audit_chain
from ingot_storage.trading.export import export_orders_csv, export_orders_json
from ingot_storage.trading.orders import load_trading_state, query_orders
from ingot_storage.writer.batch import prepare_events, write_events
from ingot_storage.writer.worker import FlushOutcome, StorageWorker
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")
ETH = Symbol("ETH", "USD")
BIG = RiskCaps(Decimal(10**9), Decimal(10**9), 100)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def order(n: int, side: OrderSide = OrderSide.BUY, limit: str | None = None,
          symbol: Symbol = BTC, qty: str = "0.01") -> OrderRequest:  # fmt: skip
    kind = OrderType.LIMIT if limit else OrderType.MARKET
    return OrderRequest(f"o{n}", symbol, side, kind, Decimal(qty),
                        Decimal(limit) if limit else None)  # fmt: skip


def test_storage_task_processes_account_created(trading, engine: Engine) -> None:
    eng, worker = trading
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.place_order(order(1), T0)
    assert worker.flush() is FlushOutcome.COMMITTED
    with engine.connect() as conn:
        names = set(conn.execute(sa.text("SELECT name FROM accounts")).scalars())
    assert {"Assets:Holdings:BTC", "Equity:Trading:BTC"} <= names


def test_storage_task_processes_transaction_posted(trading, engine: Engine) -> None:
    eng, worker = trading
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.place_order(order(1), T0)
    worker.flush()
    with engine.connect() as conn:
        recovered = recover_ledger(conn)
    assert recovered is not None
    assert recovered.transactions == eng.ledger.transactions


def test_storage_task_flushes_on_batch_size(engine: Engine, tmp_path: Path) -> None:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    worker = StorageWorker(engine, tmp_path / "s.jsonl", batch_size=5,
                           flush_interval_ms=60_000).start()  # fmt: skip
    try:
        eng = TradingEngine(ledger, USD, sink=worker, caps=BIG)
        eng.on_tick(Ticker(BTC, Decimal("100"), T0))
        for n in range(3):  # 3 fills are well over 5 events
            eng.place_order(order(n), T0)
        deadline = time.monotonic() + 10
        while count(engine, "order_history") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(engine, "order_history") >= 1  # written long before the 60 s timer
    finally:
        worker.close()


def test_storage_task_flushes_on_timer(trading, engine: Engine) -> None:
    eng, _ = trading
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))
    eng.place_order(order(1), T0)  # far fewer than 50 events
    deadline = time.monotonic() + 10
    while count(engine, "order_history") == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert count(engine, "order_history") == 1


def test_storage_task_flushes_on_channel_close(engine: Engine, tmp_path: Path) -> None:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    worker = StorageWorker(engine, tmp_path / "s.jsonl", batch_size=10_000,
                           flush_interval_ms=60_000).start()  # fmt: skip
    eng = TradingEngine(ledger, USD, sink=worker, caps=BIG)
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))
    for n in range(20):
        eng.place_order(order(n), T0)
    worker.close()
    assert count(engine, "order_history") == 20


def test_storage_task_flush_command_drains_buffer(trading, engine: Engine) -> None:
    eng, worker = trading
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))
    for n in range(7):
        eng.place_order(order(n), T0)
    assert worker.flush() is FlushOutcome.COMMITTED
    assert count(engine, "order_history") == 7
    metrics = worker.metrics()
    assert metrics.batches >= 1
    # 1 tick, 2 new accounts, 7 x (transaction, order, position), 1 throttled equity snapshot
    assert metrics.rows == 25
    assert metrics.audit_entries == 24  # everything but the tick
    assert metrics.queue_depth == 0


def test_every_persisted_event_is_audited_and_the_chain_verifies(trading, engine: Engine) -> None:
    eng, worker = trading
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))
    eng.place_order(order(1), T0)
    eng.place_order(order(2, limit="90"), T0)
    eng.place_order(order(3, OrderSide.SELL, qty="5"), T0)  # rejected: nothing held
    eng.cancel("o2", T0)
    worker.flush()
    with engine.connect() as conn:
        kinds = list(
            conn.execute(sa.text("SELECT event_type FROM audit_log ORDER BY seq")).scalars()
        )
        report = verify_audit_chain(conn)
    for kind in ("order_filled", "order_open", "order_rejected", "order_cancelled",
                 "position_snapshot", "equity_snapshot"):  # fmt: skip
        assert kind in kinds
    assert report.failure is None


def collecting_engine(engine: Engine) -> tuple[TradingEngine, list]:
    """An engine on a persisted book whose events are collected, not written; one fill made."""
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    events: list = []

    class Collect:
        def emit(self, unit) -> None:
            events.extend(unit)

    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    eng = TradingEngine(ledger, USD, sink=Collect(), caps=BIG)
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))
    eng.place_order(order(1), T0)
    return eng, events


def test_replayed_batch_never_duplicates(engine: Engine) -> None:
    eng, events = collecting_engine(engine)
    eng.place_order(order(2, limit="50"), T0)
    tables = ("order_history", "transactions", "entries", "accounts", "position_snapshots",
              "equity_snapshots", "ticks", "audit_log")  # fmt: skip
    with engine.begin() as conn:
        write_events(conn, events)
    first = {t: count(engine, t) for t in tables}
    with engine.begin() as conn:
        assert write_events(conn, events) == []  # nothing new, nothing audited again
    assert {t: count(engine, t) for t in tables} == first


def test_a_partly_stored_batch_writes_and_audits_only_its_new_part(engine: Engine) -> None:
    eng, events = collecting_engine(engine)
    first = list(events)
    eng.place_order(order(2), T0 + timedelta(seconds=1))
    with engine.begin() as conn:
        write_events(conn, first)
    audited = count(engine, "audit_log")
    with engine.begin() as conn:
        again = write_events(conn, events)  # the first order's events again, then the second's
    assert [e.event_type for e in again] == [
        "transaction_posted", "order_filled", "position_snapshot"
    ]  # fmt: skip
    assert again[0].entity_id == events[-3].transaction.id
    assert count(engine, "order_history") == 2
    assert count(engine, "transactions") == 3  # the opening capital and two fills
    assert count(engine, "audit_log") == audited + 3
    with engine.connect() as conn:
        assert verify_audit_chain(conn).failure is None


def test_ticks_drop_oldest_with_a_counter(engine: Engine, tmp_path: Path) -> None:
    worker = StorageWorker(engine, tmp_path / "s.jsonl", tick_capacity=5)  # not started
    for n in range(12):
        worker.emit([TickReceived(Ticker(BTC, Decimal(100 + n), T0 + timedelta(seconds=n)))])
    assert worker.metrics().dropped_ticks == 7
    kept = [e.ticker.price for e in worker._ticks.take()]
    assert kept == [Decimal(p) for p in range(107, 112)]


def test_a_batch_with_no_canonical_payload_is_spilled_and_the_worker_goes_on(
    engine: Engine, tmp_path: Path
) -> None:
    worker = StorageWorker(engine, tmp_path / "s.jsonl", batch_size=1).start()
    try:
        worker.emit([EquitySnapshot(Decimal("NaN"), "USD", T0)])  # NaN has no canonical form
        assert worker.flush(timeout=30) is FlushOutcome.REFUSED
        assert "not a finite number" in (worker.metrics().last_error or "")
        assert count(engine, "equity_snapshots") == 0  # rolled back with its audit entry
        worker.emit([EquitySnapshot(Decimal(1), "USD", T0 + timedelta(seconds=1))])
        assert worker.flush(timeout=30) is FlushOutcome.REFUSED  # behind the refused one
    finally:
        worker.close(timeout=30)
    assert worker.metrics().spilled_batches == 2


def test_the_next_batch_is_gathered_while_one_is_written(engine: Engine, tmp_path: Path) -> None:
    worker = StorageWorker(engine, tmp_path / "s.jsonl", batch_size=3)  # not started yet
    gathered = 0
    gather = worker._gather_next

    def counting() -> bool:
        nonlocal gathered
        took = gather()
        gathered += took
        return took

    worker._gather_next = counting  # type: ignore[method-assign]
    for n in range(30):
        worker.emit([EquitySnapshot(Decimal(n), "USD", T0 + timedelta(seconds=n))])
    # The last batch holds a payload with no canonical form, most likely prepared while the
    # one before it was written: refused in its own turn, and only it.
    worker.emit([EquitySnapshot(Decimal("NaN"), "USD", T0 + timedelta(hours=1))])
    worker.start()
    assert worker.flush(timeout=30) is FlushOutcome.REFUSED
    worker.close(timeout=30)
    assert gathered > 0  # prepared during the writes of the batches before
    with engine.connect() as conn:
        navs = conn.execute(sa.text("SELECT nav FROM equity_snapshots ORDER BY at")).scalars()
        assert list(navs) == [Decimal(n) for n in range(30)]  # every one, in order
        assert verify_audit_chain(conn).failure is None
    assert worker.metrics().spilled_batches == 1
    [refused] = worker.spill.batches()
    assert len(refused.events) == 1


def equity(n: int) -> list[EquitySnapshot]:
    """One unit: an equity snapshot of NAV `n`, `n` seconds after T0."""
    return [EquitySnapshot(Decimal(n), "USD", T0 + timedelta(seconds=n))]


REFUSED = [EquitySnapshot(Decimal("NaN"), "USD", T0 + timedelta(days=1))]  # no canonical form


def committed_navs(engine: Engine) -> list[Decimal]:
    with engine.connect() as conn:
        assert verify_audit_chain(conn).failure is None
        navs = conn.execute(sa.text("SELECT nav FROM equity_snapshots ORDER BY at")).scalars()
        return list(navs)


def batches_for_a_backlog(engine: Engine, tmp_path: Path, group_commit_max: int) -> int:
    """Commits taken by 60 one-event units queued before the worker starts (a burst)."""
    worker = StorageWorker(engine, tmp_path / "s.jsonl", batch_size=3, flush_interval_ms=60_000,
                           group_commit_max=group_commit_max)  # fmt: skip
    for n in range(60):
        worker.emit(equity(n))
    worker.start()
    assert worker.flush(timeout=30) is FlushOutcome.COMMITTED
    worker.close(timeout=30)
    assert committed_navs(engine) == [Decimal(n) for n in range(60)]
    return worker.metrics().batches


def test_what_arrives_during_a_commit_joins_the_next_batch(engine: Engine, tmp_path: Path) -> None:
    # The first batch takes STORAGE_BATCH_SIZE (3); the rest gathers while it commits.
    assert batches_for_a_backlog(engine, tmp_path, group_commit_max=1000) < 20


def test_group_commit_max_bounds_a_batch(engine: Engine, tmp_path: Path) -> None:
    assert batches_for_a_backlog(engine, tmp_path, group_commit_max=3) == 20  # 60 / 3


def test_queue_depth_counts_what_is_gathered_for_the_next_batch(
    engine: Engine, tmp_path: Path
) -> None:
    worker = StorageWorker(engine, tmp_path / "s.jsonl")
    for n in range(3):
        worker.emit(equity(n))
    assert worker._gather_next()  # not started: gathers as it would during a write
    assert worker.metrics().queue_depth == 3  # 2 in the queue, 1 gathered


def test_a_unit_with_no_canonical_payload_is_refused_alone(engine: Engine, tmp_path: Path) -> None:
    worker = StorageWorker(engine, tmp_path / "s.jsonl", batch_size=100, flush_interval_ms=60_000)
    for unit in [*map(equity, range(5)), REFUSED, *map(equity, range(5, 8))]:
        worker.emit(unit)
    worker.start()
    assert worker.flush(timeout=30) is FlushOutcome.REFUSED
    worker.close(timeout=30)
    # The five before it were in its batch, and are committed; it is spilled alone, and the
    # ones after it wait behind it in the spill, in order.
    assert committed_navs(engine) == [Decimal(n) for n in range(5)]
    refused, behind = worker.spill.batches()
    assert list(map(repr, refused.events)) == list(map(repr, REFUSED))  # NaN != NaN
    assert behind.events == [e for n in range(5, 8) for e in equity(n)]


def test_a_refused_unit_leaves_a_prepared_batch_as_it_was() -> None:
    batch = prepare_events(equity(0))
    # The unit's first event is prepared before its second is refused: both go.
    assert batch.add([*equity(1), *REFUSED]) is False
    assert (len(batch), len(batch.equity.rows), len(batch.audit), batch.error) == (1, 1, 1, None)
    assert batch.add(equity(2)) is True
    assert len(batch.audit) == 2
    alone = prepare_events(REFUSED)  # a first unit is kept, and refused when written
    assert (len(alone), alone.error is not None) == (1, True)


def test_financial_events_block_rather_than_drop(engine: Engine, tmp_path: Path) -> None:
    worker = StorageWorker(engine, tmp_path / "s.jsonl", queue_capacity=2)  # not started yet
    done = threading.Event()

    def produce() -> None:
        for n in range(5):
            worker.emit([EquitySnapshot(Decimal(n), "USD", T0 + timedelta(seconds=n))])
        done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    assert not done.wait(0.3)  # blocked on the full queue, nothing dropped
    worker.start()
    assert done.wait(10)
    producer.join()
    worker.close()
    assert count(engine, "equity_snapshots") == 5


# -- order history (seed 000, Tasks 2.6.2-2.6.3) ----------------------------------------------


@pytest.fixture
def history(trading, engine: Engine) -> Engine:
    eng, worker = trading
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.on_tick(Ticker(ETH, Decimal("3000"), T0))
    eng.place_order(order(1), T0)  # market buy, filled
    eng.place_order(order(2, OrderSide.SELL, limit="70000", qty="0.005"), T0 + timedelta(minutes=1))
    eng.place_order(order(3, OrderSide.SELL, qty="1"), T0 + timedelta(minutes=2))  # rejected
    eng.place_order(order(4, symbol=ETH, qty="0.1"), T0 + timedelta(minutes=3))
    worker.flush()
    return engine


def test_save_order_market_buy(history: Engine) -> None:
    with history.connect() as conn:
        (row,) = [r for r in query_orders(conn) if r.client_id == "o1"]
    assert (row.side, row.order_type, row.status) == ("Buy", "Market", "Filled")
    assert row.fill_price == Decimal("60030.00")
    assert (row.fill_quantity, row.cost, row.fee) == (Decimal("0.01"), Decimal("600.30"),
                                                      Decimal("1.56"))  # fmt: skip
    assert row.filled_at == row.event_at


def test_save_order_limit_sell_with_price(history: Engine) -> None:
    with history.connect() as conn:
        (row,) = [r for r in query_orders(conn) if r.client_id == "o2"]
    assert (row.side, row.order_type, row.status, row.price) == (
        "Sell",
        "Limit",
        "Open",
        Decimal("70000"),
    )
    assert row.exchange_id is not None
    assert row.exchange_id.startswith("P-")


def test_save_order_rejected_status(history: Engine) -> None:
    with history.connect() as conn:
        (row,) = [r for r in query_orders(conn) if r.client_id == "o3"]
    assert row.status == "Rejected"
    assert row.reason is not None
    assert "insufficient BTC" in row.reason


def test_save_order_null_price_for_market(history: Engine) -> None:
    with history.connect() as conn:
        (row,) = [r for r in query_orders(conn) if r.client_id == "o1"]
    assert row.price is None


def test_query_orders_no_filters(history: Engine) -> None:
    with history.connect() as conn:
        assert [r.client_id for r in query_orders(conn)] == ["o4", "o3", "o2", "o1"]


def test_query_orders_filter_by_symbol(history: Engine) -> None:
    with history.connect() as conn:
        assert [r.client_id for r in query_orders(conn, symbol="ETH-USD")] == ["o4"]


def test_query_orders_filter_by_since_on_the_recorded_time(history: Engine, trading) -> None:
    eng, worker = trading
    with history.connect() as conn:
        recorded = query_orders(conn)[0].recorded_at
    time.sleep(0.002)
    # Market time before every other order's: still the newest in the book.
    eng.place_order(order(5, symbol=ETH, qty="0.1"), T0 - timedelta(days=400))
    worker.flush()
    with history.connect() as conn:
        since = recorded + timedelta(microseconds=1)
        assert [r.client_id for r in query_orders(conn, since=since)] == ["o5"]
        assert [r.client_id for r in query_orders(conn)] == ["o5", "o4", "o3", "o2", "o1"]
        assert [r.seq for r in query_orders(conn)] == sorted(
            (r.seq for r in query_orders(conn)), reverse=True
        )


def test_order_rows_carry_their_audit_entrys_seq_and_time(history: Engine) -> None:
    with history.connect() as conn:
        rows = query_orders(conn)
        audit = {
            seq: (kind, moment)
            for seq, kind, moment in conn.execute(
                sa.text('SELECT seq, event_type, "timestamp" FROM audit_log')
            )
        }
    for row in rows:
        assert audit[row.seq] == (f"order_{row.status.lower()}", row.recorded_at)


def test_query_orders_respects_limit(history: Engine) -> None:
    with history.connect() as conn:
        assert len(query_orders(conn, limit=2)) == 2


def test_query_orders_empty_db(conn) -> None:
    assert query_orders(conn) == []


def test_export_orders_csv_headers_and_rows(history: Engine) -> None:
    out = io.StringIO()
    with history.connect() as conn:
        assert export_orders_csv(conn, out) == 4
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:8] == ["timestamp", "symbol", "side", "order_type", "quantity", "price",
                           "status", "exchange_id"]  # fmt: skip
    assert rows[1][1:7] == ["BTC-USD", "Buy", "Market", "0.01", "", "Filled"]


def test_export_orders_json_null_price_for_market(history: Engine) -> None:
    out = io.StringIO()
    with history.connect() as conn:
        export_orders_json(conn, out)
    data = json.loads(out.getvalue())
    assert data[0]["price"] is None
    assert data[0]["cost"] == "600.30"


def test_trading_state_restores_open_orders_marks_positions(history: Engine) -> None:
    with history.connect() as conn:
        state = load_trading_state(conn)
    assert state.marks == {BTC: Decimal("60000"), ETH: Decimal("3000")}
    assert [o.request.client_id for o in state.open_orders] == ["o2"]
    assert state.open_orders[0].status is OrderStatus.OPEN
    assert {p.symbol: p.quantity for p in state.positions} == {BTC: Decimal("0.01"),
                                                                ETH: Decimal("0.1")}  # fmt: skip
    assert {o.request.client_id for o in state.orders} == {"o1", "o2", "o3", "o4"}


def test_shadow_orders_are_recorded_without_fills(engine: Engine, tmp_path: Path) -> None:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    worker = StorageWorker(engine, tmp_path / "s.jsonl").start()
    try:
        with engine.begin() as conn:
            persist_ledger(conn, ledger)
        eng = TradingEngine(ledger, USD, sink=worker, mode=TradingMode.SHADOW, caps=BIG)
        eng.on_tick(Ticker(BTC, Decimal("100"), T0))
        eng.place_order(order(1), T0)
        worker.flush()
    finally:
        worker.close()
    with engine.connect() as conn:
        (row,) = query_orders(conn)
    assert row.status == "Shadow"
    assert count(engine, "transactions") == 1  # the opening capital only


# -- the book's sequence ----------------------------------------------------------------------


def test_fills_replay_in_the_books_order_not_market_time(trading, engine: Engine) -> None:
    eng, worker = trading
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.place_order(order(1, qty="1"), T0)
    # A replay over old ticks: its sell carries a market time long before the buy.
    old = T0 - timedelta(days=400)
    eng.on_tick(Ticker(BTC, Decimal("50000"), old))
    eng.place_order(order(2, OrderSide.SELL, qty="0.5"), old)
    assert worker.flush() is FlushOutcome.COMMITTED
    with engine.connect() as conn:
        state = load_trading_state(conn)
    (position,) = state.positions
    assert position.quantity == Decimal("0.5")
    assert position.quantity == eng.positions[BTC].quantity
    assert position.realized_pnl == eng.positions[BTC].realized_pnl


def test_a_replayed_batch_numbers_only_its_new_orders(engine: Engine) -> None:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    sink: list[list] = []

    class Sink:
        def emit(self, events) -> None:
            sink.append(list(events))

    eng = TradingEngine(ledger, USD, sink=Sink(), caps=BIG)
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.place_order(order(1), T0)
    first = [e for unit in sink for e in unit]
    with engine.begin() as conn:
        write_events(conn, first)
    eng.place_order(order(2, limit="59000"), T0)
    both = [e for unit in sink for e in unit]
    with engine.begin() as conn:
        write_events(conn, both)  # the staged path: o1's rows are stored already
        rows = {r.client_id: r for r in query_orders(conn)}
        audit = dict(conn.execute(sa.text("SELECT seq, event_type FROM audit_log")).all())
    assert audit[rows["o2"].seq] == "order_open"
    assert audit[rows["o1"].seq] == "order_filled"
    assert rows["o2"].seq > rows["o1"].seq
    with engine.connect() as conn:
        assert verify_audit_chain(conn).valid


# -- fencing ----------------------------------------------------------------------------------


def test_a_fenced_worker_writes_spills_and_retries_nothing(engine: Engine, tmp_path: Path) -> None:
    from ingot_storage.errors import BookTaken
    from ingot_storage.writer.fence import take_lease

    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
        mine = take_lease(conn, "me")
    worker = StorageWorker(engine, tmp_path / "spill.jsonl", epoch=mine).start()
    eng = TradingEngine(ledger, USD, sink=worker, caps=BIG)
    try:
        eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
        eng.place_order(order(1), T0)
        assert worker.flush() is FlushOutcome.COMMITTED
        with engine.begin() as conn:
            take_lease(conn, "ingot pid 4242")
        eng.place_order(order(2), T0)
        eng.place_order(order(3), T0)
        assert worker.flush() is FlushOutcome.FENCED
        taken = worker.fenced_error()
        assert isinstance(taken, BookTaken)
        assert "lost the book to ingot pid 4242" in str(taken)
        assert "(orders o2, o3)" in str(taken)
        eng.place_order(order(4), T0)
        assert worker.flush() is FlushOutcome.FENCED
    finally:
        worker.close()
    assert not worker.spill.path.exists() or worker.spill.size() == 0
    with engine.connect() as conn:
        assert [r.client_id for r in query_orders(conn)] == ["o1"]
        assert verify_audit_chain(conn).valid


def test_a_spilled_batch_of_a_writer_that_lost_the_book_is_set_aside(
    engine: Engine, tmp_path: Path
) -> None:
    from ingot_storage.writer.drain import drain_spill
    from ingot_storage.writer.fence import take_lease
    from ingot_storage.writer.spill import SpillFile

    with engine.begin() as conn:
        old = take_lease(conn, "old")
        take_lease(conn, "new")
    spill = SpillFile(tmp_path / "spill.jsonl")
    spill.append([EquitySnapshot(Decimal(1), "USD", T0)], old)
    spill.append([EquitySnapshot(Decimal(2), "USD", T0 + timedelta(seconds=1))], old + 1)
    result = drain_spill(engine, spill.path)
    assert (result.written, result.set_aside) == (1, 1)
    assert spill.size() == 0
    assert count(engine, "equity_snapshots") == 1
    note, kept = spill.set_aside_path.read_text().splitlines()
    assert "lost the book to new" in json.loads(note)["reason"]
    assert json.loads(kept)["epoch"] == old
