"""The tamper-evident audit trail's pure parts: canonical JSON, hashing, Merkle trees, proofs."""

from ingot_core.audit.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalJsonError,
    canonical_json,
    canonical_record,
)
from ingot_core.audit.events import (
    AuditEntry,
    AuditEvent,
    account_created,
    transaction_posted,
    transaction_posted_text,
)
from ingot_core.audit.hashing import (
    ZERO_HASH,
    chain_hash,
    checkpoint_message,
    entity_bytes,
    leaf_hash,
    to_micros,
)
from ingot_core.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleFrontier,
    consistency_path,
    inclusion_path,
    merkle_root,
    node_hash,
    rfc6962_leaf,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_SAFE_INTEGER",
    "ZERO_HASH",
    "AuditEntry",
    "AuditEvent",
    "CanonicalJsonError",
    "MerkleFrontier",
    "account_created",
    "canonical_json",
    "canonical_record",
    "chain_hash",
    "checkpoint_message",
    "consistency_path",
    "entity_bytes",
    "inclusion_path",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "rfc6962_leaf",
    "to_micros",
    "transaction_posted",
    "transaction_posted_text",
    "verify_consistency",
    "verify_inclusion",
]
