"""What placing an order can come to: the engine's modes, its result and its refusals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ingot_core.errors import IngotError, ValidationError
from ingot_core.execution import Order

__all__ = [
    "InvalidOrder",
    "LiveTradingUnavailable",
    "PlaceResult",
    "TradingMode",
    "UnknownOrder",
    "refuse_unavailable_mode",
]


class TradingMode(StrEnum):
    """SHADOW records intended orders; PAPER fills them on the paper exchange; LIVE is real."""

    SHADOW = "shadow"
    PAPER = "paper"
    LIVE = "live"


class InvalidOrder(ValidationError):
    """A malformed order request; nothing was recorded."""


class UnknownOrder(IngotError):
    """An order id the engine does not know, or one that cannot be changed."""


class LiveTradingUnavailable(IngotError):
    """LIVE mode was asked for; it fails closed."""


@dataclass(frozen=True)
class PlaceResult:
    """The order after placing it, and whether this call created it.

    Attributes:
      order: its state now.
      created: False when the client id was already used (nothing new happened).
    """

    order: Order
    created: bool


def refuse_unavailable_mode(mode: TradingMode, live_armed: bool = False) -> None:
    """Raise LiveTradingUnavailable for LIVE: it fails closed until a live adapter ships."""
    if mode is TradingMode.LIVE:
        armed = "armed, but " if live_armed else "not armed, and "
        raise LiveTradingUnavailable(
            f"LIVE mode is {armed}no live exchange adapter ships with this release; "
            "use PAPER (the default) or SHADOW"
        )
