"""Market data the engine consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ingot_core.symbols import Symbol

__all__ = ["Ticker"]


@dataclass(frozen=True, slots=True)
class Ticker:
    """A last-trade price for one symbol at one instant.

    Attributes:
      symbol: the market.
      price: positive price in the quote currency.
      timestamp: UTC instant.
    """

    symbol: Symbol
    price: Decimal
    timestamp: datetime
