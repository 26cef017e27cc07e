"""Rendering results: rich tables on a terminal, the same tables plainly when piped, or JSON.

Commands return data; only this module prints it. Amounts are shown exactly as stored,
never rounded: tables group thousands, JSON carries Decimals as strings.
"""

from __future__ import annotations

import csv
import decimal
import io
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from ingot_core.money import EXACT, fraction_digits
from ingot_core.symbols import Symbol

if TYPE_CHECKING:
    from ingot_storage.trading.orders import OrderRow

__all__ = [
    "Column",
    "Output",
    "counted",
    "format_amount",
    "format_count",
    "money_shown",
    "money_text",
    "order_price_text",
]

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


def counted(value: int, noun: str) -> str:
    """A count and its noun, in the singular for one: 1 entry, 2 entries, 1,000 bars."""
    if value == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        many = noun[:-1] + "ies"
    elif noun.endswith(("s", "x", "ch", "sh")):
        many = noun + "es"
    else:
        many = noun + "s"
    return f"{format_count(value)} {many}"


def money_text(value: Decimal, decimals: int) -> str:
    """An amount for JSON: exact, with the currency's places where that is exact (92000.680
    -> "92000.68", 100000 -> "100000.00"), every digit otherwise; no grouping."""
    return format_amount(value, decimals).replace(",", "")


def money_shown(value: Decimal, decimals: int) -> str:
    """An amount for a table or a line, in the currency's places: exact, or rounded half-even
    and marked with ≈ (a valuation at a mark is rarely a whole number of cents)."""
    unit = Decimal(1).scaleb(-decimals)
    rounded = value.quantize(unit, rounding=decimal.ROUND_HALF_EVEN)
    return format_amount(value, decimals) if rounded == value else f"≈{rounded:,f}"


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
    """A table column: header, alignment, and how it gives way on a narrow terminal: `drop`
    (0 never; otherwise the highest numbers are hidden first) and `wrap` (free text, such as
    a description, wrapped between its words)."""

    header: str
    justify: Justify = "left"
    drop: int = 0
    wrap: bool = False


class Output:
    """Where a command's result goes: a table or line for people, JSON for scripts."""

    def __init__(
        self, *, json_mode: bool = False, csv_mode: bool = False, console: Console | None = None
    ) -> None:
        self.json_mode = json_mode
        self.csv_mode = csv_mode  # tables as CSV on stdout; lines (notes, totals) on stderr
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
        """Write one line of text (rich markup allowed, unless `markup` is False); beside a
        CSV table it goes to stderr, so stdout holds the CSV alone."""
        if self.csv_mode:
            Console(stderr=True, highlight=False).print(text, markup=markup, soft_wrap=True)
            return
        self.console.print(text, markup=markup, soft_wrap=not markup)

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> None:
        """Write rows under upper-case headers, aligned, without borders (seed 000's format).

        No cell is ever folded or cut: on a terminal too narrow for every column, the
        columns that give way (`Column.drop`) are hidden, with a note naming them; a row
        still wider than the terminal runs past its edge (the pager chops it, `less -S`).
        Piped, every column is written in full."""
        rows = [list(row) for row in rows]
        if self.csv_mode:
            _write_csv(columns, rows)
            return
        shown, hidden = _fit(columns, rows, self.console.width if self.console.is_terminal else 0)
        table = Table(box=None, pad_edge=False, padding=(0, 3, 0, 0), header_style="bold")
        for at in shown:
            column = columns[at]
            table.add_column(_shout(column.header), justify=column.justify,
                             no_wrap=not column.wrap)  # fmt: skip
        for row in rows:
            table.add_row(*(row[at] for at in shown))
        needed = _width([columns[at] for at in shown], [[r[at] for r in rows] for at in shown])
        # Rendered at the width the cells need, never less: a console narrower than a row
        # would fold or cut it.
        canvas = Console(file=io.StringIO(), width=max(self.console.width, needed + 3),
                         force_terminal=self.console.is_terminal, highlight=False,
                         color_system=self.console.color_system,
                         no_color=self.console.no_color)  # fmt: skip
        canvas.print(table)
        if hidden:
            plural = "s" if len(hidden) > 1 else ""
            canvas.print(f"({len(hidden)} column{plural} hidden to fit {self.console.width}: "
                         f"{', '.join(hidden)}; a wider terminal or --json shows them)",
                         style="dim", markup=False)  # fmt: skip
        text = canvas.file.getvalue()  # type: ignore[attr-defined]
        if self.console.is_terminal:
            from ingot_cli.pager import show

            show(text, self.console)
            return
        # Piped: the same table without the padding rich leaves at the end of each line.
        sys.stdout.write("".join(line.rstrip() + "\n" for line in text.splitlines()))
        sys.stdout.flush()


def _shout(header: str) -> str:
    """A header in capitals, what it adds in parentheses as written: TIMESTAMP (Asia/Tokyo)."""
    head, paren, rest = header.partition(" (")
    return head.upper() + paren + rest


_GROUPED = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")


def _write_csv(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """The table's columns as CSV: headers as shown, numbers without their grouping commas."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([_shout(c.header) for c in columns])
    for row in rows:
        writer.writerow([cell.replace(",", "") if _GROUPED.fullmatch(cell) else cell
                         for cell in row])  # fmt: skip
    sys.stdout.flush()


def _width(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> int:
    """Characters a row of these columns needs: every cell in full, or for free text its
    longest word (it wraps between words)."""
    widths = []
    for column, values in zip(columns, cells, strict=True):
        if column.wrap:
            longest = max((cell_len(w) for v in values for w in v.split()), default=0)
            widths.append(max(cell_len(column.header), min(longest, 60)))
        else:
            widths.append(max([cell_len(column.header), *(cell_len(v) for v in values)]))
    return sum(widths) + 3 * max(len(widths) - 1, 0)


def _fit(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> tuple[list[int], list[str]]:
    """The columns to show within `width` (0: no limit) and the headers hidden."""
    shown = list(range(len(columns)))
    if not width:
        return shown, []
    give_way = sorted((at for at, c in enumerate(columns) if c.drop),
                      key=lambda at: (-columns[at].drop, -at))  # fmt: skip
    hidden = []
    while give_way and _width([columns[at] for at in shown],
                              [[r[at] for r in rows] for at in shown]) > width:  # fmt: skip
        at = give_way.pop(0)
        shown.remove(at)
        hidden.append(_shout(columns[at].header))
    return shown, hidden


def order_price_text(r: OrderRow) -> str:
    """The fill price, else the limit price, in the quote currency's places (or blank)."""
    price = r.fill_price if r.fill_price is not None else r.price
    if price is None:
        return ""
    return format_amount(price, Symbol.parse(r.symbol).quote_currency.decimals)
