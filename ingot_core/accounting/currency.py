"""Currencies and their precision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DEFAULT_DECIMALS", "KNOWN_DECIMALS", "Currency", "currency"]

_CODE = re.compile(r"^[A-Z0-9]{2,12}$")
MAX_DECIMALS = 18

# Ledger precision of the currencies Ingot meets most. An unknown code gets DEFAULT_DECIMALS.
KNOWN_DECIMALS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "JPY": 0,
    "USDT": 6,
    "USDC": 6,
    "BTC": 8,
    "XBT": 8,
    "ETH": 18,
    "SOL": 9,
    "LTC": 8,
    "XRP": 6,
    "ADA": 6,
    "DOT": 10,
    "DOGE": 8,
}
DEFAULT_DECIMALS = 8


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency or asset the ledger can hold.

    Attributes:
      code: upper-case ticker, 2 to 12 letters or digits ("USD", "BTC").
      decimals: the most digits after the point an amount in it may carry (0-18).
    """

    code: str
    decimals: int

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise ValueError(
                f"currency code {self.code!r} must be 2-12 upper-case letters or digits"
            )
        if not 0 <= self.decimals <= MAX_DECIMALS:
            raise ValueError(
                f"currency {self.code} decimals {self.decimals} must be 0-{MAX_DECIMALS}"
            )

    def __str__(self) -> str:
        return self.code


@lru_cache(maxsize=1024)  # Currency is immutable; symbols ask for theirs on every fill
def currency(code: str) -> Currency:
    """The Currency for a code, with its known precision or the default one."""
    normalized = code.strip().upper()
    return Currency(normalized, KNOWN_DECIMALS.get(normalized, DEFAULT_DECIMALS))
