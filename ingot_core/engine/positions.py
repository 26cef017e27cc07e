"""Positions: quantity, cost basis and realized PnL, from fills, by the book's booking method.

Cost basis is kept as a total in the quote currency. Under `average` a sell releases basis in
proportion to the quantity it sells. Under `fifo`, `lifo` and `hifo` the position keeps its
lots (quantity and cost of each buy still held) and a sell releases the cost of the lots it
closes: the oldest first, the newest first, or the dearest per unit first (the oldest among
equals). A lot sold in part releases its share, allocated to the quote's minor unit,
half-even, the remainder staying in the lot, so the basis is conserved exactly and a fully
closed position releases all of it. Realized PnL is proceeds minus released basis; fees are
kept apart, and `realized_after_fees` subtracts them.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ingot_core.execution import Fill, OrderSide
from ingot_core.money import EXACT
from ingot_core.symbols import Symbol

__all__ = ["BookingMethod", "Lot", "Position", "apply_fill", "closing_order"]

_ALLOCATE = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


class BookingMethod(StrEnum):
    """Which lots a sell closes (a book's method is set when the book is made)."""

    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    AVERAGE = "average"


Lot = tuple[Decimal, Decimal]
"""One buy still held: (quantity, cost before fees)."""


def closing_order(unit_costs: Sequence[Decimal], method: BookingMethod) -> list[int]:
    """The order in which a sell takes the held lots (given oldest first, by unit cost)."""
    if method is BookingMethod.LIFO:
        return list(reversed(range(len(unit_costs))))
    if method is BookingMethod.HIFO:
        return sorted(range(len(unit_costs)), key=lambda i: -unit_costs[i])
    return list(range(len(unit_costs)))


def share(amount: Decimal, taken: Decimal, whole: Decimal, decimals: int) -> Decimal:
    """`amount` x taken / whole, half-even to `decimals` places."""
    portion = _ALLOCATE.divide(_ALLOCATE.multiply(amount, taken), whole)
    return portion.quantize(Decimal(1).scaleb(-decimals), context=_ALLOCATE)


@dataclass(frozen=True, slots=True)
class Position:
    """What is held in one symbol and what trading it has earned.

    Attributes:
      symbol: the market.
      quantity: base units held (never negative: spot only).
      cost_basis: quote currency paid for what is held.
      realized_pnl: proceeds minus released basis, before fees.
      fees: every fee paid trading this symbol.
      lots: under fifo, lifo and hifo, the buys still held, oldest first (their quantities
        and costs add up to `quantity` and `cost_basis`); empty under average.
    """

    symbol: Symbol
    quantity: Decimal = Decimal(0)
    cost_basis: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    lots: tuple[Lot, ...] = ()

    @property
    def realized_after_fees(self) -> Decimal:
        """Realized PnL net of fees."""
        return EXACT.subtract(self.realized_pnl, self.fees)

    def average_cost(self, places: int = 8) -> Decimal | None:
        """Basis per unit, for display, to `places` decimals; None when flat."""
        if self.quantity == 0:
            return None
        return (self.cost_basis / self.quantity).quantize(
            Decimal(1).scaleb(-places), context=_ALLOCATE
        )

    def market_value(self, mark: Decimal) -> Decimal:
        """Quantity at `mark`, exactly."""
        return EXACT.multiply(self.quantity, mark)


def apply_fill(
    position: Position, fill: Fill, method: BookingMethod = BookingMethod.AVERAGE
) -> Position:
    """The position after `fill`, its sells closing lots by `method`."""
    fees = EXACT.add(position.fees, fill.fee)
    by_lots = method is not BookingMethod.AVERAGE
    if fill.side is OrderSide.BUY:
        return Position(
            position.symbol,
            EXACT.add(position.quantity, fill.quantity),
            EXACT.add(position.cost_basis, fill.cost),
            position.realized_pnl,
            fees,
            (*position.lots, (fill.quantity, fill.cost)) if by_lots else (),
        )
    remaining = EXACT.subtract(position.quantity, fill.quantity)
    if remaining < 0:
        raise ValueError(
            f"selling {fill.quantity} {fill.symbol.base} but only {position.quantity} held"
        )
    decimals = fill.symbol.quote_currency.decimals
    lots: tuple[Lot, ...] = ()
    if remaining == 0:
        released = position.cost_basis
    elif by_lots:
        released, lots = _close_lots(position.lots, fill.quantity, method, decimals)
    else:
        released = share(position.cost_basis, fill.quantity, position.quantity, decimals)
    return Position(
        position.symbol,
        remaining,
        EXACT.subtract(position.cost_basis, released),
        EXACT.add(position.realized_pnl, EXACT.subtract(fill.cost, released)),
        fees,
        lots,
    )


def _close_lots(
    lots: tuple[Lot, ...], quantity: Decimal, method: BookingMethod, decimals: int
) -> tuple[Decimal, tuple[Lot, ...]]:
    """The cost `quantity` releases from `lots`, and the lots left."""
    held = list(lots)
    released, remaining = Decimal(0), quantity
    for index in closing_order([_ALLOCATE.divide(c, q) for q, c in held], method):
        if remaining == 0:
            break
        lot_quantity, lot_cost = held[index]
        taken = min(lot_quantity, remaining)
        cost = lot_cost if taken == lot_quantity else share(lot_cost, taken, lot_quantity,
                                                             decimals)  # fmt: skip
        released = EXACT.add(released, cost)
        remaining = EXACT.subtract(remaining, taken)
        held[index] = (EXACT.subtract(lot_quantity, taken), EXACT.subtract(lot_cost, cost))
    return released, tuple(lot for lot in held if lot[0])
