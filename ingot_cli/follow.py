"""Following the order history live: the last orders, then new ones as they land, in the
book's sequence (`ingot watch`, `ingot history --follow`)."""

from __future__ import annotations

import contextlib
import select
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ingot_cli.output import format_amount, order_price_text
from ingot_cli.session import Session
from ingot_cli.zone import when

if TYPE_CHECKING:
    from ingot_storage.trading.orders import OrderRow

__all__ = ["row_line", "watch"]

_STYLE = {"Buy": "green", "Sell": "red"}


def row_line(row: OrderRow) -> str:
    """One order-history row as a coloured line: buys green, sells red, rejected grey."""
    text = (
        f"{when(row.event_at)}  {row.symbol:<9} {row.side:<4} {row.order_type:<6} "
        f"{format_amount(row.quantity):>12} {order_price_text(row):>12}"
        f"  {row.status}" + (f" ({row.reason})" if row.reason else "")
    )
    style = "grey50" if row.status in ("Rejected", "Cancelled") else _STYLE.get(row.side, "")
    return f"[{style}]{text}[/]" if style else text


@contextlib.contextmanager
def _keypress_watch() -> Iterator[object]:
    """Put a terminal stdin in cbreak mode so a single key can end the view."""
    if not sys.stdin.isatty():
        yield None
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def watch(
    session: Session, symbol: str | None, recent: int, seconds: float | None, poll: float = 0.5
) -> int:
    """Show the last `recent` orders, then new ones as they land; return how many were shown."""
    from rich.console import Console

    from ingot_storage.trading.orders import orders_after, query_orders

    console = Console(highlight=False)
    audit = session.audit
    report = audit.verify_recent()
    chain = (
        f"VALID ({report.entries:,} entries)"
        if report.valid
        else f"BROKEN at seq {report.failure.seq}"
        if report.failure
        else "?"
    )
    console.print(f"[bold]Trade log[/] | audit chain {chain} | press any key to leave")
    with session.database.connect() as conn:
        latest = list(reversed(query_orders(conn, symbol, None, recent)))
    for row in latest:
        console.print(row_line(row))
    shown = len(latest)
    last_seq = max((r.seq for r in latest), default=0)
    if not latest:
        with session.database.connect() as conn:
            last_seq = max((r.seq for r in query_orders(conn, None, None, 1)), default=0)
    deadline = None if seconds is None else time.monotonic() + seconds
    with _keypress_watch() as key_fd:
        while deadline is None or time.monotonic() < deadline:
            with session.database.connect() as conn:
                fresh = orders_after(conn, last_seq)
            for row in fresh:
                last_seq = row.seq
                if symbol is None or row.symbol == symbol:
                    console.print(row_line(row))
                    shown += 1
            if key_fd is not None and select.select([key_fd], [], [], poll)[0]:
                sys.stdin.read(1)
                break
            if key_fd is None:
                time.sleep(poll)
    return shown
