"""What a writer that lost its book never committed, for the one error that reports it."""

from __future__ import annotations

from collections.abc import Iterable

from ingot_core.engine import OrderUpdated, StorageEvent, is_financial
from ingot_storage.errors import BookTaken

__all__ = ["LostWork"]


class LostWork:
    """The financial events (and the orders among them) of batches refused because another
    writer took the book: they are never written, spilled or retried."""

    def __init__(self) -> None:
        self.events = 0
        self.orders: list[str] = []

    def add(self, events: Iterable[StorageEvent]) -> None:
        """Count one refused batch."""
        for event in events:
            if not is_financial(event):
                continue
            self.events += 1
            if isinstance(event, OrderUpdated):
                client_id = event.order.request.client_id
                if client_id not in self.orders:
                    self.orders.append(client_id)

    def error(self, taken: BookTaken) -> BookTaken:
        """`taken`, naming what was not committed."""
        named = ""
        if self.orders:
            more = ", …" if len(self.orders) > 5 else ""
            named = f" (orders {', '.join(self.orders[:5])}{more})"
        detail = (
            f"{self.events} events were not committed{named}; nothing of them will be applied later"
        )
        return BookTaken(taken.holder, detail)
