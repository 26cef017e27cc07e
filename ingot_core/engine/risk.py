"""Risk caps (seed 003): exposure in the quote currency and the number of open orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ingot_core.money import EXACT

__all__ = ["RiskCaps", "risk_veto"]


@dataclass(frozen=True)
class RiskCaps:
    """Limits every new order is checked against (defaults from seed 003).

    Attributes:
      max_exposure: total exposure across symbols, in the quote currency.
      max_symbol_exposure: exposure in any one symbol.
      max_open_orders: resting orders at once.
    """

    max_exposure: Decimal = Decimal("10000")
    max_symbol_exposure: Decimal = Decimal("5000")
    max_open_orders: int = 10


def risk_veto(
    caps: RiskCaps,
    *,
    symbol: str,
    added_exposure: Decimal,
    symbol_exposure: Decimal,
    total_exposure: Decimal,
    open_orders: int,
    rests: bool,
) -> str | None:
    """Why an order adding `added_exposure` must be refused, or None to let it through."""
    if rests and open_orders >= caps.max_open_orders:
        return f"max open orders reached ({open_orders} of {caps.max_open_orders})"
    if added_exposure <= 0:
        return None
    # Summed exactly: the default context would round past 28 digits, and a rounded sum can
    # land on the wrong side of a cap.
    symbol_after = EXACT.add(symbol_exposure, added_exposure)
    if symbol_after > caps.max_symbol_exposure:
        cap = caps.max_symbol_exposure
        return f"{symbol} exposure would be {symbol_after}, above the cap of {cap}"
    total_after = EXACT.add(total_exposure, added_exposure)
    if total_after > caps.max_exposure:
        return f"total exposure would be {total_after}, above the cap of {caps.max_exposure}"
    return None
