"""JSONL ticks (seed 003's replay format): one object a line, {"symbol", "price", "volume"?,
"ts", "trade_id"?}, where `ts` is Unix seconds (a JSON number or a numeric string) or an
ISO-8601 instant with a zone. Numbers are read exactly and bounded (ingot_core.numbers).
Prints without a trade id are numbered by their order among the prints of the same instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from ingot_core.feed import Ticker
from ingot_core.instants import from_epoch, parse_instant
from ingot_core.numbers import bounded_decimal, loads_json, parse_decimal, shown
from ingot_core.symbols import Symbol
from ingot_storage.market.ingest_report import LAST_SECOND, BadInputFile, BadRow

__all__ = ["parse_tick_data", "parse_tick_line", "read_ticks", "tick_rows"]


def _timestamp(value: object) -> datetime:
    # Unix seconds (a JSON number or a numeric string) or an ISO-8601 instant with a zone.
    if isinstance(value, str):
        text = value
        try:
            value = parse_decimal(text, "")
        except ValueError:
            return _iso_instant(text)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{shown(str(value))} is not Unix seconds or an ISO-8601 instant")
    if not 0 <= value <= LAST_SECOND:
        raise ValueError(f"{shown(str(value))} is not a time between 1970 and 9999")
    try:
        return from_epoch(value)
    except ValueError as error:
        raise ValueError(f"{shown(str(value))} {error}") from None


def _iso_instant(text: str) -> datetime:
    try:
        return parse_instant(text, zone_required=True)
    except ValueError as error:
        if "ISO-8601" in str(error):
            raise ValueError(f"{shown(text)} is not Unix seconds or an ISO-8601 instant") from None
        raise ValueError(f"{shown(text)} {error}") from None


def _number(raw: object) -> Decimal:
    # A JSON number or a numeric string, bounded like every number Ingot reads.
    if isinstance(raw, str):
        return parse_decimal(raw, "")
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
        raise ValueError(f"{shown(str(raw))} is not a number")
    return bounded_decimal(Decimal(raw), "")


def parse_tick_line(number: int, text: str) -> Ticker | BadRow:
    """One JSONL line as a Ticker, or the reason it is not one."""
    try:
        data = loads_json(text)
    except ValueError as error:
        return BadRow(number, "row", str(error))
    return parse_tick_data(number, data)


def parse_tick_data(number: int, data: object) -> Ticker | BadRow:
    """One tick object (read with exact numbers) as a Ticker, or the reason it is not one."""
    if not isinstance(data, dict):
        return BadRow(number, "row", "is not a JSON object")
    for key in ("symbol", "price", "ts"):
        if key not in data:
            return BadRow(number, key, "is missing")
    if not isinstance(data["symbol"], str):
        return BadRow(number, "symbol", f"{shown(str(data['symbol']))} is not a market name")
    try:
        symbol = Symbol.parse(data["symbol"])
    except ValueError as error:
        return BadRow(number, "symbol", str(error))
    numbers: dict[str, Decimal | None] = {}
    for key in ("price", "volume"):
        raw = data.get(key)
        if raw is None and key == "volume":
            numbers[key] = None
            continue
        try:
            numbers[key] = _number(raw)
        except ValueError as error:
            return BadRow(number, key, str(error))
    price, volume = numbers["price"], numbers["volume"]
    if price is None or price <= 0:
        return BadRow(number, "price", f"must be positive, got {price}")
    if volume is not None and volume < 0:
        return BadRow(number, "volume", f"must not be negative, got {volume}")
    try:
        moment = _timestamp(data["ts"])
    except ValueError as error:
        return BadRow(number, "ts", str(error))
    trade_id = data.get("trade_id")
    if trade_id is None:
        return Ticker(symbol, price, moment, volume)
    if isinstance(trade_id, bool) or not isinstance(trade_id, int) or not 0 <= trade_id < 2**63:
        return BadRow(
            number, "trade_id", f"{shown(str(trade_id))} is not a whole number 0 to 2^63-1"
        )
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


def tick_rows(lines: Iterable[str]) -> Iterator[Ticker | BadRow]:
    """Each non-blank line as a numbered Ticker, or the reason it is not one."""
    numbers = _PrintNumbers()
    for number, line in enumerate(lines, start=1):
        if line.strip():
            row = parse_tick_line(number, line)
            yield row if isinstance(row, BadRow) else numbers.number(row)


def read_ticks(lines: Iterable[str], source: str) -> Iterator[Ticker]:
    """Ticks from JSONL; BadInputFile at the first bad line."""
    for row in tick_rows(lines):
        if isinstance(row, BadRow):
            raise BadInputFile(source, [str(row)])
        yield row
