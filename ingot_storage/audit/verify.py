"""Verifying the audit log end to end, streaming, in constant memory.

One pass in seq order recomputes every leaf and chain hash and grows a Merkle frontier
(O(log n) hashes). Anchors are the signed checkpoints to hold the log against: the table's,
the external file's and an optional digest the user kept elsewhere. Each is checked at its
own seq: its root and chain hash must match the log, its signature must verify, and its key
must be the audit key. An anchor beyond the end of the log means the tail was cut off.
The report names the first failing seq and which check failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine import Connection

from ingot_core.audit import ZERO_HASH, MerkleFrontier, chain_hash
from ingot_core.audit.hashing import LEAF_PREFIX
from ingot_storage.audit.checkpoints import Checkpoint
from ingot_storage.audit.rotation import KeyChain
from ingot_storage.db.database import driver_connection
from ingot_storage.errors import db_errors

__all__ = [
    "AnchorSource",
    "AuditBreak",
    "Trusted",
    "VerifyReport",
    "trusting_keys",
    "verify_audit_chain",
]

AnchorSource = Literal["table", "external", "signer", "digest"]

# PostgreSQL assembles each leaf's preimage from the stored columns (on its own core);
# Python only hashes it. The encoding is hashing.leaf_hash's, field for field: prefix,
# u64 seq, i64 ts_us, then length-prefixed event_type, actor, entity and payload.
_STREAM = """
SELECT seq,
       %(prefix)s::bytea
       || int8send(seq)
       || int8send((extract(epoch FROM "timestamp") * 1000000)::bigint)
       || int4send(octet_length(event_type)) || convert_to(event_type, 'UTF8')
       || int4send(octet_length(actor)) || convert_to(actor, 'UTF8')
       || CASE WHEN entity_id IS NULL THEN %(absent)s::bytea
               ELSE %(present)s::bytea || uuid_send(entity_id) END
       || int4send(octet_length(payload_text)) || convert_to(payload_text, 'UTF8'),
       leaf_hash,
       chain_hash
FROM audit_log WHERE seq > %(after)s ORDER BY seq
"""
_STREAM_PARAMS = {"prefix": LEAF_PREFIX, "absent": b"\x00", "present": b"\x01", "after": 0}
_FETCH = 10_000
_sha256 = hashlib.sha256
_ALTERED = "the entry's fields do not hash to its leaf hash: the entry was altered"
_UNCHAINED = "the stored chain hash does not follow from the previous entry"


@dataclass(frozen=True)
class AuditBreak:
    """Where and why verification failed.

    Attributes:
      seq: the first sequence number that fails.
      check: which check failed: seq, leaf, chain, checkpoint, signature, key, truncated.
      detail: a sentence for the user.
    """

    seq: int
    check: str
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.check} check failed: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of verifying the whole log.

    Attributes:
      entries: entries read (all of them when valid).
      anchors: checkpoints checked against the log, by source.
      failure: the first break, or None when the log is valid.
    """

    entries: int
    anchors: dict[str, int]
    failure: AuditBreak | None

    @property
    def valid(self) -> bool:
        """True when no check failed."""
        return self.failure is None


@dataclass(frozen=True)
class _Anchor:
    checkpoint: Checkpoint
    source: AnchorSource


Trusted = Callable[[Checkpoint], bool]
"""Whether a checkpoint is signed by a key that held the log at its size."""


def trusting_keys(trusted_key: bytes | KeyChain | None) -> Trusted | None:
    """One key (raw), a chain of rotated keys, or no check at all."""
    if trusted_key is None:
        return None
    if isinstance(trusted_key, KeyChain):
        return trusted_key.allows
    return lambda checkpoint: checkpoint.public_key == trusted_key


def _anchor_problem(
    anchor: _Anchor, root: bytes, chain: bytes, trusted_key: Trusted | None
) -> AuditBreak | None:
    cp, where = anchor.checkpoint, f"{anchor.source} checkpoint at size {anchor.checkpoint.size}"
    if cp.root != root or cp.chain_hash != chain:
        return AuditBreak(
            cp.size, "checkpoint", f"the log no longer matches the {where}: history was rewritten"
        )
    if not cp.signature_valid():
        return AuditBreak(cp.size, "signature", f"the {where} has an invalid signature")
    if trusted_key is not None and not trusted_key(cp):
        return AuditBreak(
            cp.size, "key", f"the {where} is signed by key {cp.key_id}, not by the audit key"
        )
    return None


