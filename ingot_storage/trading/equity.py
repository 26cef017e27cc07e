"""The book's equity over time: the NAV snapshots the engine stores after each fill, read back
in time order for the equity curve."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_storage.db.database import in_period, stream_rows
from ingot_storage.db.tables import equity_snapshots

__all__ = ["iter_equity"]


def iter_equity(
    conn: Connection, currency: str, since: datetime | None, until: datetime | None
) -> Iterator[tuple[datetime, Decimal]]:
    """(instant, NAV in `currency`) of each snapshot from `since` (inclusive) to `until`
    (exclusive), oldest first."""
    query = (
        sa.select(equity_snapshots.c.at, equity_snapshots.c.nav)
        .where(equity_snapshots.c.currency == currency)
        .order_by(equity_snapshots.c.at)
    )
    query = in_period(query, equity_snapshots.c.at, since, until)
    for row in stream_rows(conn, query, 5000):
        yield row.at, row.nav
