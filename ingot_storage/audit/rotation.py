"""Key rotation: the retiring key signs a statement naming its successor, and verifiers follow
the statements in order, so checkpoints signed by a retired key still verify up to the point
where it was retired.

A statement is signed by both keys (the old one vouches for the new, the new one shows it is
held) over

    0x15 || "ingot-key-rotation-v1" || old public key || new public key
         || u64 size || i64 rotated_at_us

where `size` is the log's size at the rotation: the old key's last checkpoint covers it, and the
new key signs only checkpoints of at least that size. Statements are appended (fsync'd) to
`<key file>.rotations.jsonl`, beside the key; the retired key is kept as
`<key file>.retired-<key id>`. `ingot audit rotations` prints them for an auditor, and
`check-proof --key OLD --rotations FILE` follows them from a key the auditor already trusts.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ingot_core.audit import to_micros
from ingot_storage.audit.keys import (
    AuditSigner,
    key_id_of,
    load_signer,
    public_key_of,
    signature_valid,
)
from ingot_storage.errors import ConfigError

if TYPE_CHECKING:
    from ingot_storage.audit.checkpoints import Checkpoint

__all__ = ["KeyChain", "RotationStatement", "load_chain", "read_rotations", "rotate_key_file"]

_TAG = b"\x15ingot-key-rotation-v1"


def rotations_file(key_path: Path) -> Path:
    """Where the rotation statements of the key at `key_path` are kept."""
    return key_path.with_name(key_path.name + ".rotations.jsonl")


@dataclass(frozen=True)
class RotationStatement:
    """That `old_key` handed the log over to `new_key` at `size` entries."""

    old_key: bytes
    new_key: bytes
    size: int
    rotated_at: datetime
    old_signature: bytes
    new_signature: bytes

    def message(self) -> bytes:
        """The bytes both keys sign."""
        head = struct.pack(">Qq", self.size, to_micros(self.rotated_at))
        return _TAG + self.old_key + self.new_key + head

    def valid(self) -> bool:
        """Whether both signatures hold."""
        message = self.message()
        return signature_valid(self.old_key, message, self.old_signature) and signature_valid(
            self.new_key, message, self.new_signature
        )

    def to_json(self) -> str:
        """One line of JSON, hex for bytes."""
        return json.dumps({"old_key": self.old_key.hex(), "old_key_id": key_id_of(self.old_key),
                           "new_key": self.new_key.hex(), "new_key_id": key_id_of(self.new_key),
                           "size": self.size, "rotated_at": self.rotated_at.isoformat(),
                           "old_signature": self.old_signature.hex(),
                           "new_signature": self.new_signature.hex()},
                          separators=(",", ":"))  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> RotationStatement:
        """Parse `to_json` output; ValueError when it is not one."""
        try:
            data = json.loads(text)
            statement = cls(bytes.fromhex(data["old_key"]), bytes.fromhex(data["new_key"]),
                            int(data["size"]), datetime.fromisoformat(data["rotated_at"]),
                            bytes.fromhex(data["old_signature"]),
                            bytes.fromhex(data["new_signature"]))  # fmt: skip
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a key rotation statement ({error})") from None
        if statement.rotated_at.tzinfo is None:
            raise ValueError("not a key rotation statement (its time has no zone)")
        return statement


@dataclass(frozen=True)
class KeyChain:
    """The audit keys in the order they signed: `keys[i]` signs checkpoints up to
    `sizes[i]` entries (the last key: from its rotation on, without end)."""

    keys: tuple[bytes, ...]
    sizes: tuple[int, ...]  # one fewer than keys

    @property
    def current(self) -> bytes:
        """The key that signs now."""
        return self.keys[-1]

    def allows(self, checkpoint: Checkpoint) -> bool:
        """Whether `checkpoint` is signed by the key that held the log at its size."""
        for n, key in enumerate(self.keys):
            if checkpoint.public_key != key:
                continue
            after = self.sizes[n - 1] if n else 0
            before = self.sizes[n] if n < len(self.sizes) else None
            if checkpoint.size >= after and (before is None or checkpoint.size <= before):
                return True
        return False

    @classmethod
    def following(cls, first: bytes, statements: Sequence[RotationStatement]) -> KeyChain:
        """The chain from a key one trusts through `statements`, in order; ValueError when a
        statement does not follow from the key before it, or does not hold."""
        keys, sizes = [first], list[int]()
        for n, s in enumerate(statements, 1):
            if s.old_key != keys[-1]:
                raise ValueError(f"rotation {n} starts from key {key_id_of(s.old_key)}, not "
                                 f"from {key_id_of(keys[-1])}")  # fmt: skip
            if not s.valid() or (sizes and s.size < sizes[-1]):
                raise ValueError(f"rotation {n} (to key {key_id_of(s.new_key)}) does not hold")
            keys.append(s.new_key)
            sizes.append(s.size)
        return cls(tuple(keys), tuple(sizes))


def read_rotations(path: Path) -> list[RotationStatement]:
    """The statements in a rotations file, oldest first (none when there is no file)."""
    if not path.exists():
        return []
    statements = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                statements.append(RotationStatement.from_json(line))
            except ValueError as error:
                raise ConfigError(str(path), f"line {number}: {error}") from None
    return statements


def load_chain(key_path: Path) -> KeyChain | None:
    """The local audit key and the keys it succeeded (None before there is a key); a rotations
    file that does not lead to the key in place is a ConfigError."""
    current = public_key_of(key_path)
    if current is None:
        return None
    statements = read_rotations(rotations_file(key_path))
    if not statements:
        return KeyChain((current,), ())
    try:
        chain = KeyChain.following(statements[0].old_key, statements)
    except ValueError as error:
        raise ConfigError(str(rotations_file(key_path)), str(error)) from None
    if chain.current != current:
        raise ConfigError(str(key_path), f"the key in place ({key_id_of(current)}) is not the "
                          f"one the last rotation names ({key_id_of(chain.current)})")  # fmt: skip
    return chain


def rotate_key_file(key_path: Path, size: int, now: datetime | None = None) -> RotationStatement:
    """Make a new key, have the old and the new sign the statement, keep the statement
    (fsync'd), keep the old key aside and put the new one in its place."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    old = load_signer(key_path, create=False)
    new_key = Ed25519PrivateKey.generate()
    new = AuditSigner(new_key, key_path)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    unsigned = RotationStatement(old.public_key, new.public_key, size, moment, b"", b"")
    message = unsigned.message()
    statement = RotationStatement(old.public_key, new.public_key, size, moment,
                                  old.sign(message), new.sign(message))  # fmt: skip
    staged = key_path.with_name(key_path.name + ".new")
    pem = new_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    with rotations_file(key_path).open("a", encoding="utf-8") as handle:
        handle.write(statement.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(key_path, key_path.with_name(f"{key_path.name}.retired-{old.key_id}"))
    os.replace(staged, key_path)
    return statement
