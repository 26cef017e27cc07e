"""Time-range and aggregated queries over the stored market data (seed 001), computed in
PostgreSQL in exact NUMERIC: coarser bars rolled up from finer stored ones, and per-bucket
statistics of ticks.

Sums, extremes and percentiles are PostgreSQL's, exact; a mean (and the volume-weighted mean)
is that exact sum over the count (or volume), to 18 decimal places, half-even.

Buckets open at whole multiples of their width since the Unix epoch, as every bar does
(ingot_core.feed.BarInterval). A rolled-up bar is the first open, the highest high, the lowest
low, the last close, and the summed volume and trades of the finer bars inside it; it is
complete when every finer bar it should hold is stored. Tick buckets give the count, the first
and last price, min and max, the mean and the volume-weighted mean, and the 50th, 95th and 99th
percentiles of price (percentile_disc: a price that was traded, never an interpolation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.symbols import Symbol
from ingot_storage.errors import translate_db_errors

__all__ = ["RolledBar", "TickBucket", "list_ticks", "ratio", "rolled_bars", "tick_buckets"]


@dataclass(frozen=True)
class RolledBar:
    """A bar built from finer stored bars; `parts` of the `expected` finer bars were there."""

    bar: OhlcvBar
    parts: int
    expected: int

    @property
    def complete(self) -> bool:
        """Whether every finer bar of the bucket is stored."""
        return self.parts == self.expected


# Every query: buckets open at whole multiples of their width since the epoch (a bar's rule),
# and the period is [since, until), either end open.
_BUCKET = "to_timestamp(floor(extract(epoch FROM ts) / :width)::bigint * :width) AS bucket"
_PERIOD = (
    "AND (CAST(:since AS timestamptz) IS NULL OR ts >= :since) "
    "AND (CAST(:until AS timestamptz) IS NULL OR ts < :until)"
)

_ROLL = f"""
SELECT bucket,
       (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low,
       (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume,
       sum(trade_count) AS trades, count(*) AS parts
FROM (SELECT *, {_BUCKET}
      FROM ohlcv_bars
      WHERE symbol = :symbol AND interval = :source
        {_PERIOD}) AS finer
GROUP BY bucket ORDER BY bucket DESC LIMIT :limit
"""


@translate_db_errors
def rolled_bars(
    conn: Connection,
    symbol: Symbol,
    interval: BarInterval,
    source: BarInterval,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[RolledBar]:
    """The newest `limit` bars of `interval` rolled up from the stored `source` bars (a finer
    width that divides it), oldest first. ValueError when `source` cannot build `interval`."""
    width, finer = interval.seconds, source.seconds
    if finer >= width or width % finer:
        raise ValueError(f"{interval} bars cannot be built from {source} bars: the finer width "
                         "must divide the coarser")  # fmt: skip
    rows = conn.execute(sa.text(_ROLL), {"width": width, "symbol": str(symbol),
                                         "source": str(source), "since": since, "until": until,
                                         "limit": limit}).all()  # fmt: skip
    return [
        RolledBar(
            OhlcvBar(
                symbol, interval, r.bucket, r.open, r.high, r.low, r.close, r.volume, int(r.trades)
            ),
            int(r.parts),
            width // finer,
        )
        for r in reversed(rows)
    ]


@dataclass(frozen=True)
class TickBucket:
    """Statistics of the ticks in one bucket."""

    opens: datetime
    count: int
    first: Decimal
    last: Decimal
    low: Decimal
    high: Decimal
    mean: Decimal
    vwap: Decimal | None  # None when no tick of the bucket has a volume
    volume: Decimal
    p50: Decimal
    p95: Decimal
    p99: Decimal


_BUCKETS = f"""
SELECT bucket, count(*) AS n,
       (array_agg(price ORDER BY ts, seq))[1] AS first,
       (array_agg(price ORDER BY ts DESC, seq DESC))[1] AS last,
       min(price) AS low, max(price) AS high, sum(price) AS total,
       sum(price * volume) AS notional, coalesce(sum(volume), 0) AS volume,
       percentile_disc(0.50) WITHIN GROUP (ORDER BY price) AS p50,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY price) AS p95,
       percentile_disc(0.99) WITHIN GROUP (ORDER BY price) AS p99
FROM (SELECT *, {_BUCKET}
      FROM ticks
      WHERE symbol = :symbol
        {_PERIOD}) AS inside
GROUP BY bucket ORDER BY bucket DESC LIMIT :limit
"""


@translate_db_errors
def tick_buckets(
    conn: Connection,
    symbol: Symbol,
    width_s: int,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[TickBucket]:
    """The newest `limit` buckets of `width_s` seconds of `symbol`'s ticks, oldest first."""
    rows = conn.execute(sa.text(_BUCKETS), {"width": width_s, "symbol": str(symbol),
                                            "since": since, "until": until,
                                            "limit": limit}).all()  # fmt: skip
    return [
        TickBucket(
            r.bucket,
            int(r.n),
            r.first,
            r.last,
            r.low,
            r.high,
            ratio(r.total, r.n),
            None if not r.volume else ratio(r.notional, r.volume),
            r.volume,
            r.p50,
            r.p95,
            r.p99,
        )
        for r in reversed(rows)
    ]


MEAN_PLACES = Decimal("1e-18")


def ratio(total: Decimal, count: Decimal | int) -> Decimal:
    """An exact sum over a count or volume, to 18 decimal places, half-even (a mean need not
    terminate: 1/3)."""
    with localcontext() as context:
        context.prec = 80
        return (Decimal(total) / Decimal(count)).quantize(MEAN_PLACES, ROUND_HALF_EVEN)


_TICKS = f"""
SELECT ts, price, volume, seq FROM ticks
WHERE symbol = :symbol
  {_PERIOD}
ORDER BY ts DESC, seq DESC LIMIT :limit
"""


@translate_db_errors
def list_ticks(
    conn: Connection, symbol: Symbol, since: datetime | None, until: datetime | None, limit: int
) -> list[Ticker]:
    """The newest `limit` stored ticks of `symbol` in the period, oldest first."""
    rows = conn.execute(sa.text(_TICKS), {"symbol": str(symbol), "since": since,
                                          "until": until, "limit": limit}).all()  # fmt: skip
    return [Ticker(symbol, r.price, r.ts, r.volume, int(r.seq)) for r in reversed(rows)]
