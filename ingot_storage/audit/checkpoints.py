"""Signed checkpoints of the audit log: in the table, and in a file outside the database.

A checkpoint signs the head (size, Merkle root, chain hash, time). Each is written to the
`audit_checkpoint` table and, only after that commit, appended (and fsync'd) to
DATA_DIR/audit/checkpoints-<database>.jsonl, so the file never vouches for entries that
were rolled back. Verification compares the log against both: the file is what exposes a
cut-off tail or a history rewritten consistently, which no self-consistent chain can.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from ingot_core.audit import MerkleFrontier, checkpoint_message, to_micros
from ingot_core.audit.notes import (
    checkpoint_note_text,
    note_key_id,
    parse_checkpoint_note,
    signature_line,
)
from ingot_storage.audit.keys import AuditSigner, key_id_of, signature_valid
from ingot_storage.audit.log import audit_head, lock_audit_log
from ingot_storage.db.database import stream_rows
from ingot_storage.db.tables import audit_checkpoint, audit_log
from ingot_storage.errors import ConfigError, db_errors, translate_db_errors

TAIL = 64
"""How many of the newest checkpoints signing and an opening check look at first."""
_LINE_BOUND = 4096  # more than one checkpoint's line (about 900 bytes with its note)

__all__ = [
    "TAIL",
    "Checkpoint",
    "CheckpointFile",
    "checkpoint_due",
    "latest_checkpoint",
    "load_checkpoints",
    "load_checkpoints_after",
    "load_frontier",
    "recent_checkpoints",
    "take_checkpoint",
]


@dataclass(frozen=True)
class Checkpoint:
    """A signed head of the audit log.

    Attributes:
      size: entries covered (seq 1..size).
      root: RFC 6962 Merkle root of their leaf hashes.
      chain_hash: the chain hash of entry `size`.
      created_at: when it was signed (UTC, microseconds).
      public_key: the raw Ed25519 key that signed it.
      signature: signature over `checkpoint_message(size, root, chain_hash, created_at)`.
      note: the same head as a C2SP signed note (ingot_core.audit.notes), signed by the same
        key; None for checkpoints signed before notes were.
    """

    size: int
    root: bytes
    chain_hash: bytes
    created_at: datetime
    public_key: bytes
    signature: bytes
    note: str | None = None

    @property
    def key_id(self) -> str:
        """Fingerprint of the signing key."""
        return key_id_of(self.public_key)

    def message(self) -> bytes:
        """The bytes the signature covers."""
        return checkpoint_message(self.size, self.root, self.chain_hash, to_micros(self.created_at))

    def signature_valid(self) -> bool:
        """Whether the signature (and the note's, when there is one) matches the checkpoint's
        own public key, and the note says what the checkpoint says."""
        if not signature_valid(self.public_key, self.message(), self.signature):
            return False
        return self.note is None or self.note_problem() is None

    def note_problem(self) -> str | None:
        """Why the note does not hold (its fields, its key, its signature), or None."""
        try:
            parts = parse_checkpoint_note(self.note or "")
        except ValueError as error:
            return str(error)
        said = (parts.size, parts.root, parts.chain, parts.ts_us)
        if said != (self.size, self.root, self.chain_hash, to_micros(self.created_at)):
            return "the note does not say what the checkpoint says"
        key = note_key_id(parts.origin, self.public_key)
        for name, key_id, signature in parts.signatures:
            if (name, key_id) == (parts.origin, key):
                if signature_valid(self.public_key, parts.text.encode(), signature):
                    return None
                return "the note's signature is invalid"
        return "the note is not signed by the checkpoint's key"

    def to_json(self) -> str:
        """One line of JSON, hex for bytes: the digest / external file format."""
        return json.dumps(
            {
                "size": self.size,
                "root": self.root.hex(),
                "chain_hash": self.chain_hash.hex(),
                "created_at": self.created_at.isoformat(),
                "key_id": self.key_id,
                "public_key": self.public_key.hex(),
                "signature": self.signature.hex(),
                **({} if self.note is None else {"note": self.note}),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse `to_json` output; raise ValueError naming what is wrong."""
        try:
            data = json.loads(text)
            created = datetime.fromisoformat(data["created_at"])
            checkpoint = cls(
                size=int(data["size"]),
                root=bytes.fromhex(data["root"]),
                chain_hash=bytes.fromhex(data["chain_hash"]),
                created_at=created,
                public_key=bytes.fromhex(data["public_key"]),
                signature=bytes.fromhex(data["signature"]),
                note=None if data.get("note") is None else str(data["note"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not an Ingot audit checkpoint ({error})") from None
        widths = (len(checkpoint.root), len(checkpoint.chain_hash), len(checkpoint.public_key),
                  len(checkpoint.signature))  # fmt: skip
        if created.tzinfo is None or checkpoint.size < 1 or widths != (32, 32, 32, 64):
            raise ValueError("not an Ingot audit checkpoint (bad size, hash, key or time)")
        if "key_id" in data and data["key_id"] != checkpoint.key_id:
            raise ValueError(f"the checkpoint says key {data['key_id']}, its public key is "
                             f"{checkpoint.key_id}")  # fmt: skip
        return checkpoint


def _row_to_checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(
        row.size,
        bytes(row.root),
        bytes(row.chain_hash),
        row.created_at,
        bytes(row.public_key),
        bytes(row.signature),
        row.note,
    )


class CheckpointFile:
    """An append-only JSONL file of checkpoints, outside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, checkpoint: Checkpoint) -> None:
        """Append one checkpoint and fsync it."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(checkpoint.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def newest(self, count: int = TAIL) -> list[Checkpoint]:
        """The file's last `count` checkpoints (or fewer), oldest first, read from its end:
        what signing and an opening check need, whatever the file's length."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        with open(self.path, "rb") as handle:
            start = max(0, size - count * _LINE_BOUND)
            handle.seek(start)
            lines = handle.read().decode("utf-8", "replace").splitlines()
        if start > 0:
            lines = lines[1:]  # the first is cut by the seek
        kept = [line for line in lines if line.strip()][-count:]
        try:
            return [Checkpoint.from_json(line) for line in kept]
        except ValueError as error:
            raise ConfigError(str(self.path), f"near its end: {error}") from None

    def read(self) -> list[Checkpoint]:
        """Every checkpoint in the file, oldest first; a malformed line is a ConfigError."""
        if not self.path.exists():
            return []
        checkpoints = []
        with open(self.path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    checkpoints.append(Checkpoint.from_json(line))
                except ValueError as error:
                    raise ConfigError(str(self.path), f"line {number}: {error}") from None
        return checkpoints


@translate_db_errors
def recent_checkpoints(conn: Connection, count: int = TAIL) -> list[Checkpoint]:
    """The stored checkpoints of most entries, at most `count`, smallest size first."""
    rows = conn.execute(
        sa.select(audit_checkpoint).order_by(audit_checkpoint.c.size.desc()).limit(count)
    ).all()
    return [_row_to_checkpoint(row) for row in reversed(rows)]


@translate_db_errors
def load_checkpoints_after(conn: Connection, size: int) -> list[Checkpoint]:
    """The stored checkpoints of more than `size` entries, smallest first."""
    rows = conn.execute(sa.select(audit_checkpoint).where(audit_checkpoint.c.size > size)
                        .order_by(audit_checkpoint.c.size))  # fmt: skip
    return [_row_to_checkpoint(row) for row in rows]


@translate_db_errors
def load_checkpoints(conn: Connection) -> list[Checkpoint]:
    """Every stored checkpoint, smallest size first."""
    rows = conn.execute(sa.select(audit_checkpoint).order_by(audit_checkpoint.c.size))
    return [_row_to_checkpoint(row) for row in rows]


@translate_db_errors
def latest_checkpoint(conn: Connection) -> Checkpoint | None:
    """The stored checkpoint covering the most entries, or None."""
    row = conn.execute(
        sa.select(audit_checkpoint).order_by(audit_checkpoint.c.size.desc()).limit(1)
    ).first()
    return None if row is None else _row_to_checkpoint(row)


def checkpoint_due(
    size: int, last: Checkpoint | None, now: datetime, every: int, seconds: float
) -> bool:
    """Whether a log of `size` entries needs a checkpoint: N new entries, or T seconds old."""
    covered = 0 if last is None else last.size
    if size <= covered:
        return False
    if size - covered >= every or last is None:
        return True
    return now - last.created_at >= timedelta(seconds=seconds)


def _leaf_hashes(conn: Connection, after: int, upto: int) -> Iterator[bytes]:
    query = (
        sa.select(audit_log.c.leaf_hash)
        .where(audit_log.c.seq > after, audit_log.c.seq <= upto)
        .order_by(audit_log.c.seq)
    )
    for (leaf,) in stream_rows(conn, query, 20000):
        yield bytes(leaf)


def load_frontier(conn: Connection, size: int) -> MerkleFrontier | None:
    """The Merkle frontier stored with the checkpoint of `size` entries, or None."""
    data = conn.execute(
        sa.select(audit_checkpoint.c.frontier).where(audit_checkpoint.c.size == size)
    ).scalar()
    if data is None:
        return None
    try:
        return MerkleFrontier.from_bytes(size, bytes(data))
    except ValueError:
        return None  # a damaged frontier: the caller verifies the whole log instead


def take_checkpoint(
    engine: Engine,
    signer: AuditSigner,
    external: CheckpointFile,
    now: datetime | None = None,
    *,
    guard: Callable[[Connection, int], None] | None = None,
    memory: CheckpointFile | None = None,
    origin: str | None = None,
) -> Checkpoint | None:
    """Sign the current head, store it, then append it to the external file (and the
    signer's `memory`).

    Returns None when the log is empty or the newest checkpoint already covers it. `guard`
    (the connection, the head's size) runs under the lock before anything is signed and
    raises to refuse (audit.guard). With `origin` (the log's name), the head is signed as a
    C2SP checkpoint note too. The Merkle tree is extended from the previous
    checkpoint's frontier, so the cost is in the new entries only.
    """
    created = (now or datetime.now(UTC)).astimezone(UTC)
    with db_errors(), engine.begin() as conn:
        lock_audit_log(conn)  # the head cannot move while it is being signed
        head = audit_head(conn)
        row = conn.execute(
            sa.select(audit_checkpoint.c.size, audit_checkpoint.c.frontier)
            .order_by(audit_checkpoint.c.size.desc())
            .limit(1)
        ).first()
        covered = 0 if row is None else row.size
        if head.size <= covered:
            return None
        if guard is not None:
            guard(conn, head.size)
        frontier = (
            MerkleFrontier()
            if row is None
            else MerkleFrontier.from_bytes(row.size, bytes(row.frontier))
        )
        for leaf in _leaf_hashes(conn, covered, head.size):
            frontier.append(leaf)
        root = frontier.root()
        micros = to_micros(created)
        message = checkpoint_message(head.size, root, head.chain_hash, micros)
        note = None
        if origin is not None:
            text = checkpoint_note_text(origin, head.size, root, head.chain_hash, micros)
            note = text + "\n" + signature_line(origin, signer.public_key,
                                                 signer.sign(text.encode()))  # fmt: skip
        checkpoint = Checkpoint(head.size, root, head.chain_hash, created, signer.public_key,
                                signer.sign(message), note)  # fmt: skip
        conn.execute(
            insert(audit_checkpoint)
            .values(
                size=checkpoint.size,
                root=checkpoint.root,
                chain_hash=checkpoint.chain_hash,
                created_at=checkpoint.created_at,
                key_id=checkpoint.key_id,
                public_key=checkpoint.public_key,
                signature=checkpoint.signature,
                frontier=frontier.to_bytes(),
                note=checkpoint.note,
            )
            .on_conflict_do_nothing(index_elements=["size"])
        )
    external.append(checkpoint)
    if memory is not None:
        memory.append(checkpoint)
    return checkpoint
