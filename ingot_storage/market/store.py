"""OHLCV bars, ticks, ingestion cursors and signals in PostgreSQL.

Reads of the stored series, ingestion cursors and signals; bulk writes are in market.stage.
The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.symbols import Symbol
from ingot_storage.db.database import in_period, stream_rows
from ingot_storage.db.tables import ingest_cursors, ohlcv_bars, signals, ticks
from ingot_storage.errors import translate_db_errors

__all__ = [
    "IngestCursor",
    "SeriesExtent",
    "bar_openings",
    "clear_cursor",
    "iter_bars",
    "iter_ticks",
    "latest_bars",
    "load_cursor",
    "query_signals",
    "replay_ticks",
    "save_cursor",
    "series_extent",
]


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
    until: datetime | None = None,
) -> list[OhlcvBar]:
    """The newest `limit` bars opening at or after `since` and before `until`, oldest first."""
    query = sa.select(ohlcv_bars).where(_series(symbol, interval))
    query = in_period(query, ohlcv_bars.c.ts, since, until)
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


def replay_ticks(
    conn: Connection,
    symbols: list[Symbol],
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[Ticker]:
    """Stored ticks of `symbols` from `since` (inclusive) to `until` (exclusive), in market
    time order (ties by symbol, then the print's place), streamed in pages."""
    by_name = {str(s): s for s in symbols}
    query = in_period(sa.select(ticks).where(ticks.c.symbol.in_(list(by_name))), ticks.c.ts,
                      since, until)  # fmt: skip
    for row in stream_rows(conn, query.order_by(ticks.c.ts, ticks.c.symbol, ticks.c.seq)):
        yield Ticker(by_name[row.symbol], row.price, row.ts, row.volume, row.seq)


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