class _Verifier:
    """The state of one pass: expected seq, running chain, frontier, next anchor."""

    def __init__(self, anchors: list[_Anchor], trusted_key: Trusted | None) -> None:
        self.anchors = anchors
        self.trusted_key = trusted_key
        self.next_anchor = 0
        self.expected = 1
        self.chain = ZERO_HASH
        self.frontier = MerkleFrontier()

    def feed(self, row: tuple[Any, ...]) -> AuditBreak | None:
        """Check one entry (in seq order) and any anchor at its seq."""
        seq, preimage, stored_leaf, stored_chain = row
        if seq != self.expected:
            return AuditBreak(
                self.expected, "seq", f"expected seq {self.expected}, found {seq}: entries missing"
            )
        leaf = _sha256(preimage).digest()
        if leaf != stored_leaf:
            return AuditBreak(seq, "leaf", _ALTERED)
        self.chain = chain_hash(self.chain, leaf)
        if self.chain != stored_chain:
            return AuditBreak(seq, "chain", _UNCHAINED)
        self.frontier.append(leaf)
        anchors = self.anchors
        while self.next_anchor < len(anchors) and anchors[self.next_anchor].checkpoint.size == seq:
            problem = _anchor_problem(
                anchors[self.next_anchor], self.frontier.root(), self.chain, self.trusted_key
            )
            if problem is not None:
                return problem
            self.next_anchor += 1
        self.expected += 1
        return None

    def finish(self) -> AuditBreak | None:
        """After the last entry: an anchor still ahead means the tail was cut off."""
        if self.next_anchor == len(self.anchors):
            return None
        beyond = self.anchors[-1]
        return AuditBreak(
            self.expected,
            "truncated",
            f"the log ends at seq {self.expected - 1} but the {beyond.source} checkpoint covers "
            f"{beyond.checkpoint.size} entries: its tail was cut off",
        )


def verify_audit_chain(
    conn: Connection,
    *,
    checkpoints: Sequence[Checkpoint] = (),
    external: Sequence[Checkpoint] = (),
    digest: Checkpoint | None = None,
    trusted_key: bytes | KeyChain | None = None,
    progress: Callable[[int], None] | None = None,
    start: tuple[Checkpoint, MerkleFrontier] | None = None,
    signer: Sequence[Checkpoint] = (),
) -> VerifyReport:
    """Verify every entry and anchor; see the module docstring for the checks.

    `progress`, if given, is called with the number of entries checked after each fetch.
    With `start` (a checkpoint and the Merkle frontier of its tree), only the entries after
    it are checked, from its chain hash on, once the checkpoint itself checks out (its root
    is the frontier's, its signature and key hold): what an opening REPL does, where
    `audit verify` checks every entry. `signer`: the heads the signing key remembers signing
    for this database (beside the key).
    """
    anchors = sorted(
        [_Anchor(c, "table") for c in checkpoints]
        + [_Anchor(c, "external") for c in external]
        + [_Anchor(c, "signer") for c in signer]
        + ([_Anchor(digest, "digest")] if digest is not None else []),
        key=lambda a: a.checkpoint.size,
    )
    counts = {"table": len(checkpoints), "external": len(external), "signer": len(signer),
              "digest": int(bool(digest))}  # fmt: skip
    trusted = trusting_keys(trusted_key)
    verifier = _Verifier(anchors, trusted)
    failure: AuditBreak | None = None
    params = dict(_STREAM_PARAMS)
    if start is not None:
        checkpoint, frontier = start
        failure = _anchor_problem(
            _Anchor(checkpoint, "table"), frontier.root(), checkpoint.chain_hash, trusted
        )
        if failure is not None:
            return VerifyReport(0, counts, failure)
        verifier.expected, verifier.chain = checkpoint.size + 1, checkpoint.chain_hash
        verifier.frontier = frontier
        verifier.next_anchor = sum(a.checkpoint.size <= checkpoint.size for a in anchors)
        params["after"] = checkpoint.size
    with db_errors():
        if not conn.in_transaction():
            conn.begin()  # a server-side cursor lives inside a transaction
        with driver_connection(conn).cursor(name="ingot_audit_verify", binary=True) as cursor:
            cursor.itersize = _FETCH
            cursor.execute(_STREAM, params)
            while failure is None and (rows := cursor.fetchmany(_FETCH)):
                for row in rows:
                    failure = verifier.feed(row)
                    if failure is not None:
                        break
                if progress is not None:
                    progress(verifier.expected - 1)
    failure = failure or verifier.finish()
    return VerifyReport(verifier.expected - 1, counts, failure)
