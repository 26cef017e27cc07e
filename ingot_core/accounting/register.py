"""Reading the ledger as plain-text accountants do: an account's register with its running
balance (hledger's `register`), and balances rolled up the account tree (`balance --tree`).

Amounts are on the account's normal side, as `ingot balances` shows them: a register's last
running balance is the account's balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ingot_core.accounting.account import Account, EntrySide
from ingot_core.accounting.ledger import Balance
from ingot_core.accounting.transaction import Transaction
from ingot_core.money import negate

__all__ = ["Posting", "RegisterLine", "TreeRow", "balance_tree", "normal_amount", "register"]


@dataclass(frozen=True, slots=True)
class Posting:
    """One entry of a transaction, with the transaction's date and description.

    Attributes:
      posted_at: when the transaction was posted.
      transaction_id: the transaction.
      description: the transaction's description.
      side: Debit or Credit.
      amount: strictly positive.
    """

    posted_at: datetime
    transaction_id: UUID
    description: str
    side: EntrySide
    amount: Decimal

    @classmethod
    def of(cls, tx: Transaction, account_id: UUID) -> Iterator[Posting]:
        """The postings of `tx` to the account `account_id`."""
        for entry in tx.entries:
            if entry.account_id == account_id:
                yield cls(tx.posted_at, tx.id, tx.description, entry.side, entry.amount)


@dataclass(frozen=True, slots=True)
class RegisterLine:
    """One posting to an account, with the account's balance after it.

    Attributes:
      posted_at: when the transaction was posted.
      transaction_id: the transaction the posting belongs to.
      description: the transaction's description.
      amount: the posting on the account's normal side (negative: it decreased the account).
      balance: the account's normal-side balance after the posting.
    """

    posted_at: datetime
    transaction_id: UUID
    description: str
    amount: Decimal
    balance: Decimal


def normal_amount(account: Account, side: EntrySide, amount: Decimal) -> Decimal:
    """`amount` booked on `side`, as it changes `account`'s normal-side balance."""
    return amount if side is account.type.normal_side else negate(amount)


def register(
    account: Account, postings: Iterable[Posting], opening: Decimal = Decimal(0)
) -> Iterator[RegisterLine]:
    """Each of `postings` to `account`, in their order, with the balance after it, starting
    from `opening` (the balance before the first of them)."""
    balance = opening
    for p in postings:
        amount = normal_amount(account, p.side, p.amount)
        balance += amount
        yield RegisterLine(p.posted_at, p.transaction_id, p.description, amount, balance)


@dataclass(frozen=True, slots=True)
class TreeRow:
    """One node of the account tree: an account's name prefix, its depth (1 = top), and
    the sum of every account under it, per currency.

    Attributes:
      name: the full prefix, e.g. "Assets:Cash".
      depth: how many name parts it has.
      amounts: currency code -> the normal-side sum of the accounts under the node.
    """

    name: str
    depth: int
    amounts: dict[str, Decimal] = field(default_factory=dict)

    @property
    def leaf(self) -> str:
        """The last part of the name, as an indented tree shows it."""
        return self.name.rsplit(":", 1)[-1]


def balance_tree(balances: Iterable[Balance], depth: int | None = None) -> list[TreeRow]:
    """Balances rolled up every prefix of the accounts' colon-separated names, parents
    before their children, siblings by name; nodes deeper than `depth` are folded into
    their ancestor at that depth. Sums stay per currency: a node holding USD and BTC
    accounts carries both."""
    nodes: dict[str, TreeRow] = {}
    for b in balances:
        parts = b.account.name.split(":")
        shown = parts if depth is None else parts[:depth]
        for level in range(1, len(shown) + 1):
            name = ":".join(shown[:level])
            node = nodes.setdefault(name, TreeRow(name, level))
            code = b.account.currency.code
            node.amounts[code] = node.amounts.get(code, Decimal(0)) + b.amount
    return [nodes[name] for name in sorted(nodes, key=lambda n: n.split(":"))]
