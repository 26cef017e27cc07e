"""The double-entry ledger: validation, posting, balances and NAV.

Validation is a plain function that returns every problem it finds; `Ledger.prepare_transaction`
turns a non-empty list into one `TransactionRejected`. Only a `ValidatedTransaction` can be
posted, so an unchecked transaction never reaches the balances.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from ingot_core.accounting.account import Account, AccountType, EntrySide
from ingot_core.accounting.currency import Currency
from ingot_core.accounting.transaction import Transaction
from ingot_core.errors import DuplicateAccount, MissingMarks, TransactionRejected, UnknownAccount
from ingot_core.money import EXACT, exact_sum, fraction_digits, multiply, negate

__all__ = ["Balance", "Ledger", "ValidatedTransaction", "validate_transaction"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ValidatedTransaction:
    """A transaction that passed validation against one ledger; only that ledger posts it."""

    transaction: Transaction
    _ledger_id: int


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's balance on its normal side (a positive asset, a positive equity)."""

    account: Account
    amount: Decimal


def validate_transaction(
    tx: Transaction,
    accounts: Mapping[UUID, Account],
    posted_ids: Container[UUID] = frozenset(),
) -> list[str]:
    """Every rule `tx` breaks against `accounts`, as sentences; empty when it may be posted."""
    problems: list[str] = []
    if tx.id in posted_ids:
        problems.append(f"transaction {tx.id} is already posted")
    if tx.posted_at.tzinfo is None or tx.posted_at.utcoffset() is None:
        problems.append("posted_at must be timezone-aware")
    if len(tx.entries) < 2:
        problems.append(f"a transaction needs at least 2 entries, got {len(tx.entries)}")

    # Debits minus credits per currency code, summed exactly as the entries go by.
    totals: dict[str, Decimal] = {}
    for n, entry in enumerate(tx.entries, start=1):
        amount = entry.amount
        if not isinstance(amount, Decimal) or not amount.is_finite():
            problems.append(f"entry {n}: amount {amount!r} is not a finite Decimal")
            continue
        ccy = entry.currency
        if amount <= 0:
            problems.append(f"entry {n}: amount {amount} must be positive")
        digits = fraction_digits(amount)
        if digits > ccy.decimals:
            problems.append(
                f"entry {n}: amount {amount} has {digits} decimals, "
                f"{ccy.code} allows {ccy.decimals}"
            )
        account = accounts.get(entry.account_id)
        if account is None:
            problems.append(f"entry {n}: account {entry.account_id} does not exist")
        elif account.currency is not ccy and account.currency != ccy:
            problems.append(
                f"entry {n}: currency {ccy.code} does not match account "
                f"{account.name} ({account.currency.code})"
            )
        signed = amount if entry.side is EntrySide.DEBIT else negate(amount)
        totals[ccy.code] = EXACT.add(totals.get(ccy.code, _ZERO), signed)

    for code, imbalance in sorted(totals.items()):
        if imbalance != 0:
            problems.append(
                f"{code} does not balance: debits exceed credits by {imbalance}"
                if imbalance > 0
                else f"{code} does not balance: credits exceed debits by {negate(imbalance)}"
            )
    return problems


