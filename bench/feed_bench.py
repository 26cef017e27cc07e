#!/usr/bin/env python3
"""Ticks per second from Kraken's WebSocket API v2 through Ingot, against the bare parse rate
of the very same messages in the same run.

    .venv/bin/python bench/feed_bench.py [--trades 100000] [--batch 100] [--database-url URL]

1. Bare parse: the messages a loopback stand-in will send (trade updates of `--batch` trades
   each, JSON numbers), read by the feed's own reader (JSON with exact Decimals, bounded
   numbers, every field checked, deduplicated by trade id), no network, no engine.
2. Ingot: the stand-in (the real `websockets` server on 127.0.0.1) pushes those messages as
   fast as it can after the subscription; `KrakenFeed` reads them through the real client;
   each tick goes through the TradingEngine (mark, resting orders) with the StorageWorker
   attached (ticks stored, dropping the oldest if storage falls behind) and then an SMA(5,
   20) strategy. Timed from the first tick to the last. Tick-to-signal latency: the time from
   a tick leaving the reader to the strategy's answer, p50 and p99 over every tick.

PostgreSQL keeps its durable defaults (fsync, synchronous_commit on).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from decimal import Decimal
from itertools import islice

from bench_support import bench_database
from websockets.sync.server import serve

from ingot_core.accounting import bootstrap_ledger, currency
from ingot_core.engine import RiskCaps, TradingEngine
from ingot_core.instants import from_epoch
from ingot_core.strategies import create_strategy
from ingot_core.symbols import Symbol
from ingot_storage.sources.kraken_ws import KrakenFeed, replay_recording
from ingot_storage.writer.worker import StorageWorker

BTC = Symbol("BTC", "USD")
CAPS = RiskCaps(Decimal(10**15), Decimal(10**15), 10**9)


def messages(trades: int, batch: int) -> list[str]:
    """Trade updates as Kraken sends them: JSON numbers, RFC 3339 times, v2 symbol names."""
    out = []
    for first in range(1, trades + 1, batch):
        data = ",".join(
            f'{{"symbol":"BTC/USD","side":"buy","price":{60000 + n % 200}.{n % 10},'
            f'"qty":0.0{n % 9 + 1},"ord_type":"market","trade_id":{n},'
            f'"timestamp":"{from_epoch(1_704_067_200 + n // 1000):%Y-%m-%dT%H:%M:%S}.'
            f'{n % 1000:03d}000Z"}}'
            for n in range(first, min(first + batch, trades + 1))
        )
        out.append(f'{{"channel":"trade","type":"update","data":[{data}]}}')
    return out


def bare_parse(sent: list[str]) -> float:
    lines = [json.dumps({"at": "2024-01-01T00:00:00+00:00", "raw": m}) for m in sent]
    started = time.perf_counter()
    count = sum(1 for _ in replay_recording(iter(lines), [BTC]))
    return count / (time.perf_counter() - started)


def through_ingot(engine, sent: list[str], trades: int, spill) -> tuple[float, float, float, int]:  # type: ignore[no-untyped-def]
    def handle(ws) -> None:  # type: ignore[no-untyped-def]
        request = json.loads(ws.recv())
        ws.send(json.dumps({"method": "subscribe", "req_id": request["req_id"], "success": True,
                            "result": {"channel": "trade", "symbol": "BTC/USD"}}))  # fmt: skip
        for message in sent:
            ws.send(message)
        time.sleep(60)

    with serve(handle, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.socket.getsockname()[1]
        worker = StorageWorker(engine, spill).start()
        ledger = bootstrap_ledger(currency("USD"), Decimal("1000000.00"), from_epoch(0))
        trading = TradingEngine(ledger, currency("USD"), sink=worker, caps=CAPS)
        strategy = create_strategy("sma", short=5, long=20)
        latencies = []
        feed = KrakenFeed(f"ws://127.0.0.1:{port}", [BTC], idle_s=10, quotes=False)
        started = None
        clock = time.perf_counter
        for ticker in islice(feed.ticks(), trades):
            began = clock()
            started = started or began
            trading.on_tick(ticker)
            strategy.on_tick(ticker)
            latencies.append(clock() - began)
        elapsed = clock() - (started or clock())
        worker.close()
        dropped = worker.metrics().dropped_ticks
        server.shutdown()
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    return trades / elapsed, p50, p99, dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    sent = messages(args.trades, args.batch)
    with bench_database(args.database_url) as (engine, _url, workdir):
        bare = bare_parse(sent)
        rate, p50, p99, dropped = through_ingot(engine, sent, args.trades, workdir / "spill.jsonl")
    print(f"trades: {args.trades:,} in messages of {args.batch}")
    print(f"bare parse: {bare:,.0f} ticks/s")
    print(f"through the WebSocket client, engine (storage attached) and SMA: {rate:,.0f} ticks/s "
          f"({rate / bare:.0%} of the bare parse; target >= 20,000/s)")  # fmt: skip
    print(f"tick-to-signal latency: p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us "
          "(target p99 < 2 ms)")  # fmt: skip
    print(f"ticks dropped on their way to storage (oldest first, by design): {dropped:,}")


if __name__ == "__main__":
    main()
