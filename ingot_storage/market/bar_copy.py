"""The fast path for OHLCV CSV: the file's bytes straight into COPY, PostgreSQL parsing them.

Python touches no row here. The file is cut at line ends into chunks of a few MB. A loader
COPYs each chunk into a table of its own, PostgreSQL parsing the CSV, and checks the bar rules
(the same ones `ingot_core.feed.bar_problems` states, plus interval alignment) over it. The
caller's transaction then moves each checked chunk into ohlcv_bars with one INSERT … SELECT:
a plain one while the range holds no bars yet, ON CONFLICT DO NOTHING once one meets a stored
bar (the plain inserts so far roll back to a savepoint and go again that way).

The loader runs on a second connection of its own, in a thread, so PostgreSQL parses and
checks chunk N+1 on one core while it stores chunk N on the other. Its chunk tables are
UNLOGGED and committed as it goes, so the caller's transaction can read them; they are named
`ingot_bar_load_<key>_<n>` and the caller's transaction holds an advisory lock on the key.
The caller's transaction drops them. Tables whose key nobody holds any more (a transaction
that rolled back, a process that died) are swept by the next load. When a second connection
cannot be had, the loader works inline on the caller's connection, one chunk after another.

Anything unexpected (a parse error, a rule broken, a header it does not know, a line count
that does not match, a number form only PostgreSQL accepts) raises FastPathRefused: the caller
rolls the attempt back and reads the file row by row, which decides and names every bad row.
The fast path can therefore only ever accept what the careful path accepts.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import queue
import re
import secrets
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.feed import BarInterval
from ingot_core.instants import from_epoch
from ingot_core.numbers import parse_decimal
from ingot_core.symbols import Symbol
from ingot_storage.db.database import driver_connection
from ingot_storage.db.locks import BAR_LOAD_LOCK
from ingot_storage.errors import StorageError
from ingot_storage.market.ingest_report import IngestReport
from ingot_storage.market.stage import (
    BAR_STAGE_COLUMNS,
    STAGED_BAR_RULES,
    first_conflict,
    merge_staged_bars_sql,
)

__all__ = [
    "CHUNK_BYTES",
    "OHLCV_COLUMNS",
    "FastPathRefused",
    "column_names",
    "copy_ohlcv_csv",
    "sweep_chunk_tables",
]

OHLCV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume", "trades")
_ALIASES = {"time": "timestamp", "ts": "timestamp", "count": "trades", "trade_count": "trades"}
_STAGE_COLUMN = {
    "timestamp": "ts",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "trades": "trade_count",
}
# Bytes per loaded chunk: small enough that storing starts soon, large enough that the few
# statements per chunk cost nothing next to its rows.
CHUNK_BYTES = 2 << 20
# Number forms PostgreSQL reads but Ingot does not (hex, octal, binary integers).
_FOREIGN_NUMBER = re.compile(rb"0[xXoObB]")
_TABLE_PREFIX = "ingot_bar_load_"
_log = logging.getLogger(__name__)
_AHEAD = 4  # chunks the loader may have ready before the caller stores them


class FastPathRefused(Exception):
    """The COPY path declined this file; the row-by-row path will read it."""


def column_names(fields: list[str]) -> list[str] | None:
    """The canonical column names if `fields` is a header line, None if it is data."""
    if not fields:
        return None
    try:
        parse_decimal(fields[0], "")
    except ValueError:
        pass  # not a number: a column name
    else:
        return None
    return [_ALIASES.get(f.strip().lower(), f.strip().lower()) for f in fields]


@dataclass(frozen=True)
class _Chunk:
    table: str
    rows: int
    low: int | None
    high: int | None
    size: int


def _line_chunks(data: BinaryIO, first: bytes, size: int) -> Iterator[bytes]:
    """The stream after `first` was read from it, cut after a line end every `size` bytes."""
    pending = first
    while True:
        more = data.read(size)
        if not more:
            if pending:
                yield pending
            return
        pending += more
        cut = pending.rfind(b"\n") + 1
        if cut:
            yield pending[:cut]
            pending = pending[cut:]


class _Loader:
    """COPYs chunks into tables of their own and checks the bar rules over each."""

    def __init__(self, raw: psycopg.Connection[Any], key: int, copy: str, step: int) -> None:
        self._raw = raw
        self._key = key
        self._copy = copy
        self._check = (
            "SELECT count(*) FILTER (WHERE NOT "
            + STAGED_BAR_RULES.replace(":step", str(step))
            + "), min(ts), max(ts) FROM {table}"
        )
        self.created: list[str] = []

    def load(self, number: int, chunk: bytes, header: bool) -> _Chunk:
        if _FOREIGN_NUMBER.search(chunk):
            raise FastPathRefused("a number form only PostgreSQL reads")
        table = f"{_TABLE_PREFIX}{self._key}_{number}"
        try:
            with self._raw.cursor() as cursor:
                cursor.execute(f"CREATE UNLOGGED TABLE {table} {BAR_STAGE_COLUMNS}")
                self.created.append(table)
                options = "FORMAT csv, HEADER true" if header else "FORMAT csv"
                with cursor.copy(f"COPY {table} {self._copy} FROM STDIN ({options})") as copy:
                    copy.write(chunk)
                copied = cursor.rowcount
                cursor.execute(self._check.format(table=table))
                bad, low, high = cursor.fetchone() or (0, None, None)
        except psycopg.Error as error:
            raise FastPathRefused(f"COPY refused it: {error}") from None
        lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
        if copied != lines - int(header):
            raise FastPathRefused(f"{copied} rows copied from {lines} lines")
        if bad:
            raise FastPathRefused(f"{bad} rows break the bar rules")
        return _Chunk(table, copied, low, high, len(chunk))

    def drop_created(self) -> None:
        if self.created:
            with self._raw.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {', '.join(self.created)}")


def sweep_chunk_tables(raw: psycopg.Connection[Any]) -> int:
    """Drop chunk tables no live load holds (autocommit connection); return how many."""
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relpersistence = 'u' "
            "AND relname LIKE %s",
            (_TABLE_PREFIX.replace("_", r"\_") + "%",),
        )
        by_key: dict[int, list[str]] = {}
        for (name,) in cursor.fetchall():
            key = name[len(_TABLE_PREFIX) :].split("_")[0]
            if key.isdigit():
                by_key.setdefault(int(key), []).append(name)
        dropped = 0
        for key, names in by_key.items():
            cursor.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", (BAR_LOAD_LOCK, key))
            if not (row := cursor.fetchone()) or not row[0]:
                continue  # a live load's tables
            try:
                cursor.execute("SET lock_timeout = '100ms'")
                cursor.execute(f"DROP TABLE IF EXISTS {', '.join(names)}")
                dropped += len(names)
            except psycopg.Error as error:
                # Still read by a transaction that has not ended (or not ours to drop):
                # left for a later sweep; a load never fails for it.
                _log.debug("chunk tables of load %d left for now: %s", key, error)
            finally:
                cursor.execute("RESET lock_timeout")
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s::int4, %s::int4)", (BAR_LOAD_LOCK, key)
                )
    return dropped


def _second_connection(conn: Connection) -> psycopg.Connection[Any] | None:
    # A connection of the loader's own, outside the pool (which may hold just one).
    engine = conn.engine
    try:
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        raw = psycopg.connect(*args, **{**kwargs, "connect_timeout": 10}, autocommit=True)
    except psycopg.Error:
        return None
    return raw


@dataclass
class _Feed:
    """Loaded chunks handed from the loader thread to the caller's, in order."""

    items: queue.Queue[_Chunk | BaseException | None] = field(
        default_factory=lambda: queue.Queue(maxsize=_AHEAD)
    )
    stop: threading.Event = field(default_factory=threading.Event)

    def put(self, item: _Chunk | BaseException | None) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(queue.Full):
                self.items.put(item, timeout=0.1)
                return

    def drain(self) -> None:
        self.stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                self.items.get_nowait()


