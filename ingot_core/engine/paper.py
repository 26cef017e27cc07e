"""The paper exchange: fills against marks the way a real exchange settles.

Market orders fill at the mark moved against the taker by `slippage_bps`; limit orders
fill at their limit once a tick crosses it (or at once, at the mark, when marketable).
Like any exchange it settles in its currency's minor unit: the execution price, the cost
(quantity x price) and the fee (cost x fee rate) are each rounded half-even to the quote
currency's decimals, and those settled numbers are what the ledger books, exactly.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ingot_core.execution import (
    OrderAcknowledgment,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
)

__all__ = ["PaperExchange", "settle"]

# The exchange's own settlement rounding: explicit, half-even, to the minor unit.
_SETTLE = decimal.Context(prec=decimal.MAX_PREC, rounding=decimal.ROUND_HALF_EVEN)


def _minor(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), context=_SETTLE)


def settle(
    request: OrderRequest, price: Decimal, fee_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(price, cost, fee) of filling `request` at `price`, settled to the quote's minor unit."""
    decimals = request.symbol.quote_currency.decimals
    px = _minor(price, decimals)
    cost = _minor(_SETTLE.multiply(request.quantity, px), decimals)
    fee = _minor(_SETTLE.multiply(cost, fee_rate), decimals)
    return px, cost, fee


@dataclass
class PaperExchange:
    """Simulated execution with configurable taker fee and slippage.

    Attributes:
      fee_rate: fraction of the cost charged as fee (0.0026 = 0.26%).
      slippage_bps: how far a market order fills beyond the mark, in basis points.
    """

    fee_rate: Decimal = Decimal("0.0026")
    slippage_bps: Decimal = Decimal("5")

    def _filled(
        self, request: OrderRequest, price: Decimal, exchange_id: str, now: datetime
    ) -> OrderAcknowledgment:
        px, cost, fee = settle(request, price, self.fee_rate)
        return OrderAcknowledgment(
            exchange_id, OrderStatus.FILLED, now, px, request.quantity, cost, fee
        )

    def place(
        self, request: OrderRequest, mark: Decimal, exchange_id: str, now: datetime
    ) -> OrderAcknowledgment:
        """Fill a market order at once; fill a marketable limit at the mark, else rest it."""
        if request.type is OrderType.MARKET:
            shift = _SETTLE.multiply(mark, self.slippage_bps).scaleb(-4)  # bps, exactly
            if request.side is OrderSide.BUY:
                price = _SETTLE.add(mark, shift)
            else:
                price = _SETTLE.subtract(mark, shift)
            return self._filled(request, price, exchange_id, now)
        if self.crosses(request, mark):
            return self._filled(request, mark, exchange_id, now)
        return OrderAcknowledgment(exchange_id, OrderStatus.OPEN, now)

    @staticmethod
    def crosses(request: OrderRequest, price: Decimal) -> bool:
        """Whether a trade at `price` reaches a limit order."""
        limit = request.limit_price
        if limit is None:
            return True
        return price <= limit if request.side is OrderSide.BUY else price >= limit

    def on_tick(
        self, request: OrderRequest, price: Decimal, exchange_id: str, now: datetime
    ) -> OrderAcknowledgment | None:
        """A resting limit order's fill at its limit when `price` crosses it, else None."""
        if request.limit_price is None or not self.crosses(request, price):
            return None
        return self._filled(request, request.limit_price, exchange_id, now)
