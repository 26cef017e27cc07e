"""Batch ingestion from files and stdin: OHLCV CSV and JSONL ticks.

OHLCV CSV is Kraken's OHLCVT layout: timestamp (Unix seconds), open, high, low, close,
volume, trades, with no header; or the same columns under a header line naming them
(`trades` may be absent, or called `count`; `timestamp` may be `time`). JSONL ticks are
read by tick_lines. A header naming a column Ingot does not know is refused, and so is a bar
that differs from the stored bar of the same opening (market.stage).

Every value is parsed exactly and bounded (ingot_core.numbers). A bad row is
reported by line and field. Without `skip_bad` one bad row means nothing from the file is
kept: the caller's transaction rolls back. With it, the good rows are kept and the bad ones
reported (the first MAX_REPORTED of them, and how many in all).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy.engine import Connection

from ingot_core.feed import BarInterval, bar_problems
from ingot_core.instants import from_epoch
from ingot_core.numbers import parse_decimal, parse_whole, shown
from ingot_core.symbols import Symbol
from ingot_storage.market.bar_copy import (
    OHLCV_COLUMNS,
    FastPathRefused,
    column_names,
    copy_ohlcv_csv,
)
from ingot_storage.market.ingest_report import (
    LAST_SECOND,
    MAX_REPORTED,
    BadInputFile,
    BadRow,
    IngestReport,
    Progress,
    counting,
)
from ingot_storage.market.rereadable import spooled
from ingot_storage.market.stage import BarStage, TickStage
from ingot_storage.market.tick_lines import parse_tick_line, read_ticks, tick_rows

__all__ = [
    "MAX_REPORTED",
    "BadInputFile",
    "BadRow",
    "IngestReport",
    "ingest_ohlcv_csv",
    "ingest_ticks_jsonl",
    "parse_tick_line",
    "read_ticks",
]

log = logging.getLogger(__name__)

_MAX_TRADES = 2**31 - 1  # an integer column


def _epoch_seconds_text(text: str) -> int:
    value = parse_decimal(text, "")
    seconds = int(value)
    if seconds != value:
        raise ValueError(f"{shown(text)} is not a whole number of seconds")
    if not 0 <= seconds <= LAST_SECOND:
        raise ValueError(f"{shown(text)} is not a time between 1970 and 9999")
    return seconds


def ingest_ohlcv_csv(
    conn: Connection,
    data: BinaryIO,
    symbol: Symbol,
    interval: BarInterval,
    *,
    source: str,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Stream an OHLCV CSV into ohlcv_bars inside the caller's transaction.

    The whole file first goes through COPY with PostgreSQL parsing it (see bar_copy); if
    anything there is off, that attempt is rolled back to a savepoint and the file is read
    again row by row here, which names every bad row. Raises BadInputFile (the caller rolls
    back) when a row is bad and `skip_bad` is off.
    """
    with spooled(data) as (readable, rewind):
        savepoint = conn.begin_nested()
        try:
            report = copy_ohlcv_csv(conn, readable, symbol, interval, source, progress)
        except FastPathRefused as refusal:
            savepoint.rollback()
            log.debug("%s: row-by-row ingestion (%s)", source, refusal)
        else:
            savepoint.commit()
            return report
        text = io.TextIOWrapper(rewind(), encoding="utf-8", newline="")
        try:
            return _ingest_rows(conn, text, symbol, interval, source, skip_bad, progress)
        finally:
            text.detach()


def _ingest_rows(
    conn: Connection,
    lines: Iterable[str],
    symbol: Symbol,
    interval: BarInterval,
    source: str,
    skip_bad: bool,
    progress: Progress | None,
) -> IngestReport:
    report = IngestReport(source)
    step = interval.seconds
    columns: list[str] | None = None
    positions: tuple[int, ...] = ()
    with BarStage(conn) as stage:
        reader = csv.reader(counting(lines, progress))
        for number, fields in _csv_rows(reader, source):
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if columns is None:
                header = column_names(fields)
                columns = header or list(OHLCV_COLUMNS[: len(fields)])
                positions = _positions(number, columns, source, header is not None)
                if header is not None:
                    continue
            report.rows += 1
            row = _bar_row(number, fields, len(columns), positions, step)
            if isinstance(row, BadRow):
                report.reject(row)
                continue
            if report.bad_count == 0 or skip_bad:
                stage.add(*row)
                report.seen(from_epoch(row[0]))
        if report.bad_count and not skip_bad:
            raise report.fail()
        if report.rows == 0:
            raise BadInputFile(source, ["has no bar rows" if columns else "is empty"])
        report.stored = stage.merge_bars(symbol, interval, source)
        report.duplicates = stage.staged - report.stored
    return report


