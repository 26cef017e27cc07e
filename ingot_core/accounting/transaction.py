"""Entries and transactions: the immutable records the ledger posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ingot_core.accounting.account import EntrySide
from ingot_core.accounting.currency import Currency
from ingot_core.money import negate

__all__ = ["Entry", "Transaction"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One leg of a transaction.

    Attributes:
      account_id: the account the amount is booked to.
      side: Debit or Credit.
      amount: strictly positive, within the currency's decimals.
      currency: must equal the account's currency.
    """

    account_id: UUID
    side: EntrySide
    amount: Decimal
    currency: Currency

    @property
    def signed_amount(self) -> Decimal:
        """The amount as a debit-positive number."""
        return self.amount if self.side is EntrySide.DEBIT else negate(self.amount)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A balanced set of entries posted at one instant.

    Attributes:
      id: stable identifier; posting the same id twice is refused.
      posted_at: timezone-aware UTC instant.
      description: free text shown in reports.
      entries: the legs, in the order they were written.
    """

    id: UUID
    posted_at: datetime
    description: str
    entries: tuple[Entry, ...]
