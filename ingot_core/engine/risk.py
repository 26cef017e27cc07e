"""Risk caps (seed 003): exposure in the quote currency and the number of open orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
    if added_exposure > 0 and symbol_exposure + added_exposure > caps.max_symbol_exposure:
        return (
            f"{symbol} exposure would be {symbol_exposure + added_exposure}, "
            f"above the cap of {caps.max_symbol_exposure}"
        )
    if added_exposure > 0 and total_exposure + added_exposure > caps.max_exposure:
        return (
            f"total exposure would be {total_exposure + added_exposure}, "
            f"above the cap of {caps.max_exposure}"
        )
    return None
