"""Proofs for an auditor: that one entry is in the signed log (inclusion), and that one signed
checkpoint's log is the prefix of a later one's (consistency), checked with no database.

An inclusion proof carries the entry's fields, its RFC 6962 audit path up to a signed
checkpoint and the checkpoint itself; with a consistency proof from an older checkpoint (the
auditor's digest) it ties what the auditor holds to the newer checkpoint. A consistency proof
file carries both checkpoints and the RFC 9162 path between them. Checking needs nothing else:
the leaf is recomputed from the fields, the paths are climbed, the signatures verified; every
field that says something twice (leaf index and seq, tree size and checkpoint) must agree,
every hash must be 32 bytes. Which key is trusted is the caller's: a proof names its signer,
it cannot vouch for it (see docs/audit-format.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.audit import (
    HASH_SIZE,
    AuditEntry,
    consistency_path,
    entity_bytes,
    inclusion_path,
    leaf_hash,
    to_micros,
    verify_consistency,
    verify_inclusion,
)
from ingot_storage.audit.checkpoints import Checkpoint
from ingot_storage.audit.keys import key_id_of
from ingot_storage.audit.log import entry_at
from ingot_storage.db.tables import audit_log
from ingot_storage.errors import StorageError, db_errors

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "KeyTrust",
    "build_consistency",
    "build_proof",
    "check_consistency",
    "check_proof",
    "trusting",
]

KeyTrust = Callable[[Checkpoint], str | None]
"""Whether a checkpoint's signer is trusted: None, or why not."""


def trusting(public_key: bytes | None, key_id: str | None = None) -> KeyTrust:
    """Trust only the raw Ed25519 `public_key` (or, given only its id, the key of `key_id`)."""
    pinned = key_id or ("" if public_key is None else key_id_of(public_key))

    def trust(checkpoint: Checkpoint) -> str | None:
        held = checkpoint.public_key if public_key is not None else checkpoint.key_id
        if held == (public_key if public_key is not None else pinned):
            return None
        return f"is signed by key {checkpoint.key_id}, not by the pinned key {pinned}"

    return trust


def _leaves(conn: Connection, size: int) -> list[bytes]:
    with db_errors():
        rows = conn.execute(
            sa.select(audit_log.c.leaf_hash)
            .where(audit_log.c.seq <= size)
            .order_by(audit_log.c.seq)
        )
        return [bytes(leaf) for (leaf,) in rows]


def _hex(value: Any, what: str) -> bytes:
    raw = bytes.fromhex(str(value))
    if len(raw) != HASH_SIZE:
        raise ValueError(f"{what} is {len(raw)} bytes, not {HASH_SIZE}")
    return raw


