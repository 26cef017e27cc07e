"""The fast path for OHLCV CSV: the file's bytes straight into COPY, PostgreSQL parsing them.

Python touches no row here. PostgreSQL parses the CSV into a staging table; one scan then
applies the bar rules (the same ones `ingot_core.feed.bar_problems` states, plus interval
alignment); the rows are inserted with a plain INSERT when the range holds no bars yet, or
with ON CONFLICT DO NOTHING when it does (or when the plain insert meets a duplicate).

Anything unexpected (a parse error, a rule broken, a header it does not know, a line count
that does not match, a number form only PostgreSQL accepts) raises FastPathRefused: the caller
rolls the attempt back and reads the file row by row, which decides and names every bad row.
The fast path can therefore only ever accept what the careful path accepts.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, BinaryIO

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.feed import BarInterval
from ingot_core.instants import from_epoch
from ingot_core.symbols import Symbol
from ingot_storage.audit import driver_connection
from ingot_storage.errors import StorageError
from ingot_storage.market_data import STAGED_BAR_RULES, BarStage, merge_staged_bars_sql

if TYPE_CHECKING:
    from ingot_storage.market_files import IngestReport

__all__ = [
    "OHLCV_COLUMNS",
    "FastPathRefused",
    "column_names",
    "copy_ohlcv_csv",
    "spooled",
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
_CHUNK = 1 << 20
# Number forms PostgreSQL reads but Ingot does not (hex, octal, binary integers).
_FOREIGN_NUMBER = re.compile(rb"0[xXoObB]")

_SPAN = "SELECT min(ts), max(ts) FROM ingot_bar_stage"
_CHECK = (
    f"SELECT count(*) FILTER (WHERE NOT {STAGED_BAR_RULES}), min(ts), max(ts) FROM ingot_bar_stage"
)


class FastPathRefused(Exception):
    """The COPY path declined this file; the row-by-row path will read it."""


def column_names(fields: list[str]) -> list[str] | None:
    """The canonical column names if `fields` is a header line, None if it is data."""
    try:
        if Decimal(fields[0].strip()).is_finite():
            return None
    except InvalidOperation:
        pass
    return [_ALIASES.get(f.strip().lower(), f.strip().lower()) for f in fields]


@contextmanager
def spooled(data: BinaryIO) -> Iterator[tuple[BinaryIO, Callable[[], BinaryIO]]]:
    """(what to read, a way to read it again): a pipe is copied to a temp file as it is read."""
    if data.seekable():
        start = data.tell()

        def rewind_seekable() -> BinaryIO:
            data.seek(start)
            return data

        yield data, rewind_seekable
        return
    with tempfile.TemporaryFile() as spool:
        tee = _Tee(data, spool)

        def rewind_spool() -> BinaryIO:
            shutil.copyfileobj(data, spool)  # the unread rest, if the fast path stopped early
            spool.seek(0)
            return spool

        yield tee, rewind_spool  # type: ignore[misc]


class _Tee(io.RawIOBase):
    def __init__(self, source: BinaryIO, copy: BinaryIO) -> None:
        self._source, self._copy = source, copy

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self._copy.write(chunk)
        return chunk


def copy_ohlcv_csv(
    conn: Connection,
    data: BinaryIO,
    symbol: Symbol,
    interval: BarInterval,
    source: str,
    progress: Callable[[int], None] | None,
) -> IngestReport:
    """Ingest the whole file through COPY, or raise FastPathRefused (see the module doc)."""
    from ingot_storage.market_files import IngestReport

    first = data.read(_CHUNK)
    columns, header = _layout(first)
    conn.exec_driver_sql(BarStage._create)
    statement = (
        f"COPY ingot_bar_stage ({', '.join(_STAGE_COLUMN[c] for c in columns)}) "
        f"FROM STDIN (FORMAT csv, HEADER {'true' if header else 'false'})"
    )
    lines, tail = 0, b""
    try:
        with driver_connection(conn).cursor() as cursor:
            with cursor.copy(statement) as copy:
                chunk = first
                while chunk:
                    if _FOREIGN_NUMBER.search(tail + chunk):
                        raise FastPathRefused("a number form only PostgreSQL reads")
                    copy.write(chunk)
                    lines += chunk.count(b"\n")
                    tail = chunk[-1:]
                    if progress is not None:
                        progress(len(chunk))
                    chunk = data.read(_CHUNK)
            copied = cursor.rowcount
    except psycopg.Error as error:
        raise FastPathRefused(f"COPY refused it: {error}") from None
    if tail and tail != b"\n":
        lines += 1
    if copied != lines - int(header):
        raise FastPathRefused(f"{copied} rows copied from {lines} lines")
    params: dict[str, object] = {
        "symbol": str(symbol),
        "interval": str(interval),
        "source": source,
        "step": interval.seconds,
    }
    report = IngestReport(source, rows=copied)
    stored, report.first, report.last = _insert(conn, params, copied)
    report.stored = stored
    report.duplicates = copied - stored
    conn.exec_driver_sql("DROP TABLE ingot_bar_stage")
    return report


def _insert(
    conn: Connection, params: dict[str, object], copied: int
) -> tuple[int, datetime | None, datetime | None]:
    # A plain INSERT first (the common case: a range not stored yet); a duplicate sends it
    # back to a savepoint, and ON CONFLICT DO NOTHING does the merge instead. Rows the rules
    # refuse are not inserted; a plain insert that falls short of `copied` means there were some.
    bad, low, high = None, None, None
    savepoint = conn.begin_nested()
    try:
        inserted = conn.execute(sa.text(merge_staged_bars_sql(on_conflict=False)), params).rowcount
    except sa.exc.IntegrityError:
        savepoint.rollback()
        bad, low, high = conn.execute(sa.text(_CHECK), params).one()
        if bad:
            raise FastPathRefused(f"{bad} rows break the bar rules") from None
        try:
            merge = merge_staged_bars_sql(on_conflict=True)
            inserted = conn.execute(sa.text(merge), params).rowcount
        except sa.exc.DBAPIError as error:
            raise StorageError(f"storing bars failed: {error.orig}") from error
    else:
        savepoint.commit()
        if inserted != copied:
            raise FastPathRefused(f"{copied - inserted} rows break the bar rules")
        low, high = conn.execute(sa.text(_SPAN)).one()
    if low is None or high is None:
        return int(inserted), None, None
    return int(inserted), from_epoch(low), from_epoch(high)


def _layout(first_chunk: bytes) -> tuple[list[str], bool]:
    # The file's columns, from its first line: Kraken's 6 or 7 without a header, or named.
    try:
        line = first_chunk.split(b"\n", 1)[0].decode("utf-8")
        fields = next(csv.reader([line]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        raise FastPathRefused("no readable first line") from None
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
