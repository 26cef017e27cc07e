"""The in-process trading engine: paper exchange, risk caps, positions, storage events.

Names resolve on first use (PEP 562): reading commands that need only an exception class or an
event type do not load the engine itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingot_core.engine.engine import TradingEngine
    from ingot_core.engine.events import (
        AccountCreated,
        EquitySnapshot,
        OrderUpdated,
        PositionSnapshot,
        SignalRaised,
        StorageEvent,
        StorageSink,
        TickReceived,
        TransactionPosted,
        is_financial,
    )
    from ingot_core.engine.outcomes import (
        InvalidOrder,
        LiveTradingUnavailable,
        PlaceResult,
        TradingMode,
        UnknownOrder,
        refuse_unavailable_mode,
    )
    from ingot_core.engine.paper import PaperExchange, settle
    from ingot_core.engine.positions import BookingMethod, Position, apply_fill
    from ingot_core.engine.risk import RiskCaps, risk_veto
    from ingot_core.engine.strategy_run import StrategyRun, run_strategy

__all__ = [
    "AccountCreated",
    "BookingMethod",
    "EquitySnapshot",
    "InvalidOrder",
    "LiveTradingUnavailable",
    "OrderUpdated",
    "PaperExchange",
    "PlaceResult",
    "Position",
    "PositionSnapshot",
    "RiskCaps",
    "SignalRaised",
    "StorageEvent",
    "StorageSink",
    "StrategyRun",
    "TickReceived",
    "TradingEngine",
    "TradingMode",
    "TransactionPosted",
    "UnknownOrder",
    "apply_fill",
    "is_financial",
    "refuse_unavailable_mode",
    "risk_veto",
    "run_strategy",
    "settle",
]

_HOMES = {
    "TradingEngine": "engine", "AccountCreated": "events", "EquitySnapshot": "events",
    "OrderUpdated": "events", "PositionSnapshot": "events", "SignalRaised": "events",
    "StorageEvent": "events", "StorageSink": "events", "TickReceived": "events",
    "TransactionPosted": "events", "is_financial": "events", "InvalidOrder": "outcomes",
    "LiveTradingUnavailable": "outcomes", "PlaceResult": "outcomes", "TradingMode": "outcomes",
    "UnknownOrder": "outcomes", "refuse_unavailable_mode": "outcomes", "PaperExchange": "paper",
    "settle": "paper", "BookingMethod": "positions", "Position": "positions",
    "apply_fill": "positions", "RiskCaps": "risk", "risk_veto": "risk",
    "StrategyRun": "strategy_run", "run_strategy": "strategy_run",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ingot_core.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ingot_core.engine.{home}"), name)
