"""The failure class that stops the process (README, "Failure classes"): a spill that cannot be
written (a full disk) stops the storage worker with one error line, no traceback, and every
flush after it answers REFUSED. (The other classes: test_durability's outage, queued and
drained in order; tests/cli/test_hostile_input's bad input and refused batches.)"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import RiskCaps, TradingEngine
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_storage.writer.metrics import FlushOutcome
from ingot_storage.writer.worker import StorageWorker
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")
CAPS = RiskCaps(Decimal(10**9), Decimal(10**9), 100)


def _engine(worker: StorageWorker) -> TradingEngine:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    engine = TradingEngine(ledger, USD, sink=worker, caps=CAPS)
    engine.on_tick(Ticker(BTC, Decimal(100), T0))
    engine.place_order(OrderRequest("f-1", BTC, OrderSide.BUY, OrderType.MARKET, Decimal(1)), T0)
    return engine


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_spill_that_cannot_be_written_stops_the_worker_with_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = sa.create_engine(URL.create("postgresql+psycopg", host="127.0.0.1", port=1,
                                       database="none", username="x"),
                            connect_args={"connect_timeout": 1})  # fmt: skip
    worker = StorageWorker(down, Path("/dev/full"), batch_size=5, flush_interval_ms=5).start()
    with caplog.at_level(logging.WARNING):
        _engine(worker)
        outcome = worker.flush(timeout=30)
        worker.close(10)
    assert outcome is FlushOutcome.REFUSED
    assert worker.crashed is not None
    assert "No space left on device" in worker.crashed
    stopped = [r for r in caplog.records if "the storage worker stops" in r.getMessage()]
    assert len(stopped) == 1
    assert stopped[0].exc_info is None  # a known failure: one line, no traceback
    down.dispose()
