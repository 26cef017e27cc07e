"""`ingot strategy journal RUN`: a run's decisions and their outcomes, as a table, JSON or a
JSONL export."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ingot_cli.output import Column, Output, format_amount
from ingot_cli.zone import label, when

if TYPE_CHECKING:
    from ingot_storage.trading.journal import Decision

__all__ = ["journal_lines", "render_journal"]


def journal_lines(decisions: Sequence[Decision]) -> list[str]:
    """One JSON line per decision (exact numbers as strings)."""
    return [json.dumps(d.as_data(), ensure_ascii=False, sort_keys=True) for d in decisions]


def render_journal(out: Output, run_id: str, decisions: Sequence[Decision]) -> None:
    """The decisions as a table, or JSON."""
    if out.json_mode:
        out.json([d.as_data() for d in decisions])
        return
    if not decisions:
        out.line(f"No decisions recorded for run {run_id} ('ingot report runs' lists runs)")
        return
    out.table(
        [Column("Tick", "right"), Column(f"Time ({label()})"), Column("Symbol"),
         Column("Signal"), Column("Price", "right"), Column("Indicators", drop=2),
         Column("Decision"), Column("Outcome")],
        [(str(d.tick_seq or ""), when(d.at), d.symbol, f"{d.side.upper()} {d.reason}",
          format_amount(d.price), " ".join(f"{k}={v}" for k, v in d.indicators.items()),
          d.decision, _outcome(d)) for d in decisions],
    )  # fmt: skip


def _outcome(d: Decision) -> str:
    if d.status == "Filled" and d.fill_price is not None:
        return (f"Filled {format_amount(d.fill_quantity or 0)} @ {format_amount(d.fill_price)}"
                f", fee {format_amount(d.fee or 0)}")  # fmt: skip
    if d.status == "Rejected":
        return f"Rejected: {d.refused or 'no reason given'}"
    return d.status or ""
