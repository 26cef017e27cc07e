"""OHLCV bars, ticks, ingestion cursors and signals in PostgreSQL.

Bulk writes stream rows with COPY into a temporary table, then merge them with one
INSERT … SELECT … ON CONFLICT DO NOTHING: memory stays flat however many rows arrive, and
re-ingesting rows already stored changes nothing. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.instants import epoch_seconds
from ingot_core.symbols import Symbol
from ingot_storage.audit import driver_connection
from ingot_storage.database import stream_rows
from ingot_storage.errors import db_errors, translate_db_errors
from ingot_storage.tables import ingest_cursors, ohlcv_bars, signals, ticks

__all__ = [
    "BAR_STAGE_COLUMNS",
    "STAGED_BAR_RULES",
    "BarStage",
    "IngestCursor",
    "SeriesExtent",
    "TickStage",
    "bar_openings",
    "clear_cursor",
    "iter_bars",
    "iter_ticks",
    "latest_bars",
    "load_cursor",
    "merge_staged_bars_sql",
    "query_signals",
    "save_bars",
    "save_cursor",
    "save_ticks",
    "series_extent",
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


class BarStage(_Stage):
    """Bars of one symbol and interval, staged for one merge into ohlcv_bars."""

    _table = "ingot_bar_stage"
    _create = f"CREATE TEMP TABLE IF NOT EXISTS ingot_bar_stage {BAR_STAGE_COLUMNS} ON COMMIT DROP"
    _columns = "ts, open, high, low, close, volume, trade_count"
    _merge = merge_staged_bars_sql(on_conflict=True)

    def merge_bars(self, symbol: Symbol, interval: BarInterval, source: str) -> int:
        """End the COPY and merge the staged bars into the series; return how many were new."""
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


def _bar(row: Any) -> OhlcvBar:
    return OhlcvBar(
        symbol=Symbol.parse(row.symbol),
        interval=BarInterval(row.interval),
        timestamp=row.ts,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        trade_count=row.trade_count,
    )


def _series(symbol: Symbol, interval: BarInterval) -> sa.ColumnElement[bool]:
    return sa.and_(ohlcv_bars.c.symbol == str(symbol), ohlcv_bars.c.interval == str(interval))


@translate_db_errors
def latest_bars(
    conn: Connection,
    symbol: Symbol,
    interval: BarInterval,
    since: datetime | None = None,
    limit: int = 50,
) -> list[OhlcvBar]:
    """The newest `limit` bars opening at or after `since`, oldest first."""
    query = sa.select(ohlcv_bars).where(_series(symbol, interval))
    if since is not None:
        query = query.where(ohlcv_bars.c.ts >= since)
    rows = conn.execute(query.order_by(ohlcv_bars.c.ts.desc()).limit(limit)).all()
    return [_bar(row) for row in reversed(rows)]


def iter_bars(
    conn: Connection,
    symbol: Symbol,
    interval: BarInterval,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[OhlcvBar]:
    """Bars oldest first, streamed (constant memory)."""
    query = sa.select(ohlcv_bars).where(_series(symbol, interval))
    if since is not None:
        query = query.where(ohlcv_bars.c.ts >= since)
    if until is not None:
        query = query.where(ohlcv_bars.c.ts <= until)
    for row in stream_rows(conn, query.order_by(ohlcv_bars.c.ts)):
        yield _bar(row)


def bar_openings(
    conn: Connection, symbol: Symbol, interval: BarInterval, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Opening instants of the stored bars in [start, end], ascending, streamed."""
    query = (
        sa.select(ohlcv_bars.c.ts)
        .where(_series(symbol, interval), ohlcv_bars.c.ts.between(start, end))
        .order_by(ohlcv_bars.c.ts)
    )
    for row in stream_rows(conn, query):
        yield row.ts


@dataclass(frozen=True)
class SeriesExtent:
    """How much of a bar series is stored.

    Attributes:
      first, last: the first and last openings.
      count: how many bars.
    """

    first: datetime
    last: datetime
    count: int


@translate_db_errors
def series_extent(conn: Connection, symbol: Symbol, interval: BarInterval) -> SeriesExtent | None:
    """First and last opening and the count of a series, or None when it is empty."""
    row = conn.execute(
        sa.select(
            sa.func.min(ohlcv_bars.c.ts), sa.func.max(ohlcv_bars.c.ts), sa.func.count()
        ).where(_series(symbol, interval))
    ).one()
    return None if row[2] == 0 else SeriesExtent(row[0], row[1], row[2])


def iter_ticks(
    conn: Connection,
    symbol: Symbol,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[Ticker]:
    """Stored ticks of one symbol in [since, until], oldest first, streamed."""
    query = sa.select(ticks).where(ticks.c.symbol == str(symbol))
    if since is not None:
        query = query.where(ticks.c.ts >= since)
    if until is not None:
        query = query.where(ticks.c.ts <= until)
    for row in stream_rows(conn, query.order_by(ticks.c.ts, ticks.c.seq)):
        yield Ticker(symbol, row.price, row.ts, row.volume, row.seq)


@dataclass(frozen=True)
class IngestCursor:
    """Where a resumable ingestion stands.

    Attributes:
      position: the source's own resume point (Kraken: a trade time in nanoseconds).
      target: where the run means to stop, in the same unit.
      updated_at: when the cursor last moved.
    """

    position: int
    target: int
    updated_at: datetime


def _cursor_key(source: str, symbol: Symbol, interval: BarInterval) -> sa.ColumnElement[bool]:
    return sa.and_(
        ingest_cursors.c.source == source,
        ingest_cursors.c.symbol == str(symbol),
        ingest_cursors.c.interval == str(interval),
    )


@translate_db_errors
def load_cursor(
    conn: Connection, source: str, symbol: Symbol, interval: BarInterval
) -> IngestCursor | None:
    """The saved resume point of an unfinished ingestion, if any."""
    row = conn.execute(
        sa.select(ingest_cursors).where(_cursor_key(source, symbol, interval))
    ).first()
    return None if row is None else IngestCursor(row.position, row.target, row.updated_at)


@translate_db_errors
def save_cursor(
    conn: Connection,
    source: str,
    symbol: Symbol,
    interval: BarInterval,
    position: int,
    target: int,
) -> None:
    """Record the resume point (in the same transaction as the bars it follows)."""
    statement = insert(ingest_cursors).values(
        source=source, symbol=str(symbol), interval=str(interval), position=position, target=target
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "symbol", "interval"],
            set_={"position": position, "target": target, "updated_at": sa.func.now()},
        )
    )


@translate_db_errors
def clear_cursor(conn: Connection, source: str, symbol: Symbol, interval: BarInterval) -> None:
    """Forget the resume point: the ingestion finished."""
    conn.execute(sa.delete(ingest_cursors).where(_cursor_key(source, symbol, interval)))


@translate_db_errors
def query_signals(conn: Connection, run_id: str | None = None, limit: int = 50) -> list[Any]:
    """Stored signals, newest first (optionally of one run)."""
    query = sa.select(signals)
    if run_id is not None:
        query = query.where(signals.c.run_id == run_id)
    return list(conn.execute(query.order_by(signals.c.ts.desc()).limit(limit)).all())
