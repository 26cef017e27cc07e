"""What the engine tells storage, and the sink it tells it through.

Financial events (everything but ticks) must never be lost: a sink blocks the engine rather
than drop one. Ticks are best effort. The engine runs with no sink at all, too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ingot_core.accounting import Account, Transaction
from ingot_core.engine.positions import Position
from ingot_core.execution import Order
from ingot_core.feed import Ticker
from ingot_core.signals import Signal

__all__ = [
    "AccountCreated",
    "EquitySnapshot",
    "OrderUpdated",
    "PositionSnapshot",
    "SignalRaised",
    "StorageEvent",
    "StorageSink",
    "TickReceived",
    "TransactionPosted",
    "is_financial",
]


@dataclass(frozen=True, slots=True)
class AccountCreated:
    """A ledger account was created."""

    account: Account


@dataclass(frozen=True, slots=True)
class TransactionPosted:
    """A balanced transaction was posted to the ledger."""

    transaction: Transaction


@dataclass(frozen=True, slots=True)
class OrderUpdated:
    """An order was placed, filled, cancelled, rejected or recorded in shadow mode.

    Attributes:
      order: the order's state after the change.
    """

    order: Order


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """A position as it stood after a fill.

    Attributes:
      position: the position after the fill.
      at: the fill's instant.
      client_id: the order whose fill produced it (the snapshot's natural key).
    """

    position: Position
    at: datetime
    client_id: str


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """Net asset value at an instant, in the book's base currency."""

    nav: Decimal
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TickReceived:
    """A market price arrived (best effort: may be dropped under load)."""

    ticker: Ticker


@dataclass(frozen=True, slots=True)
class SignalRaised:
    """A strategy asked for an order.

    Attributes:
      signal: what it asked for and why.
      run_id: the strategy run it belongs to.
      client_id: the order placed for it (the signal's natural key).
      tick_seq: which of the run's ticks it came on (1 for the first), when known.
    """

    signal: Signal
    run_id: str
    client_id: str
    tick_seq: int | None = None


StorageEvent = (
    AccountCreated
    | TransactionPosted
    | OrderUpdated
    | PositionSnapshot
    | EquitySnapshot
    | TickReceived
    | SignalRaised
)


def is_financial(event: StorageEvent) -> bool:
    """Whether losing `event` would lose money's history (everything but ticks)."""
    return not isinstance(event, TickReceived)


class StorageSink(Protocol):
    """Where the engine sends events; storage implements it."""

    def emit(self, events: Sequence[StorageEvent]) -> None:
        """Accept the events of one engine operation, to be committed together.

        A fill's transaction, order row and position snapshot must never land in different
        commits; the sink keeps a unit whole. Block rather than drop a financial event.
        """
