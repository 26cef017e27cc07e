"""Orders and fills as the engine and the ledger see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ingot_core.symbols import Symbol

__all__ = ["Fill", "OrderSide"]


class OrderSide(StrEnum):
    """Buy or sell; values match the database CHECK."""

    BUY = "Buy"
    SELL = "Sell"


@dataclass(frozen=True, slots=True)
class Fill:
    """An executed quantity of an order, as settled by the exchange.

    Attributes:
      order_id: the exchange's or the client's id of the order filled.
      symbol: the market traded.
      side: Buy or Sell.
      quantity: base units filled, positive.
      price: execution price in the quote currency, positive.
      cost: the settled notional in the quote currency, as the exchange booked it.
      fee: the fee in the quote currency, zero or more.
      filled_at: timezone-aware UTC instant of the fill.
    """

    order_id: str
    symbol: Symbol
    side: OrderSide
    quantity: Decimal
    price: Decimal
    cost: Decimal
    fee: Decimal
    filled_at: datetime