class Ledger:
    """Accounts, posted transactions and their running balances, all exact."""

    def __init__(self) -> None:
        self._accounts: dict[UUID, Account] = {}
        self._by_name: dict[str, Account] = {}
        self._net_debits: dict[UUID, Decimal] = {}
        self._transactions: list[Transaction] = []
        self._posted_ids: set[UUID] = set()
        self._opened_at = 0  # transactions posted before this ledger was opened

    # -- accounts -------------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        """Add an account; its id and name must both be new."""
        if account.id in self._accounts:
            raise DuplicateAccount(f"account id {account.id} already exists")
        if account.name in self._by_name:
            raise DuplicateAccount(f"account name {account.name!r} already exists")
        self._accounts[account.id] = account
        self._by_name[account.name] = account
        self._net_debits[account.id] = Decimal(0)

    @classmethod
    def from_balances(
        cls, accounts: Iterable[Account], net_debits: Mapping[UUID, Decimal], posted: int
    ) -> Ledger:
        """A ledger opened at a known state: its accounts, each one's net debit (debits minus
        credits) and how many transactions made it, instead of replaying them all.

        Such a ledger keeps only the transactions posted after it was opened; the store it
        came from refuses a second transaction under a stored id.
        """
        ledger = cls()
        for account in accounts:
            ledger.add_account(account)
        unknown = set(net_debits) - set(ledger._accounts)
        if unknown:
            raise UnknownAccount(sorted(map(str, unknown))[0])
        ledger._net_debits.update(net_debits)
        ledger._opened_at = posted
        return ledger

    def account(self, account_id: UUID) -> Account:
        """The account with this id."""
        try:
            return self._accounts[account_id]
        except KeyError:
            raise UnknownAccount(account_id) from None

    def account_named(self, name: str) -> Account:
        """The account with this name."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownAccount(name) from None

    def find_account(self, name: str) -> Account | None:
        """The account with this name, or None."""
        return self._by_name.get(name)

    @property
    def accounts(self) -> tuple[Account, ...]:
        """Every account, in the order it was added."""
        return tuple(self._accounts.values())

    # -- transactions ---------------------------------------------------------------------

    def prepare_transaction(self, tx: Transaction) -> ValidatedTransaction:
        """Validate `tx` against this ledger; raise TransactionRejected listing every problem."""
        problems = validate_transaction(tx, self._accounts, self._posted_ids)
        if problems:
            raise TransactionRejected(f"transaction {tx.id} rejected", problems)
        return ValidatedTransaction(tx, id(self))

    def post_transaction(self, validated: ValidatedTransaction) -> None:
        """Apply a transaction this ledger validated to the balances."""
        tx = validated.transaction
        if validated._ledger_id != id(self):
            raise TransactionRejected(
                f"transaction {tx.id} rejected", ["it was validated by another ledger"]
            )
        if tx.id in self._posted_ids:
            raise TransactionRejected(f"transaction {tx.id} rejected", ["it is already posted"])
        net = self._net_debits
        for entry in tx.entries:
            if entry.side is EntrySide.DEBIT:
                net[entry.account_id] = EXACT.add(net[entry.account_id], entry.amount)
            else:
                net[entry.account_id] = EXACT.subtract(net[entry.account_id], entry.amount)
        self._transactions.append(tx)
        self._posted_ids.add(tx.id)

    def post(self, tx: Transaction) -> Transaction:
        """Validate and post in one step; returns the posted transaction."""
        self.post_transaction(self.prepare_transaction(tx))
        return tx

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        """Posted transactions, in posting order."""
        return tuple(self._transactions)

    @property
    def transaction_count(self) -> int:
        """How many transactions are posted (those before the ledger was opened included)."""
        return self._opened_at + len(self._transactions)

    # -- balances and NAV -----------------------------------------------------------------

    def balance(self, account_id: UUID) -> Decimal:
        """The account's balance on its normal side."""
        account = self.account(account_id)
        net = self._net_debits[account_id]
        return net if account.type.normal_side is EntrySide.DEBIT else negate(net)

    def balances(self) -> list[Balance]:
        """Every account with its normal-side balance, in the order accounts were added."""
        return [Balance(account, self.balance(account.id)) for account in self._accounts.values()]

    def nav(self, quote: Currency, marks: Mapping[str, Decimal]) -> Decimal:
        """Net asset value in `quote`: assets minus liabilities, each priced by its mark.

        `marks` maps a currency code to the price of one unit in `quote`; the quote currency
        itself needs no mark. Raises MissingMarks naming every held currency without one.
        """
        terms: list[Decimal] = []
        missing: set[str] = set()
        # Both dicts hold every account in the order it was added, and none is ever removed.
        for account, net in zip(self._accounts.values(), self._net_debits.values(), strict=True):
            if account.type is AccountType.ASSET:
                amount = net
            elif account.type is AccountType.LIABILITY:
                amount = negate(net)
            else:
                continue
            if amount == 0:
                continue
            code = account.currency.code
            if code == quote.code:
                rate = Decimal(1)
            elif code in marks:
                rate = marks[code]
            else:
                missing.add(code)
                continue
            value = multiply(amount, rate)
            terms.append(value if account.type is AccountType.ASSET else negate(value))
        if missing:
            raise MissingMarks(quote.code, sorted(missing))
        return exact_sum(terms)
