"""Batch ingestion from files and stdin: OHLCV CSV and JSONL ticks.

OHLCV CSV is Kraken's OHLCVT layout: timestamp (Unix seconds), open, high, low, close,
volume, trades, with no header; or the same columns under a header line naming them
(`trades` may be absent, or called `count`; `timestamp` may be `time`). JSONL ticks are
seed 003's replay format, one object a line: {"symbol", "price", "volume"?, "ts"}, where
`ts` is Unix seconds (a JSON number or a numeric string) or an ISO-8601 instant with a zone.

Every value is parsed exactly (JSON numbers become Decimals, never floats). A bad row is
reported by line and field. Without `skip_bad` one bad row means nothing from the file is
kept: the caller's transaction rolls back. With it, the good rows are kept and the bad ones
reported (the first MAX_REPORTED of them, and how many in all).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from sqlalchemy.engine import Connection

from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, Ticker, bar_problems
from ingot_core.instants import from_epoch
from ingot_core.symbols import Symbol
from ingot_storage.bar_copy import (
    OHLCV_COLUMNS,
    FastPathRefused,
    column_names,
    copy_ohlcv_csv,
    spooled,
)
from ingot_storage.market_data import BarStage, TickStage

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

MAX_REPORTED = 20


@dataclass(frozen=True)
class BadRow:
    """One rejected input row.

    Attributes:
      line: 1-based line number in the input.
      field: the column or key at fault ("row" when the row's shape is wrong).
      problem: what is wrong with it.
    """

    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.problem}"


class BadInputFile(ValidationError):
    """An input file with bad rows; nothing from it was stored."""


@dataclass
class IngestReport:
    """What one ingestion did.

    Attributes:
      source: the file name ("-" for stdin).
      rows: data rows read (good and bad).
      stored: rows that were new.
      duplicates: good rows already stored (re-ingestion is a no-op).
      bad: the first MAX_REPORTED bad rows.
      bad_count: how many rows were bad in all.
      first, last: the earliest and latest timestamp among the good rows.
      symbols: the markets the good rows are for.
    """

    source: str
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    bad: list[BadRow] = field(default_factory=list)
    bad_count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    symbols: set[str] = field(default_factory=set)

    def reject(self, row: BadRow) -> None:
        """Count a bad row, keeping the first few."""
        self.bad_count += 1
        if len(self.bad) < MAX_REPORTED:
            self.bad.append(row)

    def fail(self) -> BadInputFile:
        """The error for a file that had bad rows."""
        problems = [str(b) for b in self.bad]
        if self.bad_count > len(self.bad):
            problems.append(f"... and {self.bad_count - len(self.bad)} more bad rows")
        return BadInputFile(f"{self.source}: {self.bad_count} bad rows, nothing stored", problems)

    def seen(self, moment: datetime) -> None:
        """Widen [first, last] to include `moment`."""
        if self.first is None or moment < self.first:
            self.first = moment
        if self.last is None or moment > self.last:
            self.last = moment


Progress = Callable[[int], None]


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


def _epoch_seconds_text(text: str) -> int:
    value = _decimal(text.strip())
    seconds = int(value)
    if seconds != value:
        raise ValueError(f"{text!r} is not a whole number of seconds")
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
        reader = csv.reader(_counting(lines, progress))
        for fields in reader:
            number = reader.line_num
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
        report.stored = stage.merge_bars(symbol, interval, source)
        report.duplicates = stage.staged - report.stored
    return report


def _positions(number: int, columns: list[str], source: str, named: bool) -> tuple[int, ...]:
    # Where each of Kraken's columns sits in this file's rows.
    if not named and len(columns) not in (6, 7):
        raise BadInputFile(
            source,
            [f"line {number}: expected 6 or 7 columns ({', '.join(OHLCV_COLUMNS)}), "
             f"got {len(columns)}; or give a header line naming them"],
        )  # fmt: skip
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
    except (InvalidOperation, ValueError):
        return BadRow(number, "timestamp", f"{fields[positions[0]]!r} is not Unix seconds")
    if ts % step:
        return BadRow(number, "timestamp", f"{ts} is not a bar opening for this interval")
    for name, position in zip(names, positions[1:6], strict=True):
        text = fields[position]
        try:
            values.append(_decimal(text))
        except InvalidOperation:
            return BadRow(number, name, f"{text!r} is not a number")
    trades = 0
    if len(positions) == 7:
        text = fields[positions[6]]
        try:
            trades = int(text)
        except ValueError:
            return BadRow(number, "trades", f"{text!r} is not a whole number")
    open_, high, low, close, volume = values
    problems = bar_problems(open_, high, low, close, volume, trades)
    if problems:
        return BadRow(number, problems[0].split()[0], "; ".join(problems))
    return ts, open_, high, low, close, volume, trades


def _counting(lines: Iterable[str], progress: Progress | None) -> Iterator[str]:
    if progress is None:
        for line in lines:  # not `yield from`: closing this must not close the caller's file
            yield line
        return
    done = 0
    for line in lines:
        done += len(line)
        yield line
        if done >= 1 << 20:
            progress(done)
            done = 0
    progress(done)


def _timestamp(value: object) -> datetime:
    if isinstance(value, bool):
        raise ValueError("is not a time")
    if isinstance(value, int | Decimal):
        return from_epoch(value)
    if isinstance(value, str):
        try:
            number = _decimal(value.strip())
        except InvalidOperation:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("has no time zone (add Z or +00:00)") from None
            return moment.astimezone(UTC)
        return _timestamp(number)
    raise ValueError("is not Unix seconds or an ISO-8601 instant")


def parse_tick_line(number: int, text: str) -> Ticker | BadRow:
    """One JSONL line as a Ticker, or the reason it is not one."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        return BadRow(number, "row", f"not JSON ({error.msg})")
    if not isinstance(data, dict):
        return BadRow(number, "row", "is not a JSON object")
    for key in ("symbol", "price", "ts"):
        if key not in data:
            return BadRow(number, key, "is missing")
    try:
        symbol = Symbol.parse(str(data["symbol"]))
    except ValueError as error:
        return BadRow(number, "symbol", str(error))
    numbers: dict[str, Decimal | None] = {}
    for key in ("price", "volume"):
        raw = data.get(key)
        if raw is None and key == "volume":
            numbers[key] = None
            continue
        try:
            if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
                raise InvalidOperation
            numbers[key] = _decimal(str(raw))
        except InvalidOperation:
            return BadRow(number, key, f"{raw!r} is not a number")
    price, volume = numbers["price"], numbers["volume"]
    if price is None or price <= 0:
        return BadRow(number, "price", f"must be positive, got {price}")
    if volume is not None and volume < 0:
        return BadRow(number, "volume", f"must not be negative, got {volume}")
    try:
        moment = _timestamp(data["ts"])
    except (ValueError, OverflowError) as error:
        return BadRow(number, "ts", f"{data['ts']!r} {error}")
    trade_id = data.get("trade_id")
    if trade_id is None:
        return Ticker(symbol, price, moment, volume)
    if isinstance(trade_id, bool) or not isinstance(trade_id, int) or not 0 <= trade_id < 2**63:
        return BadRow(number, "trade_id", f"{trade_id!r} is not a whole number 0 to 2^63-1")
    return Ticker(symbol, price, moment, volume, trade_id)


class _PrintNumbers:
    """Numbers the prints of one symbol at one instant 0, 1, 2 … in the order a source lists
    them (a source lists them together, as a tape does), for ticks without a trade id."""

    def __init__(self) -> None:
        self._last: dict[Symbol, tuple[datetime, int]] = {}

    def number(self, tick: Ticker) -> Ticker:
        """`tick` with its ordinal as seq (a tick with a trade id keeps it)."""
        last = self._last.get(tick.symbol)
        ordinal = last[1] + 1 if last is not None and last[0] == tick.timestamp else 0
        self._last[tick.symbol] = (tick.timestamp, ordinal)
        if tick.seq or ordinal == 0:
            return tick
        return replace(tick, seq=ordinal)


def _tick_rows(lines: Iterable[str]) -> Iterator[Ticker | BadRow]:
    numbers = _PrintNumbers()
    for number, line in enumerate(lines, start=1):
        if line.strip():
            row = parse_tick_line(number, line)
            yield row if isinstance(row, BadRow) else numbers.number(row)


def read_ticks(lines: Iterable[str], source: str) -> Iterator[Ticker]:
    """Ticks from JSONL; BadInputFile at the first bad line."""
    for row in _tick_rows(lines):
        if isinstance(row, BadRow):
            raise BadInputFile(source, [str(row)])
        yield row


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
        for row in _tick_rows(_counting(lines, progress)):
            report.rows += 1
            if isinstance(row, BadRow):
                report.reject(row)
            elif report.bad_count == 0 or skip_bad:
                stage.add(row)
                report.seen(row.timestamp)
                report.symbols.add(str(row.symbol))
        if report.bad_count and not skip_bad:
            raise report.fail()
        report.stored = stage.merge()
        report.duplicates = stage.staged - report.stored
    return report
