"""What `ingot ticks` shows: the stored ticks, or their statistics per time bucket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ingot_cli.output import Column, Output, format_amount, format_count
from ingot_cli.zone import label, when
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol

__all__ = ["render_buckets", "render_ticks"]

if TYPE_CHECKING:  # the storage type is only named, never needed at import
    from ingot_storage.market.aggregate import TickBucket


def render_ticks(out: Output, symbol: Symbol, ticks: Sequence[Ticker]) -> None:
    """Each tick, oldest first, or JSON."""
    if out.json_mode:
        out.json([{"symbol": str(t.symbol), "timestamp": t.timestamp, "price": t.price,
                   "volume": t.volume, "seq": t.seq} for t in ticks])  # fmt: skip
        return
    if not ticks:
        out.line(f"No ticks stored for {symbol} in that period")
        return
    out.table(
        [Column(f"Time ({label()})"), Column("Price", "right"), Column("Volume", "right"),
         Column("Seq", "right", drop=1)],
        [(when(t.timestamp), format_amount(t.price), "" if t.volume is None else
          format_amount(t.volume), str(t.seq)) for t in ticks],
    )  # fmt: skip


def render_buckets(out: Output, symbol: Symbol, width: str, buckets: Sequence[TickBucket]) -> None:
    """Each bucket's statistics, oldest first, or JSON (exact numbers)."""
    if out.json_mode:
        out.json([{"symbol": str(symbol), "bucket": width, "opens": b.opens, "count": b.count,
                   "first": b.first, "last": b.last, "min": b.low, "max": b.high,
                   "mean": b.mean, "vwap": b.vwap, "volume": b.volume, "p50": b.p50,
                   "p95": b.p95, "p99": b.p99} for b in buckets])  # fmt: skip
        return
    if not buckets:
        out.line(f"No ticks stored for {symbol} in that period")
        return
    out.table(
        [Column(f"{width} from ({label()})"), Column("Ticks", "right"), Column("First", "right"),
         Column("Last", "right"), Column("Min", "right"), Column("Max", "right"),
         Column("Mean", "right", drop=2), Column("VWAP", "right"),
         Column("Volume", "right", drop=3),
         Column("p50", "right", drop=1), Column("p95", "right", drop=1),
         Column("p99", "right", drop=1)],
        [(when(b.opens), format_count(b.count), format_amount(b.first), format_amount(b.last),
          format_amount(b.low), format_amount(b.high), format_amount(b.mean),
          "" if b.vwap is None else format_amount(b.vwap), format_amount(b.volume),
          format_amount(b.p50), format_amount(b.p95), format_amount(b.p99)) for b in buckets],
    )  # fmt: skip