@dataclass(frozen=True)
class ConsistencyProof:
    """That the log `old` signed is the first `old.size` entries of the log `new` signed."""

    old: Checkpoint
    new: Checkpoint
    path: tuple[bytes, ...]

    def as_data(self) -> dict[str, Any]:
        """The proof as a JSON object (hex for hashes)."""
        return {
            "kind": "consistency",
            "old_size": self.old.size,
            "new_size": self.new.size,
            "consistency_path": [h.hex() for h in self.path],
            "old": json.loads(self.old.to_json()),
            "new": json.loads(self.new.to_json()),
        }

    def to_json(self) -> str:
        """The proof file's text."""
        return json.dumps(self.as_data(), indent=2)

    @classmethod
    def from_data(cls, data: Any) -> ConsistencyProof:
        """Parse `as_data` output; ValueError when it is not one, or says two things."""
        try:
            old = Checkpoint.from_json(json.dumps(data["old"]))
            new = Checkpoint.from_json(json.dumps(data["new"]))
            path = tuple(_hex(h, "a consistency path hash") for h in data["consistency_path"])
            sizes = (int(data["old_size"]), int(data["new_size"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not an Ingot consistency proof ({error})") from None
        if sizes != (old.size, new.size):
            raise ValueError(f"the proof says sizes {sizes[0]} and {sizes[1]}, its checkpoints "
                             f"{old.size} and {new.size}")  # fmt: skip
        return cls(old, new, path)


@dataclass(frozen=True)
class InclusionProof:
    """Everything needed to check that one entry is in the signed log.

    Attributes:
      entry: the audit entry, fields and hashes.
      audit_path: sibling hashes from the leaf up to the root.
      checkpoint: the signed head whose root the path leads to.
      since: a consistency proof from an older checkpoint to `checkpoint`, when asked for.
    """

    entry: AuditEntry
    audit_path: tuple[bytes, ...]
    checkpoint: Checkpoint
    since: ConsistencyProof | None = None

    def to_json(self) -> str:
        """The proof as indented JSON (hex for hashes)."""
        e = self.entry
        data: dict[str, Any] = {
            "kind": "inclusion",
            "entry": {
                "seq": e.seq,
                "timestamp": e.timestamp.isoformat(),
                "event_type": e.event_type,
                "actor": e.actor,
                "entity_id": None if e.entity_id is None else str(e.entity_id),
                "payload": e.payload_text,
                "leaf_hash": e.leaf_hash.hex(),
            },
            "leaf_index": e.seq - 1,
            "tree_size": self.checkpoint.size,
            "audit_path": [h.hex() for h in self.audit_path],
            "checkpoint": json.loads(self.checkpoint.to_json()),
        }
        if self.since is not None:
            data["consistency"] = self.since.as_data()
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> InclusionProof:
        """Parse `to_json` output; ValueError when it is not a proof, or its fields disagree
        with one another (leaf index and seq, tree size and checkpoint)."""
        try:
            data = json.loads(text)
            e = data["entry"]
            entry = AuditEntry(
                seq=int(e["seq"]),
                timestamp=datetime.fromisoformat(e["timestamp"]),
                event_type=str(e["event_type"]),
                actor=str(e["actor"]),
                entity_id=None if e["entity_id"] is None else UUID(e["entity_id"]),
                payload_text=str(e["payload"]),
                leaf_hash=_hex(e["leaf_hash"], "the leaf hash"),
                chain_hash=b"",
            )
            path = tuple(_hex(h, "an audit path hash") for h in data["audit_path"])
            checkpoint = Checkpoint.from_json(json.dumps(data["checkpoint"]))
            index, size = int(data["leaf_index"]), int(data["tree_size"])
            since = data.get("consistency")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not an Ingot inclusion proof ({error})") from None
        if entry.timestamp.tzinfo is None:
            raise ValueError("not an Ingot inclusion proof (the entry's time has no zone)")
        if index != entry.seq - 1:
            raise ValueError(f"the proof says leaf index {index} for entry {entry.seq}")
        if size != checkpoint.size:
            raise ValueError(f"the proof says tree size {size}, its checkpoint {checkpoint.size}")
        return cls(entry, path, checkpoint,
                   None if since is None else ConsistencyProof.from_data(since))  # fmt: skip


def build_proof(conn: Connection, seq: int, checkpoint: Checkpoint) -> InclusionProof:
    """The inclusion proof of entry `seq` against `checkpoint` (which must cover it)."""
    if not 1 <= seq <= checkpoint.size:
        raise StorageError(f"checkpoint of size {checkpoint.size} does not cover seq {seq}")
    with db_errors():
        entry = entry_at(conn, seq)
    if entry is None:
        raise StorageError(f"audit entry {seq} does not exist")
    path = inclusion_path(_leaves(conn, checkpoint.size), seq - 1)
    return InclusionProof(entry, tuple(path), checkpoint)


def build_consistency(conn: Connection, old: Checkpoint, new: Checkpoint) -> ConsistencyProof:
    """The consistency proof from checkpoint `old` to the later `new`."""
    if old.size > new.size:
        raise StorageError(f"checkpoint {old.size} is newer than {new.size}: swap them")
    leaves = _leaves(conn, new.size)
    if len(leaves) != new.size:
        raise StorageError(f"the log holds {len(leaves):,} entries, not {new.size:,}")
    return ConsistencyProof(old, new, tuple(consistency_path(leaves, old.size)))


def _signed(checkpoint: Checkpoint, what: str, trust: KeyTrust | None) -> list[str]:
    if not checkpoint.signature_valid():
        return [f"the {what}'s signature is invalid"]
    refused = None if trust is None else trust(checkpoint)
    return [] if refused is None else [f"the {what} {refused}"]


def check_consistency(
    proof: ConsistencyProof, trust: KeyTrust | None = None, old: Checkpoint | None = None
) -> list[str]:
    """Every reason the consistency proof does not hold; `old`: the auditor's own checkpoint,
    which the proof must start from."""
    problems = []
    if old is not None and (old.size, old.root) != (proof.old.size, proof.old.root):
        problems.append(f"the proof starts from a checkpoint of size {proof.old.size}, not "
                        f"from your digest of size {old.size}")  # fmt: skip
    if not verify_consistency(proof.old.size, proof.new.size, proof.path, proof.old.root,
                              proof.new.root):  # fmt: skip
        problems.append(f"the log of checkpoint {proof.old.size} is not a prefix of the log "
                        f"of checkpoint {proof.new.size}")  # fmt: skip
    problems += _signed(proof.old, "older checkpoint", trust)
    problems += _signed(proof.new, "newer checkpoint", trust)
    return problems


def check_proof(
    proof: InclusionProof, trust: KeyTrust | None = None, since: Checkpoint | None = None
) -> list[str]:
    """Every reason the proof does not hold; empty when it proves inclusion. `since`: the
    auditor's older digest, which the proof's consistency part must start from."""
    e, cp = proof.entry, proof.checkpoint
    problems = []
    leaf = leaf_hash(e.seq, to_micros(e.timestamp), e.event_type, e.actor,
                     entity_bytes(e.entity_id), e.payload_text.encode())  # fmt: skip
    if leaf != e.leaf_hash:
        problems.append("the entry's fields do not hash to its leaf hash")
    if not verify_inclusion(leaf, e.seq - 1, cp.size, proof.audit_path, cp.root):
        problems.append("the audit path does not lead from the leaf to the checkpoint root")
    problems += _signed(cp, "checkpoint", trust)
    if proof.since is not None:
        if (proof.since.new.size, proof.since.new.root) != (cp.size, cp.root):
            problems.append("the consistency proof does not end at the proof's checkpoint")
        problems += check_consistency(proof.since, trust, since)
    elif since is not None:
        problems.append(f"the proof has no consistency proof from your digest of size "
                        f"{since.size}")  # fmt: skip
    return problems
