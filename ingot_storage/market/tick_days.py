"""Each UTC day of ticks is a partition of `ticks` (migration 0014), made before its first row
by the owner's function `ingot_ticks_partition`: the writer's batches and the file ingester
both ask for their days first (an existing day costs one catalog lookup)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["ensure_staged_tick_days", "ensure_tick_days"]


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ensure_tick_days(conn: Connection, instants: Iterable[datetime]) -> None:
    """Make the partitions of the days `instants` fall in, in the caller's transaction."""
    for day in sorted({_day(moment) for moment in instants}):
        conn.execute(sa.select(sa.func.public.ingot_ticks_partition(day)))


def ensure_staged_tick_days(conn: Connection, stage: str) -> None:
    """The same for the ticks staged in the temporary table `stage`."""
    conn.execute(sa.text(
        "SELECT public.ingot_ticks_partition(day) FROM (SELECT DISTINCT date_trunc('day', ts "
        f"AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day FROM {stage}) AS days "
        "ORDER BY day"))  # fmt: skip
