"""Profit and loss over time: realized and unrealized PnL, fees, net and turnover, per period
or per symbol, exactly, in the quote currency.

The fills are replayed in the book's order through the same accounting as the engine's
positions (`apply_fill`, by the book's booking method), from the first fill on, so a period
starts from the positions the earlier fills left. For a period [start, end):

- realized PnL: proceeds less the released cost basis of the sells in it (before fees);
- unrealized PnL: the change in (quantity x mark - cost basis) of every position, from the
  marks at `start` to the marks at `end`;
- fees and turnover (the notional traded) of its fills;
- net = realized + unrealized - fees, which is the change in NAV over the period when
  nothing but trading moved money (a test holds it to the ledger's NAV).

With `base` (the book's currency), a symbol quoted in another currency has its figures
converted at that currency's rate (the mark of QUOTE-BASE): a fill's at the fill's instant, a
position's value at the period's ends. A balance held in that other currency also moves NAV
with the rate; that revaluation is no position's PnL, so net and the NAV change then differ by
it (the report shows both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ingot_core.engine.positions import BookingMethod, Position, apply_fill
from ingot_core.errors import MissingMarks
from ingot_core.execution import Fill
from ingot_core.symbols import Symbol

__all__ = ["Period", "PnlRow", "pnl_by_period", "pnl_by_symbol"]

MarkAt = Callable[[Symbol, datetime], Decimal | None]
"""The last price of a symbol at or before an instant (None: no price yet)."""


@dataclass(frozen=True, slots=True)
class Period:
    """A span of time, [start, end), with the label a report shows for it."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PnlRow:
    """One period's (or one symbol's) figures.

    Attributes:
      key: the period's label, or the symbol.
      realized: realized PnL before fees.
      unrealized: the change in unrealized PnL.
      fees: fees paid.
      net: realized + unrealized - fees.
      turnover: the notional of every fill.
      fills: how many fills.
    """

    key: str
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    net: Decimal
    turnover: Decimal
    fills: int


def _rate(quote: str, base: str | None, mark_at: MarkAt, moment: datetime) -> Decimal:
    """The price of one unit of `quote` in `base` then (1 without a base, or in it)."""
    if base is None or quote == base:
        return Decimal(1)
    rate = mark_at(Symbol(quote, base), moment)
    if rate is None:
        raise MissingMarks(base, (quote,))
    return rate


def _unrealized(
    positions: dict[Symbol, Position], mark_at: MarkAt, moment: datetime, base: str | None
) -> Decimal:
    total = Decimal(0)
    for symbol, p in positions.items():
        if not p.quantity:
            continue
        mark = mark_at(symbol, moment)
        if mark is None:
            raise MissingMarks(symbol.quote, (symbol.base,))
        total += (p.market_value(mark) - p.cost_basis) * _rate(symbol.quote, base, mark_at,
                                                                moment)  # fmt: skip
    return total


def pnl_by_period(
    fills: Iterable[Fill],
    periods: Sequence[Period],
    mark_at: MarkAt,
    booking: BookingMethod = BookingMethod.AVERAGE,
    base: str | None = None,
) -> list[PnlRow]:
    """Each of `periods` (ascending, not overlapping) with its figures; `fills` in book
    order, every fill of the book from its first, sells closing lots by `booking`; with
    `base`, in that currency (the module docstring)."""
    positions: dict[Symbol, Position] = {}
    pending = iter(fills)
    upcoming = next(pending, None)
    rows = []
    for period in periods:
        while upcoming is not None and upcoming.filled_at < period.start:  # before: state only
            _apply(positions, upcoming, booking)
            upcoming = next(pending, None)
        before = _unrealized(positions, mark_at, period.start, base)
        realized = fees = turnover = Decimal(0)
        count = 0
        while upcoming is not None and upcoming.filled_at < period.end:
            rate = _rate(upcoming.symbol.quote, base, mark_at, upcoming.filled_at)
            gained = _apply(positions, upcoming, booking)
            realized += gained * rate
            fees += upcoming.fee * rate
            turnover += upcoming.cost * rate
            count += 1
            upcoming = next(pending, None)
        unrealized = _unrealized(positions, mark_at, period.end, base) - before
        net = realized + unrealized - fees
        rows.append(PnlRow(period.label, realized, unrealized, fees, net, turnover, count))
    return rows


def pnl_by_symbol(
    fills: Iterable[Fill],
    start: datetime | None,
    end: datetime,
    mark_at: MarkAt,
    booking: BookingMethod = BookingMethod.AVERAGE,
    base: str | None = None,
) -> list[PnlRow]:
    """Each symbol traded before `end` with its figures over [start, end) (start None: from
    its first fill); positions never mix across symbols, so each is a period of its own."""
    by_symbol: dict[Symbol, list[Fill]] = {}
    for fill in fills:
        if fill.filled_at < end:
            by_symbol.setdefault(fill.symbol, []).append(fill)
    rows = []
    for symbol in sorted(by_symbol, key=str):
        own = by_symbol[symbol]
        period = Period(str(symbol), start or own[0].filled_at, end)
        [row] = pnl_by_period(own, [period], mark_at, booking, base)
        if row.fills or row.unrealized:
            rows.append(row)
    return rows


def _apply(positions: dict[Symbol, Position], fill: Fill, booking: BookingMethod) -> Decimal:
    """Apply `fill`; return the PnL it realized (before its fee)."""
    before = positions.get(fill.symbol, Position(fill.symbol))
    after = apply_fill(before, fill, booking)
    positions[fill.symbol] = after
    return after.realized_pnl - before.realized_pnl
