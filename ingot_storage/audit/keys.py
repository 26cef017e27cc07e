"""The Ed25519 key that signs audit checkpoints, kept outside the database.

The private key is a PKCS#8 PEM file, mode 0600, in DATA_DIR/audit/signing-key.pem or
wherever INGOT_AUDIT_KEY points; it is created on first use. A key file that other users
can read is refused: whoever holds it can sign a rewritten history.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingot_storage.errors import ConfigError

if TYPE_CHECKING:  # cryptography loads when a key is used: reading commands never need it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "AuditSigner",
    "key_id_of",
    "load_signer",
    "pinned_key",
    "public_key_of",
    "public_pem",
    "signature_valid",
]


def key_id_of(public_key: bytes) -> str:
    """A short fingerprint of a raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def signature_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `public_key`'s Ed25519 signature of `message`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class AuditSigner:
    """A loaded signing key."""

    private_key: Ed25519PrivateKey
    path: Path

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        from cryptography.hazmat.primitives import serialization

        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        """The public key's fingerprint."""
        return key_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature of `message`."""
        return self.private_key.sign(message)


def _create(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; load theirs
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def load_signer(
    path: Path, *, create: bool = True, variable: str = "INGOT_AUDIT_KEY"
) -> AuditSigner:
    """Load the signing key at `path`, creating it (0600) when missing and `create` is set."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not path.exists():
        if not create:
            raise ConfigError(variable, f"no audit signing key at {path}")
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            variable, f"{path} is readable by other users (mode {mode:04o}); run chmod 600 on it"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise ConfigError(variable, f"{path} is not an unencrypted PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(variable, f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return AuditSigner(key, path)


def public_key_of(path: Path) -> bytes | None:
    """The public key of the signing key at `path`, or None when there is none yet."""
    if not path.exists():
        return None
    return load_signer(path, create=False).public_key


def pinned_key(spec: str) -> tuple[bytes | None, str]:
    """The key an auditor trusts, from `--key`: a PEM file (public key, or the private key
    itself) gives the raw public key and its id; 16 hex digits are a key id alone. ValueError
    when it is neither."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    path = Path(spec)
    if path.is_file():
        data = path.read_bytes()
        try:
            key: object = serialization.load_pem_public_key(data)
        except ValueError:
            try:
                key = serialization.load_pem_private_key(data, password=None).public_key()
            except (ValueError, TypeError):
                raise ValueError(f"{spec} holds no PEM Ed25519 key") from None
        if isinstance(key, Ed25519PrivateKey):  # pragma: no cover - public_key() above
            key = key.public_key()
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{spec} holds a {type(key).__name__}, not an Ed25519 key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw, key_id_of(raw)
    text = spec.strip().lower()
    if len(text) == 16 and all(c in "0123456789abcdef" for c in text):
        return None, text
    raise ValueError(f"{spec} is neither a PEM key file nor a 16-digit key id")


def public_pem(public_key: bytes) -> str:
    """A raw Ed25519 public key as a PEM SubjectPublicKeyInfo (what `--key` reads)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(public_key)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