def _threaded(
    loader: _Loader, chunks: Iterator[tuple[int, bytes, bool]]
) -> Generator[_Chunk, None, None]:
    feed = _Feed()

    def run() -> None:
        try:
            for number, chunk, header in chunks:
                if feed.stop.is_set():
                    return
                feed.put(loader.load(number, chunk, header))
            feed.put(None)
        except BaseException as error:  # handed over and raised on the caller's thread
            feed.put(error)

    thread = threading.Thread(target=run, name="ingot-bar-loader", daemon=True)
    thread.start()
    try:
        while (item := feed.items.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        feed.drain()
        thread.join()


def copy_ohlcv_csv(
    conn: Connection,
    data: BinaryIO,
    symbol: Symbol,
    interval: BarInterval,
    source: str,
    progress: Callable[[int], None] | None,
) -> IngestReport:
    """Ingest the whole file through COPY, or raise FastPathRefused (see the module doc)."""
    chunk_bytes = CHUNK_BYTES
    first = data.read(chunk_bytes)
    columns, header = _layout(first)
    key = secrets.randbelow(2**31)
    conn.exec_driver_sql(
        "SELECT pg_advisory_xact_lock(%(lock)s::int4, %(key)s::int4)",
        {"lock": BAR_LOAD_LOCK, "key": key},
    )
    copy = f"({', '.join(_STAGE_COLUMN[c] for c in columns)})"
    chunks = (
        (n, chunk, header and n == 0)
        for n, chunk in enumerate(_line_chunks(data, first, chunk_bytes))
    )
    params: dict[str, object] = {
        "symbol": str(symbol),
        "interval": str(interval),
        "source": source,
    }
    attempt = conn.begin_nested()
    own = _second_connection(conn)
    loader = _Loader(own or driver_connection(conn), key, copy, interval.seconds)
    if own is not None:
        with contextlib.suppress(psycopg.Error):  # best effort; a broken link fails below
            sweep_chunk_tables(own)
    loaded: Generator[_Chunk, None, None] = (
        _threaded(loader, chunks) if own is not None else (loader.load(*c) for c in chunks)
    )
    report = IngestReport(source)
    try:
        report.stored, low, high = _store(conn, loaded, params, progress, report)
        if loader.created:
            conn.exec_driver_sql(f"DROP TABLE {', '.join(loader.created)}")
    except BaseException:
        loaded.close()  # the loader thread has stopped once this returns
        attempt.rollback()  # releases what this transaction held of the chunk tables
        if own is not None:
            with contextlib.suppress(psycopg.Error):
                loader.drop_created()
        raise
    else:
        attempt.commit()
    finally:
        if own is not None:
            own.close()
    report.duplicates = report.rows - report.stored
    if low is not None and high is not None:
        report.first, report.last = from_epoch(low), from_epoch(high)
    return report


def _store(
    conn: Connection,
    loaded: Iterator[_Chunk],
    params: dict[str, object],
    progress: Callable[[int], None] | None,
    report: IngestReport,
) -> tuple[int, int | None, int | None]:
    # Plain INSERTs first (the common case: a range not stored yet). The first duplicate sends
    # them back to a savepoint, and from then on every chunk goes with ON CONFLICT DO NOTHING.
    done: list[_Chunk] = []
    plain: sa.engine.NestedTransaction | None = conn.begin_nested()
    stored = 0
    try:
        for chunk in loaded:
            done.append(chunk)
            report.rows += chunk.rows
            if plain is not None:
                try:
                    inserted = _move(conn, chunk, params, on_conflict=False)
                except sa.exc.IntegrityError:
                    plain.rollback()
                    plain = None
                    stored = sum(_move(conn, c, params, on_conflict=True) for c in done)
                else:
                    if inserted != chunk.rows:
                        raise FastPathRefused(f"{chunk.rows - inserted} rows were not stored")
                    stored += inserted
            else:
                stored += _move(conn, chunk, params, on_conflict=True)
            if progress is not None:
                progress(chunk.size)
    except BaseException:
        if plain is not None:
            plain.rollback()
        raise
    if plain is not None:
        plain.commit()
    lows = [c.low for c in done if c.low is not None]
    highs = [c.high for c in done if c.high is not None]
    return stored, min(lows, default=None), max(highs, default=None)


def _move(conn: Connection, chunk: _Chunk, params: dict[str, object], on_conflict: bool) -> int:
    statement = merge_staged_bars_sql(on_conflict, stage=chunk.table, checked=True)
    try:
        moved = int(conn.execute(sa.text(statement), params).rowcount)
    except sa.exc.DBAPIError as error:
        if isinstance(error, sa.exc.IntegrityError) and not on_conflict:
            raise  # a stored bar: the caller goes again with ON CONFLICT
        raise StorageError(f"storing bars failed: {error.orig}") from error
    if moved < chunk.rows:
        # Rows already stored: the same bars again, or other values for the same openings.
        conflict = first_conflict(conn, chunk.table, f"{params['symbol']} {params['interval']}")
        if conflict is not None:
            raise conflict
    return moved


def _layout(first_chunk: bytes) -> tuple[list[str], bool]:
    # The file's columns, from its first line: Kraken's 6 or 7 without a header, or named.
    try:
        line = first_chunk.split(b"\n", 1)[0].decode("utf-8")
        fields = next(csv.reader([line]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        raise FastPathRefused("no readable first line") from None
    if not fields or fields == [""]:
        raise FastPathRefused("no first line")
    names = column_names(fields)
    if names is None:
        if len(fields) not in (6, 7):
            raise FastPathRefused(f"{len(fields)} columns")
        return list(OHLCV_COLUMNS[: len(fields)]), False
    if len(set(names)) != len(names) or not set(OHLCV_COLUMNS[:6]) <= set(names) <= set(
        OHLCV_COLUMNS
    ):
        raise FastPathRefused(f"header {fields}")
    return names, True
