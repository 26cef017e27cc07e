"""Aggregated market-data queries (seed 001), against an independent computation: coarser bars
built from stored finer ones (`bars --from`), and per-bucket tick statistics (`ticks --bucket`),
digit for digit."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path

from sqlalchemy.engine import URL

from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.symbols import Symbol
from ingot_storage.db.database import create_db_engine
from ingot_storage.market.stage import save_bars

BTC = Symbol("BTC", "USD")
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _minute_bars(count: int, missing: set[int]) -> list[OhlcvBar]:
    rng, price, bars = random.Random(7), Decimal("60000.00"), []
    for n in range(count):
        step = Decimal(rng.randint(-500, 500)) / 100
        open_, close = price, price + step
        high = max(open_, close) + Decimal(rng.randint(0, 300)) / 100
        low = min(open_, close) - Decimal(rng.randint(0, 300)) / 100
        price = close
        if n in missing:
            continue
        volume = Decimal(rng.randint(1, 10**6)) / 10**5
        bars.append(OhlcvBar(BTC, BarInterval.M1, T0 + timedelta(minutes=n), open_, high, low,
                             close, volume, rng.randint(1, 90)))  # fmt: skip
    return bars


def test_hourly_bars_from_minute_bars_equal_an_independent_fold(invoke, database_url: URL) -> None:  # type: ignore[no-untyped-def]
    finer = _minute_bars(300, missing={5, 61, 62, 250})
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            save_bars(conn, finer, "test")
    finally:
        engine.dispose()
    done = invoke("bars", "BTC-USD", "1h", "--from", "1m", "--json", "--limit", "100")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    expected = []
    for hour in range(5):
        inside = [b for b in finer if T0 + timedelta(hours=hour) <= b.timestamp
                  < T0 + timedelta(hours=hour + 1)]  # fmt: skip
        expected.append({
            "timestamp": (T0 + timedelta(hours=hour)).isoformat(),
            "open": str(inside[0].open), "high": str(max(b.high for b in inside)),
            "low": str(min(b.low for b in inside)), "close": str(inside[-1].close),
            "volume": str(sum(b.volume for b in inside)),
            "trades": sum(b.trade_count for b in inside),
            "parts": len(inside), "expected": 60, "complete": len(inside) == 60,
        })  # fmt: skip
    got = [{k: row[k] for k in expected[0]} for row in shown]
    assert got == expected
    assert [row["complete"] for row in shown] == [False, False, True, True, False]
    table = invoke("bars", "BTC-USD", "1h", "--from", "1m", "--no-chart")
    assert "3 bars incomplete" in table.stdout
    refused = invoke("bars", "BTC-USD", "1m", "--from", "1h")
    assert refused.exit_code == 11
    assert refused.stderr.startswith("error: --from")


def _exact(total: Decimal, count: Decimal) -> str:
    with localcontext() as context:
        context.prec = 80
        return str((total / count).quantize(Decimal("1e-18"), ROUND_HALF_EVEN))


def _discrete(prices: list[Decimal], fraction: Decimal) -> Decimal:
    ordered = sorted(prices)  # percentile_disc: the first value whose position reaches it
    for n, price in enumerate(ordered, 1):
        if Decimal(n) / len(ordered) >= fraction:
            return price
    return ordered[-1]


def test_tick_buckets_equal_an_independent_computation(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    rows = []
    for _ in range(700):
        at = T0 + timedelta(seconds=rng.randint(0, 1799), microseconds=rng.randint(0, 999_999))
        rows.append({"symbol": "BTC-USD", "ts": at.isoformat(),
                     "price": str(Decimal(rng.randint(5_999_000, 6_001_000)) / 100),
                     "volume": str(Decimal(rng.randint(1, 10**7)) / 10**8)})  # fmt: skip
    path = tmp_path / "ticks.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert invoke("ingest", "ticks", str(path)).exit_code == 0
    done = invoke("ticks", "BTC-USD", "--bucket", "5m", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert len(shown) == 6, [(b["opens"], b["count"]) for b in shown]
    ordered = sorted(rows, key=lambda r: r["ts"])
    for b, bucket in enumerate(shown):
        start = T0 + timedelta(minutes=5 * b)
        end = start + timedelta(minutes=5)
        inside = [r for r in ordered if start <= datetime.fromisoformat(r["ts"]) < end]
        prices = [Decimal(r["price"]) for r in inside]
        volumes = [Decimal(r["volume"]) for r in inside]
        notional = sum(p * v for p, v in zip(prices, volumes, strict=True))
        want = {
            "opens": start.isoformat(), "count": len(inside), "first": str(prices[0]),
            "last": str(prices[-1]), "min": str(min(prices)), "max": str(max(prices)),
            "mean": _exact(sum(prices), Decimal(len(prices))),
            "vwap": _exact(notional, sum(volumes)), "volume": str(sum(volumes)),
            "p50": str(_discrete(prices, Decimal("0.5"))),
            "p95": str(_discrete(prices, Decimal("0.95"))),
            "p99": str(_discrete(prices, Decimal("0.99"))),
        }  # fmt: skip
        assert {k: bucket[k] for k in want} == want, b
    listed = json.loads(invoke("ticks", "BTC-USD", "--limit", "3", "--json").stdout)
    assert [t["price"] for t in listed] == [r["price"] for r in ordered[-3:]]
