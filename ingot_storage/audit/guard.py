"""Sign only what was verified: before a checkpoint is signed, the log must extend the newest
checkpoint the audit key signed, wherever it is kept.

A checkpoint the key signed is genuine wherever it is found: in the `audit_checkpoint` table,
in the external file beside the data (DATA_DIR/audit/checkpoints-…), or in the signer's own
memory beside the key (`<key file>.heads-…`, every head this key signed for this database).
Whoever rewrites the database can delete its checkpoints and maybe the external file; the
newest genuine checkpoint left anywhere is the anchor. The log is verified from it (from its
Merkle frontier when the table still holds it, else from the start) before the head is signed;
when it does not hold, nothing is signed and AuditRefused says why, so a rewritten history
never gets a genuine signature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Connection

from ingot_storage.audit.checkpoints import (
    Checkpoint,
    load_checkpoints,
    load_checkpoints_after,
    load_frontier,
    recent_checkpoints,
)
from ingot_storage.audit.rotation import KeyChain
from ingot_storage.audit.verify import verify_audit_chain
from ingot_storage.errors import AuditRefused

__all__ = ["ensure_extends", "newest_genuine"]


def newest_genuine(checkpoints: Sequence[Checkpoint], keys: KeyChain) -> Checkpoint | None:
    """The checkpoint of most entries the audit keys (in their turn) really signed, or None."""
    for checkpoint in sorted(checkpoints, key=lambda c: c.size, reverse=True):
        if keys.allows(checkpoint) and checkpoint.signature_valid():
            return checkpoint
    return None


def ensure_extends(
    conn: Connection,
    head_size: int,
    keys: KeyChain,
    held: Sequence[Checkpoint],
    all_held: Callable[[], Sequence[Checkpoint]] = tuple,
) -> None:
    """Raise AuditRefused unless the log (of `head_size` entries) extends the newest genuine
    checkpoint among the table's and `held` (the newest of the external file's and the
    signer's memory), signed by the audit keys in their turn. The newest checkpoints are
    looked at first; only when none of them is genuine are all of them (`all_held`)."""
    recent = recent_checkpoints(conn)
    anchor = newest_genuine([*recent, *held], keys)
    if anchor is None:
        anchor = newest_genuine([*load_checkpoints(conn), *all_held()], keys)
    if anchor is not None and anchor.size > head_size:
        raise AuditRefused(f"not signing the audit head: the log holds {head_size:,} entries, "
                           f"the key signed {anchor.size:,}: its tail is gone")  # fmt: skip
    after = 0 if anchor is None else anchor.size
    newer = load_checkpoints_after(conn, after)
    kept = None if anchor is None else next((c for c in recent if c == anchor), None)
    frontier = None if kept is None else load_frontier(conn, kept.size)
    start = None if anchor is None or frontier is None else (anchor, frontier)
    report = verify_audit_chain(conn, checkpoints=newer,
                                external=[] if anchor is None or start else [anchor],
                                trusted_key=keys, start=start)  # fmt: skip
    if report.failure is not None:
        raise AuditRefused(f"not signing the audit head: {report.failure}; run 'ingot audit "
                           "verify'")  # fmt: skip
