"""The audit trail of one database: its key, external checkpoint file and cadence."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from ingot_storage.audit.checkpoints import (
    Checkpoint,
    CheckpointFile,
    checkpoint_due,
    latest_checkpoint,
    load_checkpoints,
    load_frontier,
    recent_checkpoints,
    take_checkpoint,
)
from ingot_storage.audit.guard import ensure_extends
from ingot_storage.audit.keys import AuditSigner, load_signer
from ingot_storage.audit.log import audit_head
from ingot_storage.audit.proofs import (
    ConsistencyProof,
    InclusionProof,
    build_consistency,
    build_proof,
)
from ingot_storage.audit.rotation import (
    KeyChain,
    RotationStatement,
    load_chain,
    read_rotations,
    rotate_key_file,
    rotations_file,
)
from ingot_storage.audit.verify import AuditBreak, VerifyReport, trusting_keys, verify_audit_chain
from ingot_storage.config import StorageConfig, database_key
from ingot_storage.db.database import Database
from ingot_storage.db.local_files import checkpoint_file_for, signed_heads_for
from ingot_storage.errors import AuditRefused, DatabaseUnavailable, StorageError, UnknownEntry

__all__ = ["AuditTrail"]

_log = logging.getLogger(__name__)


def counted_checkpoints(n: int) -> str:
    """'1 checkpoint', '3 checkpoints'."""
    return f"{n:,} checkpoint{'' if n == 1 else 's'}"


class AuditTrail:
    """Checkpointing, verification and proofs for the audit log of `database`."""

    def __init__(self, database: Database, config: StorageConfig) -> None:
        self.database = database
        self.config = config
        label = database.files_label
        self.external = CheckpointFile(checkpoint_file_for(config.data_dir, label))
        self.memory = CheckpointFile(signed_heads_for(config.audit_key_path, label))
        self._signer: AuditSigner | None = None
        self._appended_since = 0  # this session's appends since its last checkpoint check
        self._window_start: datetime | None = None

    @property
    def key_path(self) -> Path:
        """Where the signing key lives."""
        return self.config.audit_key_path

    @property
    def signer(self) -> AuditSigner:
        """The signing key, created on first use."""
        if self._signer is None:
            self._signer = load_signer(self.key_path)
        return self._signer

    def checkpoint(self, now: datetime | None = None) -> Checkpoint | None:
        """Sign and store the head now, unless the newest checkpoint already covers it."""
        with self.database.connect() as conn:
            newest = latest_checkpoint(conn)
            if newest is not None and audit_head(conn).size <= newest.size:
                return None  # nothing to sign: the key is not even read
        signer = self.signer
        held = [*self.external.newest(), *self.memory.newest()]
        keys = self.keys() or KeyChain((signer.public_key,), ())

        def guard(conn: Connection, size: int) -> None:
            ensure_extends(conn, size, keys, held,
                           lambda: [*self.external.read(), *self.memory.read()])  # fmt: skip

        return take_checkpoint(self.database.engine, signer, self.external, now, guard=guard,
                               memory=self.memory, origin=self.origin)  # fmt: skip

    def keys(self) -> KeyChain | None:
        """The local audit key and those it succeeded (None before there is a key)."""
        return load_chain(self.key_path)

    def rotate_key(self, now: datetime | None = None) -> RotationStatement:
        """Retire the audit key: the head is signed by it first, then it and a new key sign the
        statement handing the log over at that size; the new key signs from then on."""
        head = self.head_checkpoint(now)
        if head is None:
            raise StorageError("the audit log is empty: there is nothing to hand over")
        statement = rotate_key_file(self.key_path, head.size, now)
        self._signer = None
        return statement

    def rotations(self) -> list[RotationStatement]:
        """The local key's rotation statements, oldest first."""
        return read_rotations(rotations_file(self.key_path))

    @property
    def origin(self) -> str:
        """The log's name in its checkpoint notes: `ingot/<book>/<the database's key>`."""
        return f"ingot/{self.database.book}/{database_key(self.database.identity)}"

    def checkpoint_if_due(self, now: datetime | None = None) -> Checkpoint | None:
        """Checkpoint when N entries or T seconds have passed since the last one."""
        moment = now or datetime.now(UTC)
        with self.database.connect() as conn:
            size = audit_head(conn).size
            last = latest_checkpoint(conn)
        due = checkpoint_due(
            size, last, moment, self.config.checkpoint_every, self.config.checkpoint_seconds
        )
        return self.checkpoint(moment) if due else None

    def after_commit(self, appended: int, now: datetime | None = None) -> Checkpoint | None:
        """The storage worker's per-batch hook, cheap on the write path.

        It counts this session's own appends in memory and asks the database
        (`checkpoint_if_due`) only once N of them, or T seconds of activity, have passed.
        """
        moment = now or datetime.now(UTC)
        if self._window_start is None:
            self._window_start = moment
        self._appended_since += appended
        if not self._appended_since:
            return None
        elapsed = (moment - self._window_start).total_seconds()
        every, seconds = self.config.checkpoint_every, self.config.checkpoint_seconds
        if self._appended_since < every and elapsed < seconds:
            return None
        self._appended_since, self._window_start = 0, moment
        return self.checkpoint_if_due(moment)

    def at_session_end(self) -> None:
        """Sign the head as a session closes, when the log grew (shutdown is one of a
        checkpoint's moments). It may not fail the session: with PostgreSQL out of reach
        there is nothing new to sign (what the session traded waits in the spill), so that
        is a warning and the next session takes the checkpoint."""
        try:
            self.checkpoint()
        except DatabaseUnavailable as error:
            _log.warning("no audit checkpoint at exit (%s); the next session takes one", error)
        except AuditRefused as error:
            _log.warning("%s", error)

    def head_checkpoint(self, now: datetime | None = None) -> Checkpoint | None:
        """A checkpoint covering every entry: a new one if needed, else the newest."""
        taken = self.checkpoint(now)
        if taken is not None:
            return taken
        with self.database.connect() as conn:
            return latest_checkpoint(conn)

    def size(self) -> int:
        """How many entries the log holds."""
        with self.database.connect() as conn:
            return audit_head(conn).size

    def verify(
        self,
        digest: Checkpoint | None = None,
        progress: Callable[[int], None] | None = None,
        trusted_key: bytes | KeyChain | None = None,
    ) -> VerifyReport:
        """Verify the log against its checkpoints, the external file and `digest`, every one
        signed by `trusted_key` (default: the local audit keys, rotations followed)."""
        trusted = trusted_key or self.keys()
        allows = trusting_keys(trusted) or (lambda _: True)
        external, remembered = self.external.read(), self.memory.read()
        with self.database.connect() as conn:
            stored = load_checkpoints(conn)
            report = verify_audit_chain(conn, checkpoints=stored, external=external,
                                        digest=digest, trusted_key=trusted, progress=progress,
                                        signer=remembered)  # fmt: skip
        signed = [c for c in [*stored, *remembered] if allows(c)]
        if report.valid and signed and not external:
            missing = AuditBreak(
                max(c.size for c in signed), "external",
                f"the external checkpoint file {self.external.path} is missing or empty while "
                f"{counted_checkpoints(len(signed))} signed by the audit key exist: restore it; "
                "without it a cut tail or a rewritten history cannot be told apart",
            )  # fmt: skip
            return replace(report, failure=missing)
        return report

    def verify_recent(self) -> VerifyReport:
        """Verify the entries after the newest checkpoint that checks out (signed by the
        audit key and, when the external file holds checkpoints, one of them), from its
        chain hash and Merkle frontier: the check an opening REPL or `watch` makes, costing
        the same however long the log. With no such checkpoint, the whole log."""
        trusted = self.keys()
        allows = trusting_keys(trusted) or (lambda _: True)
        # The newest of each: what is checked costs the same however long the history.
        external, remembered = self.external.newest(), self.memory.newest()
        pinned = {(c.size, c.root, c.chain_hash) for c in [*external, *remembered]}
        with self.database.connect() as conn:
            stored = recent_checkpoints(conn)
            start = next(
                (
                    c
                    for c in reversed(stored)
                    if allows(c) and (not external or (c.size, c.root, c.chain_hash) in pinned)
                ),
                None,
            )
            frontier = None if start is None else load_frontier(conn, start.size)
            return verify_audit_chain(
                conn,
                checkpoints=stored,
                external=external,
                trusted_key=trusted,
                signer=remembered,
                start=None if start is None or frontier is None else (start, frontier),
            )

    def prove(
        self, seq: int, size: int | None = None, since: Checkpoint | None = None
    ) -> InclusionProof:
        """An inclusion proof of entry `seq` against the newest checkpoint (one is signed now
        when none covers it), or the stored one of `size` entries; with `since` (an
        auditor's older digest), the consistency proof from it to that checkpoint as well."""
        with self.database.connect() as conn:
            head = audit_head(conn).size
            if not 1 <= seq <= head:
                raise UnknownEntry(f"there is no audit entry {seq} (the log has {head:,} entries)")
        checkpoint = self._checkpoint_of(size) if size is not None else self.head_checkpoint()
        if checkpoint is None or checkpoint.size < seq:
            raise StorageError(f"the checkpoint of {size or 0:,} entries does not cover {seq}")
        with self.database.connect() as conn:
            proof = build_proof(conn, seq, checkpoint)
            if since is None:
                return proof
            return replace(proof, since=build_consistency(conn, self._held(since), checkpoint))

    def prove_consistency(
        self, old: int | Checkpoint, new: int | Checkpoint | None = None
    ) -> ConsistencyProof:
        """The consistency proof between two checkpoints, each given by its size or as a
        digest file's checkpoint (`new` None: the newest, signed now if the head is newer)."""
        older = self._checkpoint_of(old) if isinstance(old, int) else self._held(old)
        if new is None:
            newer = self.head_checkpoint()
        else:
            newer = self._checkpoint_of(new) if isinstance(new, int) else self._held(new)
        if newer is None:
            raise StorageError("the audit log has no checkpoint yet")
        with self.database.connect() as conn:
            return build_consistency(conn, older, newer)

    def _checkpoint_of(self, size: int) -> Checkpoint:
        with self.database.connect() as conn:
            found = next((c for c in load_checkpoints(conn) if c.size == size), None)
        if found is None:
            raise UnknownEntry(f"there is no stored checkpoint of {size:,} entries "
                               "('ingot audit checkpoints' lists them)")  # fmt: skip
        return found

    def _held(self, checkpoint: Checkpoint) -> Checkpoint:
        """A digest the caller holds, checked against the log: a proof from a checkpoint the
        log does not contain would prove nothing."""
        with self.database.connect() as conn:
            if audit_head(conn).size < checkpoint.size:
                raise StorageError(f"the digest covers {checkpoint.size:,} entries; the log "
                                   "holds fewer: its tail is gone")  # fmt: skip
        return checkpoint

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint, oldest first."""
        with self.database.connect() as conn:
            return load_checkpoints(conn)
