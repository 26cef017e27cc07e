"""Bulk writes of bars and ticks: rows stream by COPY into a temporary table, then merge into
the series with one INSERT … SELECT … ON CONFLICT DO NOTHING. Memory stays flat however many
rows arrive, and re-ingesting rows already stored changes nothing. A bar that arrives again
with other prices is not "already stored": it conflicts, and the merge refuses it (the stored
series stays as it was) rather than keep one of the two without a word. The caller owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.instants import epoch_seconds, from_epoch
from ingot_core.symbols import Symbol
from ingot_storage.db.database import driver_connection
from ingot_storage.errors import db_errors

__all__ = [
    "BAR_STAGE_COLUMNS",
    "STAGED_BAR_RULES",
    "BarStage",
    "ConflictingBars",
    "TickStage",
    "first_conflict",
    "merge_staged_bars_sql",
    "save_bars",
    "save_ticks",
]

_FLUSH_BYTES = 1 << 20


class _Stage:
    """COPY rows into a temporary table; merge them when closed (see the module docstring)."""

    _table: str
    _create: str
    _columns: str
    _merge: str

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._parts: list[str] = []
        self._size = 0
        self.staged = 0
        self._open = True
        with db_errors():
            conn.exec_driver_sql(self._create)
            self._cursor = driver_connection(conn).cursor()
            self._copy_context = self._cursor.copy(
                f"COPY {self._table} ({self._columns}) FROM STDIN"
            )
            self._copy = self._copy_context.__enter__()

    def _write_line(self, line: str) -> None:
        self._parts.append(line)
        self._size += len(line)
        self.staged += 1
        if self._size >= _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._parts:
            with db_errors():
                self._copy.write("".join(self._parts))
            self._parts = []
            self._size = 0

    def _finish_copy(self) -> None:
        self._flush()
        self._open = False
        with db_errors():
            self._copy_context.__exit__(None, None, None)
            self._cursor.close()

    def merge(self, **params: Any) -> int:
        """End the COPY and merge the staged rows; return how many were new."""
        if self._open:
            self._finish_copy()
        with db_errors():
            result = self._conn.execute(sa.text(self._merge), params)
            self._conn.exec_driver_sql(f"DROP TABLE {self._table}")
        return int(result.rowcount)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._open:
            return
        if kind is None:
            self._finish_copy()
        else:  # the caller's transaction rolls back; just release the COPY
            self._open = False
            self._copy_context.__exit__(kind, error, tb)
            self._cursor.close()


# The bar rules of ingot_core.feed.bar_problems, plus interval alignment, over staged rows.
# NULL (an empty field) and NaN fail them; 'Infinity' is refused explicitly.
STAGED_BAR_RULES = """(
    ts % :step = 0 AND low > 0 AND high >= low
    AND open BETWEEN low AND high AND close BETWEEN low AND high
    AND high < 'Infinity' AND volume >= 0 AND volume < 'Infinity' AND trade_count >= 0
) IS TRUE"""


# The columns of a table staging OHLCV rows as a file carries them (ts in epoch seconds).
BAR_STAGE_COLUMNS = (
    "(ts bigint, open numeric, high numeric, low numeric, close numeric, volume numeric, "
    "trade_count integer DEFAULT 0)"
)


def merge_staged_bars_sql(
    on_conflict: bool, stage: str = "ingot_bar_stage", checked: bool = False
) -> str:
    """The INSERT moving staged bars that keep the rules into ohlcv_bars.

    `checked` says every row of `stage` is known to keep the rules (the WHERE is left out).
    ts holds whole seconds, for which to_timestamp's double is exact (below 2**53).
    """
    return (
        "INSERT INTO ohlcv_bars (symbol, interval, ts, open, high, low, close, volume, "
        "trade_count, source) SELECT :symbol, :interval, to_timestamp(ts), open, high, low, "
        f"close, volume, trade_count, :source FROM {stage}"
        + ("" if checked else f" WHERE {STAGED_BAR_RULES}")
        + (" ON CONFLICT DO NOTHING" if on_conflict else "")
    )


_BAR_VALUES = ("open", "high", "low", "close", "volume", "trade_count")


class ConflictingBars(ValidationError):
    """Bars that arrived again with other values than the stored ones; nothing was stored."""


def first_conflict(conn: Connection, stage: str, series: str) -> ConflictingBars | None:
    """The error naming the first staged bar (and how many) that differs from a stored bar,
    or from another staged bar, of the same opening; None when there is none.

    `series` is "SYMBOL INTERVAL"; the stage's rows belong to it.
    """
    symbol, interval = series.split(" ")
    params = {"symbol": symbol, "interval": interval}
    staged = ", ".join(f"s.{c}" for c in _BAR_VALUES)
    stored = ", ".join(f"b.{c}" for c in _BAR_VALUES)
    against_stored = (
        f"SELECT s.ts, {staged}, {stored}, count(*) OVER () FROM {stage} s "
        "JOIN ohlcv_bars b ON b.symbol = :symbol AND b.interval = :interval "
        f"AND b.ts = to_timestamp(s.ts) WHERE ({staged}) IS DISTINCT FROM ({stored}) "
        "ORDER BY s.ts LIMIT 1"
    )
    within = (
        f"SELECT ts, count(*) OVER () FROM {stage} GROUP BY ts "
        f"HAVING count(DISTINCT ({', '.join(_BAR_VALUES)})) > 1 ORDER BY ts LIMIT 1"
    )
    with db_errors():
        row = conn.execute(sa.text(against_stored), params).one_or_none()
        twice = None if row is not None else conn.execute(sa.text(within)).one_or_none()
    if row is not None:
        width = len(_BAR_VALUES)
        new, old = row[1 : 1 + width], row[1 + width : 1 + 2 * width]
        changed = ", ".join(
            f"{name} {a} (stored {b})"
            for name, a, b in zip(_BAR_VALUES, new, old, strict=True)
            if a != b
        )
        what, count = f"differs from the stored one: {changed}", int(row[-1])
    elif twice is not None:
        what, count = "comes twice with different values", int(twice[-1])
        row = twice
    else:
        return None
    moment = from_epoch(int(row[0])).strftime("%Y-%m-%d %H:%M:%S UTC")
    more = f"; {count - 1:,} more bars like it" if count > 1 else ""
    return ConflictingBars(series, [f"the bar at {moment} {what}{more}; nothing stored"])


class BarStage(_Stage):
    """Bars of one symbol and interval, staged for one merge into ohlcv_bars."""

    _table = "ingot_bar_stage"
    _create = f"CREATE TEMP TABLE IF NOT EXISTS ingot_bar_stage {BAR_STAGE_COLUMNS} ON COMMIT DROP"
    _columns = "ts, open, high, low, close, volume, trade_count"
    _merge = merge_staged_bars_sql(on_conflict=True)

    def merge_bars(self, symbol: Symbol, interval: BarInterval, source: str) -> int:
        """End the COPY and merge the staged bars into the series; return how many were new.

        Raises ConflictingBars, merging nothing, when a staged bar differs from a stored one.
        """
        self._finish_copy()
        conflict = first_conflict(self._conn, self._table, f"{symbol} {interval}")
        if conflict is not None:
            raise conflict
        return self.merge(
            symbol=str(symbol), interval=str(interval), source=source, step=interval.seconds
        )

    def add(
        self,
        ts: int,
        open_: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
        trades: int,
    ) -> None:
        """Stage one validated bar; `ts` is its opening in epoch seconds."""
        self._write_line(f"{ts}\t{open_}\t{high}\t{low}\t{close}\t{volume}\t{trades}\n")

    def add_bar(self, bar: OhlcvBar) -> None:
        """Stage an OhlcvBar."""
        self.add(
            epoch_seconds(bar.timestamp),
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume,
            bar.trade_count,
        )


class TickStage(_Stage):
    """Ticks, staged for one merge into ticks."""

    _table = "ingot_tick_stage"
    _create = (
        "CREATE TEMP TABLE IF NOT EXISTS ingot_tick_stage (symbol text, ts timestamptz, "
        "seq bigint, price numeric, volume numeric) ON COMMIT DROP"
    )
    _columns = "symbol, ts, seq, price, volume"
    _merge = (
        "INSERT INTO ticks (symbol, ts, seq, price, volume) "
        "SELECT symbol, ts, seq, price, volume FROM ingot_tick_stage ON CONFLICT DO NOTHING"
    )

    def merge(self, **params: Any) -> int:
        """Make the staged ticks' days first (each day is a partition), then merge."""
        if self._open:
            self._finish_copy()
        from ingot_storage.market.tick_days import ensure_staged_tick_days

        with db_errors():
            ensure_staged_tick_days(self._conn, self._table)
        return super().merge(**params)

    def add(self, ticker: Ticker) -> None:
        """Stage one tick."""
        volume = "\\N" if ticker.volume is None else str(ticker.volume)
        stamp = ticker.timestamp.astimezone(UTC).isoformat()
        self._write_line(f"{ticker.symbol}\t{stamp}\t{ticker.seq}\t{ticker.price}\t{volume}\n")


def save_bars(conn: Connection, bars: Iterable[OhlcvBar], source: str) -> int:
    """Store bars (any symbols and intervals); return how many were new."""
    groups: dict[tuple[Symbol, BarInterval], list[OhlcvBar]] = {}
    for bar in bars:
        groups.setdefault((bar.symbol, bar.interval), []).append(bar)
    new = 0
    for (symbol, interval), group in groups.items():
        with BarStage(conn) as stage:
            for bar in group:
                stage.add_bar(bar)
            new += stage.merge_bars(symbol, interval, source)
    return new


def save_ticks(conn: Connection, tickers: Iterable[Ticker]) -> int:
    """Store ticks; return how many were new."""
    with TickStage(conn) as stage:
        for ticker in tickers:
            stage.add(ticker)
        return stage.merge()
