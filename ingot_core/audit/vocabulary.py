"""The audit trail's event types: every kind of entry Ingot appends, named once.

The writer, the book's snapshots, `ingot audit --type` and the REPL's completion all take
their names from here.
"""

from __future__ import annotations

from ingot_core.execution import OrderStatus

__all__ = [
    "ACCOUNT_CREATED",
    "BOOK_OPENED",
    "BOOK_SNAPSHOT",
    "EQUITY_SNAPSHOT",
    "EVENT_TYPES",
    "POSITION_SNAPSHOT",
    "SIGNAL_RAISED",
    "TRANSACTION_POSTED",
    "order_event",
]

BOOK_OPENED = "book_opened"
ACCOUNT_CREATED = "account_created"
TRANSACTION_POSTED = "transaction_posted"
POSITION_SNAPSHOT = "position_snapshot"
EQUITY_SNAPSHOT = "equity_snapshot"
SIGNAL_RAISED = "signal_raised"
BOOK_SNAPSHOT = "book_snapshot"


def order_event(status: OrderStatus) -> str:
    """The event type of an order reaching `status`: order_open, order_filled, …"""
    return f"order_{status.value.lower()}"


EVENT_TYPES = (
    BOOK_OPENED,
    ACCOUNT_CREATED,
    TRANSACTION_POSTED,
    *(order_event(status) for status in OrderStatus),
    POSITION_SNAPSHOT,
    EQUITY_SNAPSHOT,
    SIGNAL_RAISED,
    BOOK_SNAPSHOT,
)
"""Every event type, in the order a book first writes them."""
