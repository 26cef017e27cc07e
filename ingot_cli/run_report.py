"""A strategy run's summary as a trader reads it: printed when the run ends, and again by
`ingot report run`; side by side for every run by `ingot report runs`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from ingot_cli.output import Column, Output, counted, format_amount, format_count
from ingot_cli.zone import label, when
from ingot_core.accounting import currency
from ingot_core.engine.run_report import RunSummary

__all__ = ["render_runs", "render_summary", "summary_lines"]


def _percent(fraction: Decimal | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.2f}%"  # display only


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{when(moment)}"


def _exposure(s: RunSummary) -> Decimal | None:
    return None if not s.duration_seconds else s.exposed_seconds / s.duration_seconds


def summary_lines(s: RunSummary) -> list[str]:
    """The summary as lines of text, amounts exact at the book currency's decimals."""
    places = currency(s.currency).decimals

    def money(amount: Decimal) -> str:
        return format_amount(amount, places)

    duration = timedelta(seconds=float(s.duration_seconds))  # display only
    drawdown = f"max drawdown {money(s.max_drawdown)} {s.currency}" + (
        f" ({_when(s.drawdown_peak_at)} -> {_when(s.drawdown_trough_at)})"
        if s.drawdown_trough_at is not None
        else ""
    )
    return [
        f"trades {format_count(s.trades)}, wins {s.wins}, losses {s.losses}, "
        f"win rate {_percent(s.win_rate)}",
        f"PnL gross {money(s.gross_pnl)}, fees {money(s.fees)}, net {money(s.net_pnl)} "
        f"{s.currency}",
        drawdown,
        f"exposure {_percent(_exposure(s))} of {duration} "
        f"({_when(s.started_at)} -> {_when(s.ended_at)})",
        f"equity {money(s.first_equity)} -> {money(s.last_equity)} {s.currency}",
    ]


def render_summary(out: Output, s: RunSummary) -> None:
    """One run's summary: its lines, or its JSON."""
    if out.json_mode:
        out.json(s.as_data())
        return
    out.line(f"run {s.run_id}: {s.strategy} in book {s.book}, {s.mode.upper()} mode, "
             f"{counted(s.ticks, 'tick')}", markup=False)  # fmt: skip
    for line in summary_lines(s):
        out.line(f"  {line}", markup=False)


def render_runs(out: Output, runs: Sequence[RunSummary]) -> None:
    """Runs side by side with their headline figures, or JSON."""
    if out.json_mode:
        out.json([s.as_data() for s in runs])
        return
    if not runs:
        out.line("No strategy runs kept yet: 'ingot strategy run' keeps each one's summary.")
        return
    out.table(
        [
            Column("Run"),
            Column("Strategy"),
            Column("Book", drop=1),
            Column(f"Ended ({label()})", drop=2),
            Column("Trades", "right"),
            Column("Win rate", "right"),
            Column("Net PnL", "right"),
            Column("Fees", "right"),
            Column("Max DD", "right"),
            Column("Ccy"),
        ],
        [
            (
                s.run_id,
                s.strategy,
                s.book,
                _when(s.ended_at),
                format_count(s.trades),
                _percent(s.win_rate),
                format_amount(s.net_pnl, currency(s.currency).decimals),
                format_amount(s.fees, currency(s.currency).decimals),
                format_amount(s.max_drawdown, currency(s.currency).decimals),
                s.currency,
            )
            for s in runs
        ],
    )
