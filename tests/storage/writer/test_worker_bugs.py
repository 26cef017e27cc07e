"""A bug on the write path is an error the command reports, never a hang and never a loss."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import EquitySnapshot, OrderUpdated, RiskCaps, StorageEvent, TradingEngine
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_storage.errors import StorageError
from ingot_storage.writer import batch
from ingot_storage.writer.batch import PreparedBatch
from ingot_storage.writer.spill import SpillFile
from ingot_storage.writer.worker import FlushOutcome, StorageWorker
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")
BIG = RiskCaps(Decimal(10**9), Decimal(10**9), 100)


def _broken_mapper(order: object) -> dict[str, object]:
    raise RuntimeError("mapper bug")


def _orders_stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM order_history")).scalar_one())


class _Kept:
    """A storage sink that keeps what the engine emits."""

    def __init__(self) -> None:
        self.events: list[StorageEvent] = []

    def emit(self, events: Sequence[StorageEvent]) -> None:
        self.events.extend(events)


def test_a_mapper_bug_is_not_taken_for_a_refused_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = _Kept()
    trading = TradingEngine(bootstrap_ledger(USD, Decimal("100000.00"), T0), USD, sink=kept,
                            caps=BIG)  # fmt: skip
    trading.on_tick(Ticker(BTC, Decimal(60000), T0))
    trading.place_order(
        OrderRequest("o1", BTC, OrderSide.BUY, OrderType.MARKET, Decimal("0.01")), T0
    )
    prepared = PreparedBatch()
    assert prepared.add([EquitySnapshot(Decimal(1), "USD", T0)])
    monkeypatch.setattr(batch, "order_row", _broken_mapper)
    with pytest.raises(RuntimeError, match="mapper bug"):  # a bug, raised where it happens
        prepared.add([e for e in kept.events if isinstance(e, OrderUpdated)])
    assert prepared.error is None  # not kept as a refusal to raise later


def test_a_mapper_bug_answers_every_flush_and_keeps_the_events(
    trading: tuple[TradingEngine, StorageWorker], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, worker = trading
    book.on_tick(Ticker(BTC, Decimal(60000), T0))
    assert worker.flush(timeout=30) is FlushOutcome.COMMITTED
    monkeypatch.setattr(batch, "order_row", _broken_mapper)
    request = OrderRequest("bug-1", BTC, OrderSide.BUY, OrderType.MARKET, Decimal("0.01"))
    book.place_order(request, T0 + timedelta(seconds=1))
    assert worker.flush(timeout=30) is FlushOutcome.REFUSED  # answered, not waited on
    assert "RuntimeError: mapper bug" in (worker.crashed or "")
    # Later operations are not lost either, and their flush is answered too.
    request = OrderRequest("bug-2", BTC, OrderSide.BUY, OrderType.MARKET, Decimal("0.01"))
    book.place_order(request, T0 + timedelta(seconds=2))
    assert worker.flush(timeout=30) is FlushOutcome.REFUSED
    worker.close(timeout=30)
    assert _orders_stored(engine) == 0
    spilled = [e for b in SpillFile(worker.spill.path).batches() for e in b.events]
    client_ids = {getattr(getattr(e, "order", None), "request", None) for e in spilled}
    assert {r.client_id for r in client_ids if r is not None} == {"bug-1", "bug-2"}


def test_a_flush_never_waits_on_a_thread_that_is_gone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(self: StorageWorker) -> None:
        return None  # the thread ends without its stop, as a thread killed under it would

    monkeypatch.setattr(StorageWorker, "_serve", gone)
    worker = StorageWorker(engine, tmp_path / "s.jsonl").start()
    worker._thread.join(timeout=10)
    worker.emit([EquitySnapshot(Decimal(1), "USD", T0)])
    with pytest.raises(StorageError, match="storage worker has stopped"):  # not "within 30 s"
        worker.flush(timeout=30)
    worker.close(timeout=10)
