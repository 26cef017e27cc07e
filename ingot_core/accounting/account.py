"""Accounts and account types."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from ingot_core.accounting.currency import Currency

__all__ = ["Account", "AccountType", "EntrySide"]


class EntrySide(StrEnum):
    """Which column of an account an entry lands in."""

    DEBIT = "Debit"
    CREDIT = "Credit"


class AccountType(StrEnum):
    """The five classes of double-entry accounts; values match the database CHECK."""

    ASSET = "Asset"
    LIABILITY = "Liability"
    EQUITY = "Equity"
    REVENUE = "Revenue"
    EXPENSE = "Expense"

    @property
    def normal_side(self) -> EntrySide:
        """The side that increases an account of this type."""
        if self in (AccountType.ASSET, AccountType.EXPENSE):
            return EntrySide.DEBIT
        return EntrySide.CREDIT


@dataclass(frozen=True, slots=True)
class Account:
    """One ledger account, holding a single currency.

    Attributes:
      id: stable identifier, the primary key in storage.
      name: unique colon-separated path, e.g. "Assets:Cash:USD".
      type: the account class, which fixes its normal balance side.
      currency: every entry on the account is in this currency.
    """

    id: UUID
    name: str
    type: AccountType
    currency: Currency

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("account name must not be empty")

    def as_data(self) -> dict[str, str | int]:
        """The account as plain JSON data: its audit payload, its spill form and its JSON
        listing all take this one shape (the audit payload's bytes depend on it)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "type": self.type.value,
            "currency": self.currency.code,
            "decimals": self.currency.decimals,
        }
