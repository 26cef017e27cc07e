"""Positions: quantity, cost basis and realized PnL, from fills.

Cost basis is kept as a total in the quote currency. Selling part of a position releases
basis in proportion; the released share is allocated to the quote's minor unit, half-even,
and the remainder stays in the basis, so the total basis is conserved exactly and a fully
closed position releases all of it. Realized PnL is proceeds minus released basis; fees
are kept apart, and `realized_after_fees` subtracts them.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

from ingot_core.execution import Fill, OrderSide
from ingot_core.money import EXACT
from ingot_core.symbols import Symbol

__all__ = ["Position", "apply_fill"]

_ALLOCATE = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Position:
    """What is held in one symbol and what trading it has earned.

    Attributes:
      symbol: the market.
      quantity: base units held (never negative: spot only).
      cost_basis: quote currency paid for what is held.
      realized_pnl: proceeds minus released basis, before fees.
      fees: every fee paid trading this symbol.
    """

    symbol: Symbol
    quantity: Decimal = Decimal(0)
    cost_basis: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)

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


def apply_fill(position: Position, fill: Fill) -> Position:
    """The position after `fill`."""
    fees = EXACT.add(position.fees, fill.fee)
    if fill.side is OrderSide.BUY:
        return Position(
            position.symbol,
            EXACT.add(position.quantity, fill.quantity),
            EXACT.add(position.cost_basis, fill.cost),
            position.realized_pnl,
            fees,
        )
    remaining = EXACT.subtract(position.quantity, fill.quantity)
    if remaining < 0:
        raise ValueError(
            f"selling {fill.quantity} {fill.symbol.base} but only {position.quantity} held"
        )
    if remaining == 0:
        released = position.cost_basis
    else:
        unit = Decimal(1).scaleb(-fill.symbol.quote_currency.decimals)
        share = _ALLOCATE.divide(
            _ALLOCATE.multiply(position.cost_basis, fill.quantity), position.quantity
        )
        released = share.quantize(unit, context=_ALLOCATE)
    return Position(
        position.symbol,
        remaining,
        EXACT.subtract(position.cost_basis, released),
        EXACT.add(position.realized_pnl, EXACT.subtract(fill.cost, released)),
        fees,
    )
