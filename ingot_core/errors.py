"""The exception tree shared by every Ingot package.

    IngotError
    ├── ValidationError          bad input; carries every problem found, not only the first
    │   ├── TransactionRejected
    │   ├── InvalidFill
    │   ├── InvalidOrder         (ingot_core.engine.outcomes) an order the engine cannot take
    │   ├── InvalidBar           (ingot_core.feed) an OHLCV bar breaking the bar rules
    │   └── CanonicalJsonError   (ingot_core.audit.canonical) a payload with no canonical JSON
    ├── UnknownAccount
    ├── DuplicateAccount
    ├── MissingMarks             NAV needs a price that was not given
    ├── UnknownOrder             (ingot_core.engine.outcomes) no open order by that id
    └── LiveTradingUnavailable   (ingot_core.engine.outcomes) LIVE mode has no exchange yet

`ingot_core.audit.canonical.NeedsCarefulPass` is internal: the fast canonical writer's signal
to take the careful path; it never leaves the audit package.

Storage and CLI errors extend this tree in their own packages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

__all__ = [
    "DuplicateAccount",
    "IngotError",
    "InvalidFill",
    "MissingMarks",
    "TransactionRejected",
    "UnknownAccount",
    "ValidationError",
]


class IngotError(Exception):
    """Base class of every error Ingot raises on purpose."""


class ValidationError(IngotError):
    """Input that breaks a rule; `problems` lists every rule broken.

    Attributes:
      problems: one human-readable sentence per problem, in the order found.
    """

    def __init__(self, subject: str, problems: Iterable[str]) -> None:
        self.subject = subject
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(f"{subject}: " + "; ".join(self.problems))


class TransactionRejected(ValidationError):
    """A ledger transaction failed validation and was not posted."""


class InvalidFill(ValidationError):
    """An order fill cannot be turned into a ledger transaction."""


class UnknownAccount(IngotError):
    """An account id or name that the ledger does not hold."""

    def __init__(self, account: UUID | str) -> None:
        self.account = account
        super().__init__(f"unknown account {account}")


class DuplicateAccount(IngotError):
    """An account whose id or name is already in the ledger."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class MissingMarks(IngotError):
    """NAV was asked for while some held currencies have no mark."""

    def __init__(self, quote: str, codes: Sequence[str]) -> None:
        self.quote = quote
        self.codes = tuple(sorted(codes))
        super().__init__(f"no mark in {quote} for: {', '.join(self.codes)}")
