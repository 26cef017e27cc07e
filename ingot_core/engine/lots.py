"""Tax lots: every buy opens a lot, every sell closes lots by a booking method.

- fifo: the oldest lots first; lifo: the newest first; hifo: the dearest (highest cost per
  unit) first, the oldest first among equals;
- average: one pooled lot per symbol, as the engine's positions keep it; a sell takes its
  share of the pool's cost.

A lot's cost includes its buy's fee, and a disposal's proceeds are net of its sell's fee, as
tax authorities count them: gain = proceeds - cost. Where a sell closes part of a lot, cost
and fee are shared by quantity and rounded half-even to the quote currency's decimals, so the
parts always add up to the whole. Holding periods of a year or more are long term.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ingot_core.engine.positions import BookingMethod, closing_order, share
from ingot_core.execution import Fill, OrderSide
from ingot_core.symbols import Symbol

__all__ = ["BookingMethod", "ClosedLot", "OpenLot", "book_lots"]

_SHARE = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class OpenLot:
    """What is left of one buy (or, under average, of the pool).

    Attributes:
      symbol: the market; opened_at: when it was bought (the pool: its first buy).
      quantity: base units left; cost: what they cost, fees included.
      order_id: the buy that opened it (the pool: "average").
    """

    symbol: Symbol
    opened_at: datetime
    quantity: Decimal
    cost: Decimal
    order_id: str

    @property
    def unit_cost(self) -> Decimal:
        """Cost per unit, exact to 60 digits (for ordering, never printed as money)."""
        return _SHARE.divide(self.cost, self.quantity)


@dataclass(frozen=True, slots=True)
class ClosedLot:
    """One lot (or part of one) a sell disposed of.

    Attributes:
      symbol, opened_at, closed_at: the market, when it was bought and when sold.
      quantity: base units disposed of.
      cost: their cost basis, fees of the buy included.
      proceeds: what the sell brought for them, its fee deducted.
      gain: proceeds - cost.
      long_term: held a year or more.
      buy_id, sell_id: the orders.
    """

    symbol: Symbol
    opened_at: datetime
    closed_at: datetime
    quantity: Decimal
    cost: Decimal
    proceeds: Decimal
    gain: Decimal
    long_term: bool
    buy_id: str
    sell_id: str


def _part(amount: Decimal, taken: Decimal, whole: Decimal, symbol: Symbol) -> Decimal:
    return share(amount, taken, whole, symbol.quote_currency.decimals)


def _held_a_year(opened: datetime, closed: datetime) -> bool:
    try:
        anniversary = opened.replace(year=opened.year + 1)
    except ValueError:  # 29 February
        anniversary = opened.replace(year=opened.year + 1, day=28)
    return closed >= anniversary


def book_lots(
    fills: Iterable[Fill], method: BookingMethod
) -> tuple[list[OpenLot], list[ClosedLot]]:
    """The lots left open and the disposals, for `fills` in the book's order."""
    lots: dict[Symbol, list[OpenLot]] = {}
    closed: list[ClosedLot] = []
    for fill in fills:
        held = lots.setdefault(fill.symbol, [])
        if fill.side is OrderSide.BUY:
            lot = OpenLot(fill.symbol, fill.filled_at, fill.quantity, fill.cost + fill.fee,
                          fill.order_id)  # fmt: skip
            if method is BookingMethod.AVERAGE and held:
                pool = held[0]
                held[0] = replace(pool, quantity=pool.quantity + lot.quantity,
                                  cost=pool.cost + lot.cost, order_id="average")  # fmt: skip
            else:
                held.append(replace(lot, order_id="average") if method is BookingMethod.AVERAGE
                            else lot)  # fmt: skip
            continue
        closed.extend(_dispose(held, fill, method))
    open_lots = [lot for symbol in sorted(lots, key=str) for lot in lots[symbol]]
    return open_lots, closed


def _dispose(held: list[OpenLot], fill: Fill, method: BookingMethod) -> list[ClosedLot]:
    if sum((lot.quantity for lot in held), Decimal(0)) < fill.quantity:
        raise ValueError(f"selling {fill.quantity} {fill.symbol.base} but only "
                         f"{sum((lot.quantity for lot in held), Decimal(0))} held")  # fmt: skip
    order = closing_order([lot.unit_cost for lot in held], method)
    remaining, proceeds_left = fill.quantity, fill.cost - fill.fee
    disposals, emptied = [], set()
    for index in order:
        if remaining == 0:
            break
        lot = held[index]
        taken = min(lot.quantity, remaining)
        cost = lot.cost if taken == lot.quantity else _part(lot.cost, taken, lot.quantity,
                                                             fill.symbol)  # fmt: skip
        net = fill.cost - fill.fee
        # The last part takes what is left, so the parts add up to the sell's proceeds.
        proceeds = proceeds_left if taken == remaining else _part(net, taken, fill.quantity,
                                                                   fill.symbol)  # fmt: skip
        remaining -= taken
        proceeds_left -= proceeds
        disposals.append(ClosedLot(fill.symbol, lot.opened_at, fill.filled_at, taken, cost,
                                   proceeds, proceeds - cost,
                                   _held_a_year(lot.opened_at, fill.filled_at), lot.order_id,
                                   fill.order_id))  # fmt: skip
        if taken == lot.quantity:
            emptied.add(index)
        else:
            held[index] = replace(lot, quantity=lot.quantity - taken, cost=lot.cost - cost)
    held[:] = [lot for i, lot in enumerate(held) if i not in emptied]
    return disposals
