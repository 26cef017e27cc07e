"""Files an auditor hands to `ingot audit`: digests, proofs, and the key to trust."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ingot_cli.errors import BadInput, report_note

if TYPE_CHECKING:
    from ingot_storage.audit.checkpoints import Checkpoint
    from ingot_storage.audit.proofs import KeyTrust

__all__ = ["checkpoint_arg", "key_trust", "pinned_public_key", "read_checkpoint_file", "read_text"]


def read_text(path: Path, flag: str) -> str:
    """A file's text, or BadInput naming the flag."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(flag, [f"cannot read {path}: {error.strerror}"]) from None
    except UnicodeDecodeError:
        raise BadInput(flag, [f"{path} is not UTF-8 text"]) from None


def read_checkpoint_file(path: Path, flag: str) -> Checkpoint:
    """A digest written by `ingot audit digest`."""
    from ingot_storage.audit.checkpoints import Checkpoint

    try:
        return Checkpoint.from_json(read_text(path, flag))
    except ValueError as error:
        raise BadInput(flag, [f"{path}: {error}"]) from None


def checkpoint_arg(text: str, name: str) -> int | Checkpoint:
    """A checkpoint named on the command line: its size, or a digest file."""
    if text.replace(",", "").isdigit():
        return int(text.replace(",", ""))
    return read_checkpoint_file(Path(text), name)


def key_trust(
    key: str | None, strict: bool, signer: str, rotations: Path | None = None
) -> KeyTrust | None:
    """What `--key` pins (a PEM file or a key id), followed through the `rotations` statements
    when given; without a key, a note on stderr that the key came from the file being
    checked, or an error with --strict."""
    from ingot_storage.audit.keys import pinned_key
    from ingot_storage.audit.proofs import trusting

    if key is None:
        if strict:
            raise BadInput("--key", ["--strict needs --key: the file's own key proves nothing"])
        report_note(f"the signing key {signer} came from the file itself; pin the one you "
                    "trust with --key")  # fmt: skip
        return None
    try:
        raw, key_id = pinned_key(key)
    except (OSError, ValueError) as error:
        raise BadInput("--key", [str(error)]) from None
    if rotations is None:
        return trusting(raw, key_id)
    return _following(raw, key_id, rotations)


def _following(raw: bytes | None, key_id: str, rotations: Path) -> KeyTrust:
    from ingot_storage.audit.keys import key_id_of
    from ingot_storage.audit.rotation import KeyChain, RotationStatement

    lines = [line for line in read_text(rotations, "--rotations").splitlines() if line.strip()]
    try:
        statements = [RotationStatement.from_json(line) for line in lines]
        first = raw if raw is not None else (statements[0].old_key if statements else b"")
        if key_id_of(first) != key_id:
            raise ValueError(f"the rotations start from key {key_id_of(first)}, not {key_id}")
        chain = KeyChain.following(first, statements)
    except ValueError as error:
        raise BadInput("--rotations", [str(error)]) from None

    def trust(checkpoint: Checkpoint) -> str | None:
        if chain.allows(checkpoint):
            return None
        return (f"is signed by key {checkpoint.key_id}, which did not hold the log at "
                f"{checkpoint.size:,} entries by the rotations from key {key_id}")  # fmt: skip

    return trust


def pinned_public_key(key: str, digest: Checkpoint | None) -> bytes:
    """The raw public key `--key` pins for `audit verify`; a key id alone pins the digest's
    key when its id is that one (a key id cannot verify a signature by itself)."""
    from ingot_storage.audit.keys import pinned_key

    try:
        raw, key_id = pinned_key(key)
    except (OSError, ValueError) as error:
        raise BadInput("--key", [str(error)]) from None
    if raw is not None:
        return raw
    if digest is None or digest.key_id != key_id:
        raise BadInput("--key", [f"key id {key_id} names no key at hand: give its PEM file, "
                                 "or a --digest signed by it"])  # fmt: skip
    return digest.public_key
