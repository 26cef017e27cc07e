"""The decision journal (seed 004 P1.5): every decision a strategy run took, read back.

A decision is a signal (with the tick of the run it came on, its reason and the indicator
values it was made on) and what became of it: the order placed for it (filled, resting, or
recorded in SHADOW mode), or refused (a risk veto, with its reason). The signal and its order
are written in one unit, committed together (ingot_core.engine: `place_order(signal=…)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_storage.errors import translate_db_errors

__all__ = ["Decision", "run_journal"]

_JOURNAL = sa.text(
    "SELECT s.client_id, s.run_id, s.tick_seq, s.ts, s.strategy, s.symbol, s.side, s.reason, "
    "s.price, s.indicators, o.status, o.fill_price, o.fill_quantity, o.cost, o.fee, "
    "o.reason AS refused, o.quantity "
    "FROM signals s LEFT JOIN LATERAL (SELECT * FROM order_history h WHERE h.client_id = "
    "s.client_id ORDER BY h.seq DESC LIMIT 1) o ON true WHERE s.run_id = :run "
    "ORDER BY s.tick_seq NULLS LAST, s.ts, s.client_id"
)


@dataclass(frozen=True)
class Decision:
    """One decision of a run and its outcome."""

    run_id: str
    client_id: str
    tick_seq: int | None
    at: datetime
    strategy: str
    symbol: str
    side: str
    reason: str
    price: Decimal
    indicators: dict[str, str]
    quantity: Decimal | None
    status: str | None  # the order's last status: Filled, Open, Shadow, Rejected, Cancelled
    fill_price: Decimal | None
    fill_quantity: Decimal | None
    cost: Decimal | None
    fee: Decimal | None
    refused: str | None  # why the risk checks (or the exchange) refused it

    @property
    def decision(self) -> str:
        """What was decided: an order placed, or refused by a risk veto."""
        if self.status is None:
            return "signal without an order"
        return "risk veto" if self.status == "Rejected" else "order placed"

    def as_data(self) -> dict[str, Any]:
        """The decision as JSON data (exact numbers as strings)."""
        data = dict(self.__dict__)
        data["decision"] = self.decision
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = format(value, "f")
            elif isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@translate_db_errors
def run_journal(conn: Connection, run_id: str) -> list[Decision]:
    """Every decision of run `run_id`, in the order of the ticks they came on."""
    return [
        Decision(
            r.run_id,
            r.client_id,
            r.tick_seq,
            r.ts,
            r.strategy,
            r.symbol,
            r.side,
            r.reason,
            r.price,
            dict(r.indicators),
            r.quantity,
            r.status,
            r.fill_price,
            r.fill_quantity,
            r.cost,
            r.fee,
            r.refused,
        )
        for r in conn.execute(_JOURNAL, {"run": run_id})
    ]
