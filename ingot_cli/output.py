"""Rendering results: rich tables on a terminal, the same tables plainly when piped, or JSON.

Commands return data; only this module prints it. Amounts are shown exactly as stored,
never rounded: tables group thousands, JSON carries Decimals as strings.
"""

from __future__ import annotations

import decimal
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from rich.console import Console
from rich.table import Table

from ingot_core.money import EXACT, fraction_digits
from ingot_core.symbols import Symbol

if TYPE_CHECKING:
    from ingot_storage.trading.orders import OrderRow

__all__ = ["Column", "Output", "format_amount", "format_count", "order_price_text"]

Justify = Literal["left", "right"]

# Dropping trailing zeros signals Rounded; dropping any other digit also signals Inexact,
# which stays trapped.
_ZEROS_ONLY = EXACT.copy()
_ZEROS_ONLY.traps[decimal.Rounded] = False


def format_amount(value: Decimal, decimals: int = 0) -> str:
    """An exact Decimal with thousands grouped, shown with `decimals` places where exact.

    1234567.5 -> "1,234,567.50" and 92000.0000 -> "92,000.00" for decimals=2: only zeros
    are added or dropped. A value with more significant places keeps every one of them
    (0.12345678 stays "0.12345678").
    """
    if fraction_digits(value) != decimals:
        try:
            value = value.quantize(Decimal(1).scaleb(-decimals), context=_ZEROS_ONLY)
        except decimal.Inexact:
            value = value.normalize(context=_ZEROS_ONLY)
    return format(value, ",f")


def format_count(value: int) -> str:
    """A count with thousands grouped."""
    return f"{value:,}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


@dataclass(frozen=True)
class Column:
    """A table column: header and alignment."""

    header: str
    justify: Justify = "left"


class Output:
    """Where a command's result goes: a table or line for people, JSON for scripts."""

    def __init__(self, *, json_mode: bool = False, console: Console | None = None) -> None:
        self.json_mode = json_mode
        self._console = console

    @property
    def console(self) -> Console:
        """The stdout console; wide and colourless when stdout is not a terminal."""
        if self._console is None:
            console = Console(highlight=False)
            if not console.is_terminal:
                # Piped output is read by scripts: never wrap or truncate a row.
                console = Console(highlight=False, width=1000, no_color=True)
            self._console = console
        return self._console

    def json(self, data: Any) -> None:
        """Write `data` as indented JSON."""
        sys.stdout.write(json.dumps(data, indent=2, default=_jsonable) + "\n")
        sys.stdout.flush()

    def line(self, text: str, *, markup: bool = True) -> None:
        """Write one line of text (rich markup allowed, unless `markup` is False)."""
        self.console.print(text, markup=markup, soft_wrap=not markup)

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> None:
        """Write rows under upper-case headers, aligned, without borders (seed 000's format)."""
        table = Table(box=None, pad_edge=False, padding=(0, 3, 0, 0), header_style="bold")
        for column in columns:
            # Fold rather than truncate: a narrow terminal must never hide part of a value.
            header = column.header.upper()
            table.add_column(header, justify=column.justify, overflow="fold", min_width=len(header))
        for row in rows:
            table.add_row(*row)
        if self.console.is_terminal:
            from ingot_cli.pager import show

            with self.console.capture() as captured:
                self.console.print(table)
            show(captured.get(), self.console)
            return
        # Piped: the same table without the padding rich leaves at the end of each line.
        with self.console.capture() as captured:
            self.console.print(table)
        sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
        sys.stdout.flush()


def order_price_text(r: OrderRow) -> str:
    """The fill price, else the limit price, in the quote currency's places (or blank)."""
    price = r.fill_price if r.fill_price is not None else r.price
    if price is None:
        return ""
    return format_amount(price, Symbol.parse(r.symbol).quote_currency.decimals)
