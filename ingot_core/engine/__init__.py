"""The in-process trading engine: paper exchange, risk caps, positions, storage events."""

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
from ingot_core.engine.positions import Position, apply_fill
from ingot_core.engine.risk import RiskCaps, risk_veto
from ingot_core.engine.strategy_run import StrategyRun, run_strategy

__all__ = [
    "AccountCreated",
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
