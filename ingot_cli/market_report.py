"""What the market-data commands report, and how it is printed: ingestion summaries, Kraken
backfills, stored bars (table, chart or JSON) and gap reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from ingot_cli.chart import time_chart
from ingot_cli.output import Column, Output, counted, format_amount, format_count
from ingot_cli.zone import MINUTES, label, when
from ingot_core.bars import Gap
from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.symbols import Symbol

if TYPE_CHECKING:
    from ingot_storage.market.backfill import HistoryReport
    from ingot_storage.market.files import IngestReport

__all__ = [
    "BarsView",
    "GapReport",
    "render_bars",
    "render_gaps",
    "render_history",
    "render_ingest",
]


@dataclass(frozen=True)
class BarsView:
    """What `ingot bars` shows."""

    symbol: Symbol
    interval: BarInterval
    bars: list[OhlcvBar]
    source: BarInterval | None = None  # rolled up from stored bars of this width
    parts: list[tuple[int, int]] | None = None  # each bar's finer bars: stored, expected


@dataclass(frozen=True)
class GapReport:
    """Missing bars of one series in a range."""

    symbol: Symbol
    interval: BarInterval
    start: datetime | None
    end: datetime | None
    stored: int
    gaps: list[Gap]

    @property
    def missing(self) -> int:
        """Bars missing in all."""
        return sum(g.missing for g in self.gaps)


def render_ingest(out: Output, report: IngestReport, what: str) -> None:
    """One summary line (plus the bad rows skipped), or JSON."""
    if out.json_mode:
        out.json(
            {
                "source": report.source,
                "rows": report.rows,
                "stored": report.stored,
                "duplicates": report.duplicates,
                "bad": report.bad_count,
                "bad_rows": [str(b) for b in report.bad],
                "first": report.first,
                "last": report.last,
            }
        )
    else:
        span = ""
        if report.first is not None and report.last is not None:
            span = f", {when(report.first, MINUTES)} to {when(report.last, MINUTES)} {label()}"
        out.line(
            f"Ingested {report.source}: {format_count(report.stored)} new {what}, "
            f"{format_count(report.duplicates)} already stored, "
            f"{format_count(report.bad_count)} bad rows skipped{span}"
        )
    for bad in report.bad:
        typer.echo(f"skipped {report.source} {bad}", err=True)
    if report.bad_count > len(report.bad):
        typer.echo(f"... and {report.bad_count - len(report.bad)} more bad rows", err=True)


def render_history(
    out: Output, report: HistoryReport, symbol: Symbol, interval: BarInterval
) -> None:
    """What a Kraken ingestion stored."""
    forming = report.forming
    if out.json_mode:
        out.json(
            {
                "symbol": str(symbol),
                "interval": str(interval),
                "stored": report.stored,
                "from_ohlc": report.from_ohlc,
                "from_trades": report.from_trades,
                "resumed_from": report.resumed_from,
                "forming_bar": None if forming is None else forming.timestamp,
                "calls": report.calls,
            }
        )
        return
    if report.resumed_from is not None:
        out.line(
            f"Resumed the interrupted backfill from {when(report.resumed_from, MINUTES)} {label()}"
        )
    out.line(
        f"Kraken {symbol} {interval}: {format_count(report.stored)} new bars "
        f"({format_count(report.from_ohlc)} from OHLC, {format_count(report.from_trades)} "
        f"rebuilt from trades) in {report.calls} calls"
    )
    if forming is not None:
        out.line(f"Bar {when(forming.timestamp, MINUTES)} {label()} is still forming: not stored")


def _completeness(view: BarsView, n: int) -> dict[str, object]:
    if view.parts is None:
        return {}
    stored, expected = view.parts[n]
    return {"from": str(view.source), "parts": stored, "expected": expected,
            "complete": stored == expected}  # fmt: skip


def _parts_text(stored: int, expected: int) -> str:
    return "all" if stored == expected else f"{stored}/{expected} (incomplete)"


def render_bars(out: Output, view: BarsView, chart: bool) -> None:
    """Seed-style bar table plus a close-price chart, or JSON."""
    if out.json_mode:
        out.json(
            [
                {
                    "symbol": str(b.symbol),
                    "interval": str(b.interval),
                    "timestamp": b.timestamp,
                    "open": b.open,
                    "high": b.high,
                    "low": b.low,
                    "close": b.close,
                    "volume": b.volume,
                    "trades": b.trade_count,
                    **_completeness(view, n),
                }
                for n, b in enumerate(view.bars)
            ]
        )
        return
    if not view.bars:
        out.line(f"No {view.interval} bars stored for {view.symbol}")
        return
    places = view.symbol.quote_currency.decimals
    out.table(
        [
            Column(f"Timestamp ({label()})"),
            Column("Open", "right"),
            Column("High", "right"),
            Column("Low", "right"),
            Column("Close", "right"),
            Column("Volume", "right"),
            Column("Trades", "right"),
            *([Column(f"{view.source} bars", "right")] if view.parts is not None else []),
        ],
        [
            (
                f"{when(b.timestamp, MINUTES)}",
                format_amount(b.open, places),
                format_amount(b.high, places),
                format_amount(b.low, places),
                format_amount(b.close, places),
                format_amount(b.volume),
                format_count(b.trade_count),
                *([] if view.parts is None else [_parts_text(*view.parts[n])]),
            )
            for n, b in enumerate(view.bars)
        ],
    )
    if view.parts is not None:
        short = sum(stored < expected for stored, expected in view.parts)
        out.line(f"Built from stored {view.source} bars; "
                 + (f"{counted(short, 'bar')} incomplete (marked)" if short else "all complete"),
                 markup=False)  # fmt: skip
    if chart:
        closes = time_chart([b.timestamp for b in view.bars], [b.close for b in view.bars],
                            f"{view.symbol} {view.interval} close ({label()})")  # fmt: skip
        for line in closes:
            out.line(line, markup=False)


def render_gaps(out: Output, report: GapReport) -> None:
    """Each missing run, or JSON."""
    if out.json_mode:
        out.json(
            {
                "symbol": str(report.symbol),
                "interval": str(report.interval),
                "start": report.start,
                "end": report.end,
                "stored": report.stored,
                "missing": report.missing,
                "gaps": [
                    {"start": g.start, "end": g.end, "missing": g.missing} for g in report.gaps
                ],
            }
        )
        return
    if report.start is None or report.end is None:
        out.line(f"No {report.interval} bars stored for {report.symbol}; give --since and --until")
        return
    span = f"{when(report.start, MINUTES)} to {when(report.end, MINUTES)} {label()}"
    if not report.gaps:
        out.line(f"{report.symbol} {report.interval}: no gaps from {span}")
        return
    out.table(
        [Column(f"Missing from ({label()})"), Column("Missing to"), Column("Bars", "right")],
        [
            (f"{when(g.start, MINUTES)}", f"{when(g.end, MINUTES)}", format_count(g.missing))
            for g in report.gaps
        ],
    )
    out.line(
        f"{report.symbol} {report.interval}: {counted(report.missing, 'bar')} missing "
        f"in {counted(len(report.gaps), 'gap')} from {span}"
    )
