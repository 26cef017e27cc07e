"""What a strategy asks for: a side, on a market, at a price, for a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ingot_core.execution import OrderSide
from ingot_core.symbols import Symbol

__all__ = ["Signal"]


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy's decision at one tick.

    Attributes:
      strategy: the strategy's registry name ("sma").
      symbol: the market.
      side: buy or sell.
      reason: a stable reason code ("SMA_CROSSOVER").
      price: the tick price that triggered it.
      timestamp: the tick's instant.
      indicators: the values the decision was made on, by name (e.g. short and long SMA).
    """

    strategy: str
    symbol: Symbol
    side: OrderSide
    reason: str
    price: Decimal
    timestamp: datetime
    indicators: tuple[tuple[str, Decimal], ...] = ()
