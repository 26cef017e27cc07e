"""Kraken's WebSocket API v2 through the real `websockets` client against a loopback stand-in:
acknowledgements, exact numbers, heartbeats, a malformed message, a dropped connection and a
silent one (reconnected), the gap backfilled from REST and deduplicated by trade id, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice

import httpx
import pytest

from ingot_core.feed import Quote
from ingot_core.symbols import Symbol
from ingot_storage.errors import SourceUnavailable
from ingot_storage.sources.kraken import KrakenClient, UnknownPair
from ingot_storage.sources.kraken_ws import KrakenFeed
from tests.storage.sources.kraken_ws_standin import HEARTBEAT, Script, kraken_ws, trade
from tests.storage.sources.kraken_ws_standin import ticker_message as ticker
from tests.storage.sources.kraken_ws_standin import trades_message as trades

BTC, ETH = Symbol("BTC", "USD"), Symbol("ETH", "USD")


def _rest(answers: list[dict]) -> KrakenClient:  # type: ignore[type-arg]
    pages = iter(answers)

    empty = {"error": [], "result": {"XXBTZUSD": [], "last": "0"}}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(pages, empty))

    return KrakenClient(httpx.Client(transport=httpx.MockTransport(answer)), min_interval=0,
                        sleep=lambda s: None)  # fmt: skip


def _feed(url: str, rest: KrakenClient | None = None, **kw) -> KrakenFeed:  # type: ignore[no-untyped-def]
    return KrakenFeed(url, [BTC, ETH], rest, idle_s=0.6, backoff_s=0.01, sleep=lambda s: None,
                      **kw)  # fmt: skip


def test_trades_arrive_exactly_and_a_drop_and_a_silence_are_healed_by_a_backfill() -> None:
    first = Script([trades(trade("BTC/USD", 1, "60000.123456789"), trade("ETH/USD", 7, "3000")),
                    HEARTBEAT, "this is not JSON", trades(trade("BTC/USD", 2, "-5")),
                    trades(trade("BTC/USD", 2, "60001"))])  # fmt: skip
    silent = Script([trades(trade("BTC/USD", 5, "60005"))], silent=True)  # acks, then nothing
    third = Script([trades(trade("BTC/USD", 6, "60006"), trade("ETH/USD", 8, "3001"))])
    # What REST gives after each reconnect (BTC, then ETH): ids 2..4, 2 and 5 already seen.
    backfills = [
        {"error": [], "result": {"XXBTZUSD": [["60002", "0.1", 1704067200.5, "b", "m", "", 2],
                                              ["60003", "0.1", 1704067201, "b", "m", "", 3],
                                              ["60004", "0.1", 1704067202, "s", "l", "", 4]],
                                 "last": "1"}},
        {"error": [], "result": {"XETHZUSD": [], "last": "1"}},
        {"error": [], "result": {"XXBTZUSD": [["60005", "0.1", 1704067203, "b", "m", "", 5]],
                                 "last": "1"}},
        {"error": [], "result": {"XETHZUSD": [], "last": "1"}},
    ]  # fmt: skip
    with kraken_ws([first, silent, third]) as (url, received):
        feed = _feed(url, _rest(backfills))
        got = list(islice(feed.ticks(), 8))
    assert [(str(t.symbol), t.seq, t.price) for t in got] == [
        ("BTC-USD", 1, Decimal("60000.123456789")), ("ETH-USD", 7, Decimal(3000)),
        ("BTC-USD", 2, Decimal(60001)),
        ("BTC-USD", 3, Decimal(60003)), ("BTC-USD", 4, Decimal(60004)),  # backfilled
        ("BTC-USD", 5, Decimal(60005)),
        ("BTC-USD", 6, Decimal(60006)), ("ETH-USD", 8, Decimal(3001)),
    ]  # fmt: skip
    ids = [(str(t.symbol), t.seq) for t in got]
    assert len(set(ids)) == len(ids)  # every trade once
    subscriptions = [r["params"] for r in received if r.get("method") == "subscribe"]
    assert len(subscriptions) == 6  # trade and ticker, resubscribed after each reconnect
    assert subscriptions[0] == {"channel": "trade", "symbol": ["BTC/USD", "ETH/USD"],
                                "snapshot": False}  # fmt: skip
    assert subscriptions[1] == {"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"],
                                "event_trigger": "bbo", "snapshot": True}  # fmt: skip
    assert any(r.get("method") == "ping" for r in received)  # the silence was probed first
    state = feed.state
    assert (state.reconnects, state.backfilled, state.heartbeats) == (2, 2, 1)
    assert state.skipped == 2  # the text that was no JSON and the negative price


def test_a_refused_symbol_is_named_and_ends_the_feed() -> None:
    with (
        kraken_ws([Script([], refuse="ETH/USD")]) as (url, _),
        pytest.raises(UnknownPair, match="ETH/USD"),
    ):
        next(_feed(url).ticks())


def test_an_unanswered_subscription_retries_then_gives_up() -> None:
    scripts = [Script([], acknowledge=False, silent=True) for _ in range(3)]
    with kraken_ws(scripts) as (url, received), pytest.raises(SourceUnavailable,
                                                            match="3 times in a row"):  # fmt: skip
        next(_feed(url, retries=2).ticks())
    assert len([r for r in received if r.get("method") == "subscribe"]) == 6


def test_quotes_between_trades_come_in_their_place_exactly_and_bad_ones_are_skipped() -> None:
    script = Script([ticker("BTC/USD", "60000.1", "60000.3", "2024-01-01T00:00:01.5Z"),
                     trades(trade("BTC/USD", 1, "60000.2")),
                     ticker("BTC/USD", "60001", "60000"),  # crossed: not a quote
                     ticker("ETH/USD", "3000.01", "3000.02"),  # no time: when it came
                     trades(trade("ETH/USD", 2, "3000"))])  # fmt: skip
    with kraken_ws([script]) as (url, _):
        got = list(islice(_feed(url).ticks(), 4))
    first, tick, second, eth = got
    assert isinstance(first, Quote)
    assert isinstance(second, Quote)
    assert (first.mid, first.timestamp) == (
        Decimal("60000.2"),
        datetime(2024, 1, 1, 0, 0, 1, 500000, UTC),
    )
    assert second.mid == Decimal("3000.015")
    assert second.timestamp.tzinfo is not None
    assert (tick.price, eth.price) == (Decimal("60000.2"), Decimal(3000))


def test_trades_only_when_quotes_are_not_wanted() -> None:
    script = Script([trades(trade("BTC/USD", 1, "1"))], subscriptions=1)
    with kraken_ws([script]) as (url, received):
        [tick] = list(islice(_feed(url, quotes=False).ticks(), 1))
    assert tick.price == 1
    assert [r["params"]["channel"] for r in received] == ["trade"]


def test_a_rate_limit_waits_longer_and_the_log_keeps_the_story() -> None:
    waits: list[float] = []
    notes = []
    limited = Script([json.dumps({"error": "Exceeded msg rate", "method": "ping"})])
    fine = Script([trades(trade("BTC/USD", 1, "1"))])
    with kraken_ws([limited, fine]) as (url, _):
        feed = KrakenFeed(url, [BTC], idle_s=2, backoff_s=1, sleep=waits.append,
                          trade_log=notes.append)  # fmt: skip
        [tick] = list(islice(feed.ticks(), 1))
    assert tick.price == 1
    assert waits
    assert waits[0] >= 2  # four times the usual backoff, jitter at most halving it
    kinds = [n.error_code for n in notes]
    assert kinds[:5] == ["connect", "status", "subscribed", "disconnect", "rate_limit"]
    assert feed.state.system == "online"
    assert all(n.event_type == 90 for n in notes)


def test_a_backfill_reads_every_page_of_a_long_gap() -> None:
    full = [[str(60000 + n), "0.1", 1704067200 + n, "b", "m", "", n] for n in range(2, 1002)]
    rest_pages = [
        {"error": [], "result": {"XXBTZUSD": full, "last": "1704068201000000000"}},
        {"error": [], "result": {"XXBTZUSD": [["61002", "0.1", 1704068202, "b", "m", "", 1002]],
                                 "last": "1704068202000000000"}},
    ]  # fmt: skip
    feed = KrakenFeed("ws://unused", [BTC], _rest(rest_pages))
    feed.state.last_trade[BTC] = (1, 1704067200_000000)
    ids = [t.seq for t in feed._backfill()]
    assert ids == list(range(2, 1003))  # 1,000 from the full page, then the next page's one
    assert feed.state.backfilled == 1001