def _csv_rows(reader: Any, source: str) -> Iterator[tuple[int, list[str]]]:
    # (line number, fields); a line the csv module cannot read stops the file.
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = str(error)
            if "field limit" in problem:
                problem = f"a field is longer than {csv.field_size_limit():,} characters"
            raise BadInputFile(source, [f"line {reader.line_num}: {problem}"]) from None
        yield reader.line_num, fields


def _positions(number: int, columns: list[str], source: str, named: bool) -> tuple[int, ...]:
    # Where each of Kraken's columns sits in this file's rows.
    if not named and len(columns) not in (6, 7):
        raise BadInputFile(
            source,
            [f"line {number}: expected 6 or 7 columns ({', '.join(OHLCV_COLUMNS)}), "
             f"got {len(columns)}; or give a header line naming them"],
        )  # fmt: skip
    unknown = [c for c in columns if c not in OHLCV_COLUMNS]
    if unknown:
        raise BadInputFile(
            source,
            [f"line {number}: unknown column {', '.join(shown(c) for c in unknown)} "
             f"(the columns are {', '.join(OHLCV_COLUMNS)})"],
        )  # fmt: skip
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise BadInputFile(source, [f"line {number}: column {', '.join(twice)} named twice"])
    missing = [c for c in OHLCV_COLUMNS[:6] if c not in columns]
    if missing:
        raise BadInputFile(source, [f"line {number}: no column named {', '.join(missing)}"])
    return tuple(columns.index(c) for c in OHLCV_COLUMNS if c in columns)


def _bar_row(
    number: int, fields: list[str], width: int, positions: tuple[int, ...], step: int
) -> tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal, int] | BadRow:
    if len(fields) != width:
        return BadRow(number, "row", f"expected {width} fields, got {len(fields)}")
    values: list[Decimal] = []
    names = OHLCV_COLUMNS[1:6]
    try:
        ts = _epoch_seconds_text(fields[positions[0]])
    except ValueError as error:
        return BadRow(number, "timestamp", f"{error} (Unix seconds)")
    if ts % step:
        return BadRow(number, "timestamp", f"{ts} is not a bar opening for this interval")
    for name, position in zip(names, positions[1:6], strict=True):
        text = fields[position]
        try:
            values.append(parse_decimal(text, ""))
        except ValueError as error:
            return BadRow(number, name, str(error))
    trades = 0
    if len(positions) == 7:
        try:
            trades = parse_whole(fields[positions[6]], "", 0, _MAX_TRADES)
        except ValueError as error:
            return BadRow(number, "trades", str(error))
    open_, high, low, close, volume = values
    problems = bar_problems(open_, high, low, close, volume, trades)
    if problems:
        return BadRow(number, problems[0].split()[0], "; ".join(problems))
    return ts, open_, high, low, close, volume, trades


def ingest_ticks_jsonl(
    conn: Connection,
    lines: Iterable[str],
    *,
    source: str,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Stream JSONL ticks into the ticks table inside the caller's transaction."""
    report = IngestReport(source)
    with TickStage(conn) as stage:
        for row in tick_rows(counting(lines, progress)):
            report.rows += 1
            if isinstance(row, BadRow):
                report.reject(row)
            elif report.bad_count == 0 or skip_bad:
                stage.add(row)
                report.seen(row.timestamp)
                report.symbols.add(str(row.symbol))
        if report.bad_count and not skip_bad:
            raise report.fail()
        if report.rows == 0:
            raise BadInputFile(source, ["is empty"])
        report.stored = stage.merge()
        report.duplicates = stage.staged - report.stored
    return report
