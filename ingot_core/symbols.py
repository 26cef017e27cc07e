"""Trading symbols: a base asset priced in a quote currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily below: accounting imports execution, which imports this
    from ingot_core.accounting.currency import Currency

__all__ = ["Symbol"]

_SYMBOL = re.compile(r"^([A-Za-z0-9]{2,12})[-/]([A-Za-z0-9]{2,12})$")


@dataclass(frozen=True, slots=True)
class Symbol:
    """A market, written BASE-QUOTE ("BTC-USD").

    Attributes:
      base: the asset bought and sold.
      quote: the currency its price is in.
    """

    base: str
    quote: str

    @classmethod
    def parse(cls, text: str) -> Symbol:
        """Parse "BTC-USD" or "btc/usd"; raise ValueError naming the text otherwise."""
        match = _SYMBOL.match(text.strip())
        if match is None or match.group(1).upper() == match.group(2).upper():
            raise ValueError(f"symbol {text!r} must look like BASE-QUOTE, e.g. BTC-USD")
        return cls(match.group(1).upper(), match.group(2).upper())

    @property
    def base_currency(self) -> Currency:
        """The base asset as a ledger currency."""
        return _currency(self.base)

    @property
    def quote_currency(self) -> Currency:
        """The quote currency as a ledger currency."""
        return _currency(self.quote)

    def __str__(self) -> str:
        return f"{self.base}-{self.quote}"


def _currency(code: str) -> Currency:
    # Bound on first use (an import here at module level would be circular), then called
    # directly: every fill asks a symbol for its currencies several times.
    global _currency
    from ingot_core.accounting.currency import currency

    _currency = currency
    return currency(code)
