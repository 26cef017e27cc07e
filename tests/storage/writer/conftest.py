"""Fixtures of the writer's tests: a fresh book with its storage worker running."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import RiskCaps, TradingEngine
from ingot_storage import persist_ledger
from ingot_storage.writer.worker import StorageWorker
from tests.builders import T0, USD

BIG = RiskCaps(Decimal(10**9), Decimal(10**9), 100)


@pytest.fixture
def trading(engine: Engine, tmp_path: Path) -> Iterator[tuple[TradingEngine, StorageWorker]]:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    worker = StorageWorker(engine, tmp_path / "spill.jsonl", batch_size=50,
                           flush_interval_ms=50).start()  # fmt: skip
    yield TradingEngine(ledger, USD, sink=worker, caps=BIG), worker
    worker.close()
