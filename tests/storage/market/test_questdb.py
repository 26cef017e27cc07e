"""The real questdb client sending to a loopback ILP listener that records what arrives."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.symbols import Symbol
from ingot_storage.market.questdb import QuestDbMirror

BTC = Symbol("BTC", "USD")
AT = datetime(2024, 2, 29, tzinfo=UTC)  # 1709164800 s


class IlpListener:
    """Accepts ILP/TCP connections and keeps every byte received."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.connections = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                with self._lock:
                    self.received += data

    def lines(self, expected: int, timeout: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                lines = bytes(self.received).decode().splitlines()
            if len(lines) >= expected:
                return lines
            time.sleep(0.01)
        return lines

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def listener():
    server = IlpListener()
    yield server
    server.close()


def test_buffer_tick_produces_valid_ilp(listener) -> None:
    mirror = QuestDbMirror(("127.0.0.1", listener.port))
    ticks = [
        Ticker(BTC, Decimal("67432.5"), AT),
        Ticker(Symbol("ETH", "USD"), Decimal("3500.25"), AT.replace(microsecond=250), Decimal(2)),
    ]
    assert mirror.send_ticks(ticks) == 2
    mirror.close()
    assert listener.lines(2) == [
        "ticks,symbol=BTC-USD seq=0i,price=67432.5 1709164800000000000",
        "ticks,symbol=ETH-USD seq=0i,price=3500.25,volume=2.0 1709164800000250000",
    ]


def test_buffer_ohlcv_bars_batch_with_interval_symbol(listener) -> None:
    mirror = QuestDbMirror(("127.0.0.1", listener.port))
    bars = [
        OhlcvBar(BTC, BarInterval.H1, AT, Decimal("67400.0"), Decimal("67500.0"),
                 Decimal("67350.0"), Decimal("67432.5"), Decimal("123.45"), 1847),
        OhlcvBar(BTC, BarInterval.M5, AT, Decimal("1"), Decimal("2"), Decimal("0.5"),
                 Decimal("1.5"), Decimal("0"), 0),
    ]  # fmt: skip
    assert mirror.send_bars(bars) == 2
    mirror.close()
    assert listener.lines(2) == [
        "ohlcv_bars,symbol=BTC-USD,interval=1h open=67400.0,high=67500.0,low=67350.0,"
        "close=67432.5,volume=123.45,count=1847i 1709164800000000000",
        "ohlcv_bars,symbol=BTC-USD,interval=5m open=1.0,high=2.0,low=0.5,"
        "close=1.5,volume=0.0,count=0i 1709164800000000000",
    ]
    assert mirror.metrics.rows_sent == 2


def test_questdb_down_is_a_warning_and_a_counter(caplog) -> None:
    port = free_port()
    mirror = QuestDbMirror(
        ("127.0.0.1", port), pg_url=f"postgresql://admin:quest@127.0.0.1:{port}/qdb"
    )
    with caplog.at_level(logging.WARNING, logger="ingot_storage.market.questdb"):
        assert mirror.send_ticks([Ticker(BTC, Decimal(1), AT)]) == 0
        assert mirror.ensure_tables() is False
    assert mirror.metrics.failures == 2
    assert "QuestDB unavailable" in caplog.text
    assert "PostgreSQL keeps the data" in caplog.text


def free_port() -> int:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens here any more
    return port


def test_the_mirror_reconnects_after_questdb_comes_back() -> None:
    port = free_port()
    mirror = QuestDbMirror(("127.0.0.1", port))
    assert mirror.send_ticks([Ticker(BTC, Decimal(1), AT)]) == 0
    back = socket.create_server(("127.0.0.1", port))
    received = bytearray()

    def serve() -> None:
        conn, _ = back.accept()
        with conn:
            while data := conn.recv(65536):
                received.extend(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert mirror.send_ticks([Ticker(BTC, Decimal(2), AT)]) == 1
    mirror.close()
    thread.join(timeout=5)
    back.close()
    assert bytes(received) == b"ticks,symbol=BTC-USD seq=0i,price=2.0 1709164800000000000\n"
    assert mirror.metrics.failures == 1
