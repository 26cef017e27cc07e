"""Inclusion proofs: show one audit entry to an auditor without handing over the log.

A proof carries the entry's fields, its RFC 6962 audit path up to a signed checkpoint, and
the checkpoint itself. `check_proof` needs nothing else: it recomputes the leaf from the
fields, climbs the path to the root, and checks the root is the one the key signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.audit import (
    AuditEntry,
    entity_bytes,
    inclusion_path,
    leaf_hash,
    to_micros,
    verify_inclusion,
)
from ingot_storage.audit.checkpoints import Checkpoint
from ingot_storage.audit.log import entry_at
from ingot_storage.db.tables import audit_log
from ingot_storage.errors import StorageError, db_errors

__all__ = ["InclusionProof", "build_proof", "check_proof"]


@dataclass(frozen=True)
class InclusionProof:
    """Everything needed to check that one entry is in the signed log.

    Attributes:
      entry: the audit entry, fields and hashes.
      audit_path: sibling hashes from the leaf up to the root.
      checkpoint: the signed head whose root the path leads to.
    """

    entry: AuditEntry
    audit_path: tuple[bytes, ...]
    checkpoint: Checkpoint

    def to_json(self) -> str:
        """The proof as indented JSON (hex for hashes)."""
        e = self.entry
        return json.dumps(
            {
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
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> InclusionProof:
        """Parse `to_json` output; raise ValueError when it is not a proof."""
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
                leaf_hash=bytes.fromhex(e["leaf_hash"]),
                chain_hash=b"",
            )
            path = tuple(bytes.fromhex(h) for h in data["audit_path"])
            checkpoint = Checkpoint.from_json(json.dumps(data["checkpoint"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not an Ingot inclusion proof ({error})") from None
        return cls(entry, path, checkpoint)


def build_proof(conn: Connection, seq: int, checkpoint: Checkpoint) -> InclusionProof:
    """The inclusion proof of entry `seq` against `checkpoint` (which must cover it)."""
    if not 1 <= seq <= checkpoint.size:
        raise StorageError(f"checkpoint of size {checkpoint.size} does not cover seq {seq}")
    with db_errors():
        entry = entry_at(conn, seq)
        if entry is None:
            raise StorageError(f"audit entry {seq} does not exist")
        leaves = [
            bytes(leaf)
            for (leaf,) in conn.execute(
                sa.select(audit_log.c.leaf_hash)
                .where(audit_log.c.seq <= checkpoint.size)
                .order_by(audit_log.c.seq)
            )
        ]
    return InclusionProof(entry, tuple(inclusion_path(leaves, seq - 1)), checkpoint)


def check_proof(proof: InclusionProof, trusted_key: bytes | None = None) -> list[str]:
    """Every reason the proof does not hold; empty when it proves inclusion."""
    e, cp = proof.entry, proof.checkpoint
    problems = []
    leaf = leaf_hash(
        e.seq,
        to_micros(e.timestamp),
        e.event_type,
        e.actor,
        entity_bytes(e.entity_id),
        e.payload_text.encode(),
    )
    if leaf != e.leaf_hash:
        problems.append("the entry's fields do not hash to its leaf hash")
    if not verify_inclusion(leaf, e.seq - 1, cp.size, proof.audit_path, cp.root):
        problems.append("the audit path does not lead from the leaf to the checkpoint root")
    if not cp.signature_valid():
        problems.append("the checkpoint signature is invalid")
    if trusted_key is not None and cp.public_key != trusted_key:
        problems.append(f"the checkpoint is signed by key {cp.key_id}, not the audit key")
    return problems
