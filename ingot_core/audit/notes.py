"""Checkpoints as C2SP signed notes, so standard transparency tooling reads them.

The note text is a C2SP `tlog-checkpoint` body: the origin (the log's name: `ingot/<book>/<16
hex digits naming the database>`), the tree size in decimal, the base64 Merkle root, then two
extension lines of Ingot's own, `chain <base64 chain hash>` and `time <microseconds since the
epoch>`, each line ending in a newline. The signed note is that text, a blank line, and one
signature line: an em dash, a space, the key name (the origin), a space, and the base64 of the
4-byte key id followed by the 64-byte Ed25519 signature of the text, where

    key id = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]

(c2sp.org/signed-note, c2sp.org/tlog-checkpoint). The note and the checkpoint message are
signed by the same key; they cannot be confused, since a note is text and a checkpoint
message starts with the byte 0x13.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

__all__ = [
    "NoteParts",
    "checkpoint_note_text",
    "note_key_id",
    "parse_checkpoint_note",
    "signature_line",
]

_DASH = "\u2014"
_ED25519 = b"\x01"


def note_key_id(name: str, public_key: bytes) -> bytes:
    """The signed-note key id of an Ed25519 key under `name` (4 bytes)."""
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


def checkpoint_note_text(origin: str, size: int, root: bytes, chain: bytes, ts_us: int) -> str:
    """The note text (what the note signature covers) of one checkpoint."""
    if not origin or any(c.isspace() or c == "+" for c in origin):
        raise ValueError(f"origin {origin!r} must be non-empty, without spaces or '+'")
    b64 = base64.b64encode
    return (f"{origin}\n{size}\n{b64(root).decode()}\nchain {b64(chain).decode()}\n"
            f"time {ts_us}\n")  # fmt: skip


def signature_line(name: str, public_key: bytes, signature: bytes) -> str:
    """The note's signature line for `signature` by `public_key` under `name`."""
    blob = base64.b64encode(note_key_id(name, public_key) + signature).decode()
    return f"{_DASH} {name} {blob}\n"


@dataclass(frozen=True)
class NoteParts:
    """A checkpoint note, read back: its text, fields, and signatures (name, key id, sig)."""

    text: str
    origin: str
    size: int
    root: bytes
    chain: bytes
    ts_us: int
    signatures: tuple[tuple[str, bytes, bytes], ...]


def parse_checkpoint_note(note: str) -> NoteParts:
    """Split a signed checkpoint note; ValueError when it is not one of Ingot's."""
    text, sep, tail = note.rpartition("\n\n")
    if not sep or not tail.endswith("\n"):
        raise ValueError("a signed note is its text, a blank line, then signature lines")
    text += "\n"
    lines = text.split("\n")[:-1]
    if len(lines) != 5 or not lines[3].startswith("chain ") or not lines[4].startswith("time "):
        raise ValueError("not an Ingot checkpoint note (origin, size, root, chain, time)")
    signatures = []
    for line in tail.split("\n")[:-1]:
        dash, name, blob = ([*line.split(" "), "", ""])[:3]
        raw = base64.b64decode(blob, validate=True)
        if dash != _DASH or not name or len(raw) < 5:
            raise ValueError(f"not a note signature line: {line[:40]!r}")
        signatures.append((name, raw[:4], raw[4:]))
    size = lines[1]
    if not size.isdigit() or (size.startswith("0") and size != "0"):
        raise ValueError(f"tree size {size!r} is not a decimal without leading zeroes")
    return NoteParts(text, lines[0], int(size), base64.b64decode(lines[2], validate=True),
                     base64.b64decode(lines[3][6:], validate=True), int(lines[4][5:]),
                     tuple(signatures))  # fmt: skip
