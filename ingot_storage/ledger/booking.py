"""A book's booking method: how its sells close lots (ingot_core.engine.positions).

It is chosen once, from INGOT_BOOKING, when the book's ledger is bootstrapped, and recorded
twice in that transaction: in the books registry, where every later process reads it, and in
the audit trail (a `book_opened` entry), where an auditor sees which method the book's
realized PnL follows. A later INGOT_BOOKING does not change an existing book.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.audit import AuditEvent
from ingot_core.audit.vocabulary import BOOK_OPENED
from ingot_core.engine.positions import BookingMethod
from ingot_storage.errors import translate_db_errors

__all__ = ["book_opened", "booking_of"]

# A connection searches its book's schema first, so current_schema() names its book.
_OWN = sa.text("SELECT booking FROM public.books WHERE schema_name = current_schema()")
_SET = sa.text("UPDATE public.books SET booking = :booking WHERE schema_name = current_schema()")


@translate_db_errors
def booking_of(conn: Connection) -> BookingMethod:
    """The booking method of the book `conn` is for (average for a book not registered)."""
    found = conn.execute(_OWN).scalar_one_or_none()
    return BookingMethod(found or BookingMethod.AVERAGE)


@translate_db_errors
def book_opened(
    conn: Connection, booking: BookingMethod, base_currency: str, actor: str
) -> AuditEvent:
    """Fix the booking method of a book being bootstrapped in the caller's transaction;
    return the audit event that records it."""
    conn.execute(_SET, {"booking": booking.value})
    payload = {"booking": booking.value, "base_currency": base_currency}
    return AuditEvent(BOOK_OPENED, actor, None, payload)
