"""The paper exchange's wire in the trade log: seed 002's sequence and typed columns for each
kind of order, and each row's raw text byte-identical to the message the exchange produced."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import TradingEngine
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_core.tradelog.events import TradeLogEvent
from ingot_core.tradelog.paper import PaperWire
from ingot_storage.tradelog.writer import TradeLogWriter
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")


def _request(cid: str, side: OrderSide, qty: str, limit: str | None = None) -> OrderRequest:
    kind = OrderType.LIMIT if limit else OrderType.MARKET
    return OrderRequest(cid, BTC, side, kind, Decimal(qty), Decimal(limit) if limit else None)


def test_every_message_is_logged_in_order_with_its_columns_and_exact_text(
    engine: Engine, tmp_path: Path
) -> None:
    produced: list[TradeLogEvent] = []
    writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", flush_ms=1)

    def log(event: TradeLogEvent) -> None:
        produced.append(event)
        writer.emit(event)

    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    eng = TradingEngine(ledger, USD, wire=PaperWire(log, "main"))
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.place_order(_request("m1", OrderSide.BUY, "0.01"), T0)  # fills at once
    eng.place_order(_request("r1", OrderSide.BUY, "0.01", "59000"), T0)  # rests
    eng.cancel("r1", T0 + timedelta(seconds=1))
    eng.place_order(_request("l1", OrderSide.BUY, "0.01", "59500"), T0)  # rests, then fills
    eng.on_tick(Ticker(BTC, Decimal("59400"), T0 + timedelta(seconds=2)))
    eng.place_order(_request("x1", OrderSide.SELL, "5"), T0)  # refused: not held
    writer.close()
    with engine.connect() as conn:
        rows = list(conn.execute(sa.text("SELECT * FROM tradelog ORDER BY id")))
    assert [r.raw for r in rows] == [e.raw for e in produced]
    assert [(r.event_type, r.cl_ord_id) for r in rows] == [
        (10, "m1"), (20, "m1"), (30, "m1"), (31, "m1"),
        (10, "r1"), (20, "r1"), (31, "r1"),
        (11, "r1"), (20, "r1"), (31, "r1"),
        (10, "l1"), (20, "l1"), (31, "l1"), (30, "l1"), (31, "l1"),
        (10, "x1"), (20, "x1"), (31, "x1"),
    ]  # fmt: skip
    new, answer, execution, filled = rows[:4]
    assert (new.side, new.ord_qty, new.ord_px, new.native_ord_id) == (1, Decimal("0.01"), None,
                                                                      None)  # fmt: skip
    assert new.req_id == answer.req_id
    assert new.market_id == answer.market_id is not None
    assert json.loads(new.raw)["path"] == "/0/private/AddOrder"
    assert answer.response_status == 0
    assert json.loads(answer.raw)["result"]["txid"] == [answer.native_ord_id]
    # The answer carries the execution, so it has the execution's columns too (seed 002).
    assert (answer.last_px, answer.last_qty, answer.fee) == (
        execution.last_px, execution.last_qty, execution.fee)  # fmt: skip
    assert execution.last_px == Decimal("60030.00")
    assert execution.is_taker is True
    data = json.loads(execution.raw, parse_float=Decimal)
    assert data["channel"] == "executions"
    assert data["data"][0]["exec_type"] == "trade"
    assert data["data"][0]["last_price"] == execution.last_px
    assert (filled.ord_status, filled.exec_type, filled.leaves_qty) == (2, 2, 0)
    assert rows[6].ord_status == 0
    assert rows[6].leaves_qty == Decimal("0.01")
    cancel = rows[7]
    assert cancel.native_ord_id == rows[5].native_ord_id
    assert cancel.req_id == rows[8].req_id
    assert rows[9].ord_status == 3  # canceled
    maker = rows[13]
    assert (maker.last_px, maker.is_taker, maker.ord_px) == (Decimal("59500"), False,
                                                             Decimal("59500"))  # fmt: skip
    refused = rows[16]
    assert refused.response_status == 1
    assert refused.error_code == "EOrder"
    assert "insufficient BTC" in refused.error_message
    assert json.loads(refused.raw)["error"][0].startswith("EOrder:insufficient BTC")
    assert rows[17].ord_status == 4  # rejected


def test_shadow_orders_never_reach_the_wire() -> None:
    from ingot_core.engine import TradingMode

    produced: list[TradeLogEvent] = []
    eng = TradingEngine(bootstrap_ledger(USD, Decimal("100"), T0), USD,
                        mode=TradingMode.SHADOW, wire=PaperWire(produced.append))  # fmt: skip
    eng.on_tick(Ticker(BTC, Decimal("60000"), T0))
    eng.place_order(_request("s1", OrderSide.BUY, "0.0001"), T0)
    assert produced == []
