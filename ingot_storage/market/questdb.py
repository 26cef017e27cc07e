"""Ticks and bars mirrored to QuestDB through the official `questdb` client (ILP over TCP).

PostgreSQL stays the record: a row reaches QuestDB only after PostgreSQL committed it (every
hand-over is in `ingot_storage.market.mirror`), and QuestDB's DEDUP UPSERT KEYS make a row
sent twice land once. QuestDB is best effort: when it is down a send logs one warning, counts
the failure and returns; the engine never stops for it. Prices leave Decimal only here, as
QuestDB DOUBLE columns demand.

Tables are created over QuestDB's PostgreSQL wire (seed 000 Tasks 2.7.5 and 2.8.3).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingot_core.feed import OhlcvBar, Ticker
from ingot_core.instants import epoch_micros
from ingot_storage.config import without_passwords

__all__ = ["QUESTDB_TABLES", "QuestDbMetrics", "QuestDbMirror"]

log = logging.getLogger(__name__)

QUESTDB_TABLES = (
    """CREATE TABLE IF NOT EXISTS ticks (
    symbol    SYMBOL,
    seq       LONG,
    price     DOUBLE,
    volume    DOUBLE,
    timestamp TIMESTAMP
) TIMESTAMP(timestamp) PARTITION BY DAY WAL DEDUP UPSERT KEYS(timestamp, symbol, seq)""",
    """CREATE TABLE IF NOT EXISTS ohlcv_bars (
    symbol    SYMBOL,
    interval  SYMBOL,
    open      DOUBLE,
    high      DOUBLE,
    low       DOUBLE,
    close     DOUBLE,
    volume    DOUBLE,
    count     INT,
    timestamp TIMESTAMP
) TIMESTAMP(timestamp) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(symbol, interval, timestamp)""",
    # A ticks table made by an earlier release keyed a tick by (symbol, instant) only.
    "ALTER TABLE ticks ADD COLUMN IF NOT EXISTS seq LONG",
    "ALTER TABLE ticks DEDUP ENABLE UPSERT KEYS(timestamp, symbol, seq)",
)


def _nanos(moment: datetime) -> int:
    return epoch_micros(moment) * 1000


@dataclass
class QuestDbMetrics:
    """What the mirror did: rows sent, failed sends, and the last failure."""

    rows_sent: int = 0
    failures: int = 0
    last_error: str | None = None


class QuestDbMirror:
    """A best-effort ILP sender to one QuestDB."""

    def __init__(self, ilp_addr: tuple[str, int], pg_url: str | None = None) -> None:
        host, port = ilp_addr
        self.conf = f"tcp::addr={host}:{port};protocol_version=1;"
        self.pg_url = pg_url
        self.metrics = QuestDbMetrics()
        self._sender: Any = None
        self._lock = threading.Lock()  # the worker thread and a command may both send

    def ensure_tables(self) -> bool:
        """Create the QuestDB tables if they are missing; False (and a warning) if it is down."""
        if self.pg_url is None:
            return False
        import psycopg

        try:
            with psycopg.connect(self.pg_url, autocommit=True, connect_timeout=3) as conn:
                for statement in QUESTDB_TABLES:
                    conn.execute(statement)
        except psycopg.Error as error:
            self._failed("creating tables", error)
            return False
        return True

    def send_ticks(self, tickers: Iterable[Ticker]) -> int:
        """Send ticks; return how many went (0 when QuestDB is unreachable)."""
        from questdb import TimestampNanos

        def rows(sender: Any) -> int:
            count = 0
            for t in tickers:
                columns: dict[str, float | int] = {"seq": t.seq, "price": float(t.price)}
                if t.volume is not None:
                    columns["volume"] = float(t.volume)
                sender.row(
                    "ticks",
                    symbols={"symbol": str(t.symbol)},
                    columns=columns,
                    at=TimestampNanos(_nanos(t.timestamp)),
                )
                count += 1
            return count

        return self._send("ticks", rows)

    def send_bars(self, bars: Iterable[OhlcvBar]) -> int:
        """Send bars; return how many went (0 when QuestDB is unreachable)."""
        from questdb import TimestampNanos

        def rows(sender: Any) -> int:
            count = 0
            for b in bars:
                sender.row(
                    "ohlcv_bars",
                    symbols={"symbol": str(b.symbol), "interval": str(b.interval)},
                    columns={
                        "open": float(b.open),
                        "high": float(b.high),
                        "low": float(b.low),
                        "close": float(b.close),
                        "volume": float(b.volume),
                        "count": b.trade_count,
                    },
                    at=TimestampNanos(_nanos(b.timestamp)),
                )
                count += 1
            return count

        return self._send("bars", rows)

    def close(self) -> None:
        """Flush and close the connection, if one is open."""
        with self._lock:
            self._drop()

    def _send(self, what: str, rows: Any) -> int:
        from questdb import QuestDBError

        with self._lock:
            try:
                if self._sender is None:
                    from questdb import Sender

                    sender = Sender.from_conf(self.conf)
                    sender.establish()  # type: ignore[no-untyped-call]
                    self._sender = sender
                count = int(rows(self._sender))
                self._sender.flush()
            except (QuestDBError, OSError) as error:
                self._failed(f"sending {what}", error)
                self._drop()
                return 0
            self.metrics.rows_sent += count
            return count

    def _drop(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            from questdb import QuestDBError

            try:
                sender.close()
            except (QuestDBError, OSError) as error:  # a broken connection; nothing to save
                log.debug("closing the QuestDB sender: %s", error)

    def _failed(self, doing: str, error: BaseException) -> None:
        self.metrics.failures += 1
        text = without_passwords(str(error))
        self.metrics.last_error = f"{doing}: {text}"
        log.warning("QuestDB unavailable (%s): %s; PostgreSQL keeps the data", doing, text)
