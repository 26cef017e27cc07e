"""Audit events (what to record) and entries (what was recorded, with its hashes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ingot_core.accounting import Account, Transaction
from ingot_core.audit.canonical import (
    NeedsCarefulPass,
    canonical_json,
    json_string,
    plain_decimal,
    valid_utf8,
)
from ingot_core.audit.vocabulary import ACCOUNT_CREATED, TRANSACTION_POSTED

__all__ = [
    "AuditEntry",
    "AuditEvent",
    "account_created",
    "transaction_posted",
    "transaction_posted_text",
]


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Something that happened to money, about to be appended to the audit trail.

    Attributes:
      event_type: what happened, e.g. "transaction_posted".
      actor: who did it: "engine", "cli", a strategy name.
      entity_id: the account, transaction or order concerned, if any.
      payload: the event's data; must have a canonical JSON form (no floats).
    """

    event_type: str
    actor: str
    entity_id: UUID | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One appended audit record with its position and hashes.

    Attributes:
      seq: gapless position in the log, from 1.
      timestamp: UTC instant of the append, microsecond precision.
      event_type, actor, entity_id: as in the event.
      payload_text: the canonical JSON text that was hashed.
      leaf_hash: RFC 6962 leaf hash over every field.
      chain_hash: link over the previous entry's chain hash and this leaf.
    """

    seq: int
    timestamp: datetime
    event_type: str
    actor: str
    entity_id: UUID | None
    payload_text: str
    leaf_hash: bytes
    chain_hash: bytes


def account_created(account: Account, actor: str) -> AuditEvent:
    """The audit event for a new ledger account."""
    return AuditEvent(ACCOUNT_CREATED, actor, account.id, account.as_data())


def transaction_posted(tx: Transaction, actor: str) -> AuditEvent:
    """The audit event for a posted ledger transaction, every entry included."""
    return AuditEvent(
        TRANSACTION_POSTED,
        actor,
        tx.id,
        {
            "id": str(tx.id),
            "posted_at": tx.posted_at.isoformat(),
            "description": tx.description,
            "entries": [
                {
                    "account_id": str(e.account_id),
                    "side": e.side.value,
                    "amount": e.amount,
                    "currency": e.currency.code,
                }
                for e in tx.entries
            ],
        },
    )


def transaction_posted_text(tx: Transaction) -> str:
    """The canonical JSON of `transaction_posted(tx, …).payload`, written straight from the
    transaction: a fill's is the payload the ledger writes most, and building the dict first
    costs as much again. Raises CanonicalJsonError as `canonical_json` of the payload would.
    """
    try:
        return valid_utf8(_transaction_text(tx))
    except (NeedsCarefulPass, UnicodeEncodeError):
        pass  # canonical_json of the payload says what is wrong, outside the handler
    return canonical_json(transaction_posted(tx, "").payload)


def _transaction_text(tx: Transaction) -> str:
    parts = []
    for e in tx.entries:
        amount = e.amount
        if type(amount) is not Decimal or not amount.is_finite():
            raise NeedsCarefulPass
        parts.append(
            f'{{"account_id":"{_account_text(e.account_id)}","amount":"{plain_decimal(amount)}",'
            f'"currency":{json_string(e.currency.code)},"side":{json_string(e.side.value)}}}'
        )
    if "\x00" in tx.description:  # a currency code is letters and digits
        raise NeedsCarefulPass
    return (
        f'{{"description":{json_string(tx.description)},"entries":[{",".join(parts)}],'
        f'"id":"{tx.id}","posted_at":{json_string(tx.posted_at.isoformat())}}}'
    )


# A book has few accounts and every fill names five of them: their ids' text is kept (up to
# a bound), a lookup being a fraction of the cost of writing a UUID out.
_ACCOUNT_TEXTS: dict[UUID, str] = {}
_ACCOUNT_TEXTS_LIMIT = 4096


def _account_text(account_id: UUID) -> str:
    text = _ACCOUNT_TEXTS.get(account_id)
    if text is None:
        text = str(account_id)
        if len(_ACCOUNT_TEXTS) < _ACCOUNT_TEXTS_LIMIT:
            _ACCOUNT_TEXTS[account_id] = text
    return text
