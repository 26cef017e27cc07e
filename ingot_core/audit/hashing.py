"""How an audit entry becomes its leaf hash, and the chain over the leaves.

Every field is hashed, each with a length prefix, under a version tag, so no two distinct
entries (or field splits) produce the same bytes:

    leaf_data  = VERSION_TAG || u64 seq || i64 ts_us || str event_type || str actor
                 || entity (0x00, or 0x01 || 16-byte UUID) || str payload
    str x      = u32 byte length || UTF-8 bytes
    leaf[n]    = SHA-256(0x00 || leaf_data)                 (an RFC 6962 Merkle leaf)
    chain[n]   = SHA-256(0x02 || chain[n-1] || leaf[n]),    chain[0] = 32 zero bytes

The 0x00 / 0x01 prefixes are RFC 6962's leaf and node prefixes; 0x02 separates chain links
from both. Checkpoints sign CHECKPOINT_TAG-prefixed bytes of their own.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime
from uuid import UUID

from ingot_core.instants import epoch_micros

__all__ = [
    "CHECKPOINT_TAG",
    "LEAF_PREFIX",
    "VERSION_TAG",
    "ZERO_HASH",
    "chain_hash",
    "checkpoint_message",
    "entity_bytes",
    "leaf_hash",
    "to_micros",
]

VERSION_TAG = b"\x0eingot-audit-v1"  # length-prefixed itself
CHECKPOINT_TAG = b"\x13ingot-checkpoint-v1"
ZERO_HASH = bytes(32)
_LEAF = b"\x00"
LEAF_PREFIX = _LEAF + VERSION_TAG  # the leaf preimage starts with these bytes
_CHAIN = b"\x02"
_HEAD = struct.Struct(">Qq")
_LEN = struct.Struct(">I")
_sha256 = hashlib.sha256


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of a timezone-aware instant."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return epoch_micros(moment)


def leaf_hash(
    seq: int, ts_us: int, event_type: str, actor: str, entity_id: bytes | None, payload: bytes
) -> bytes:
    """The RFC 6962 leaf hash of one audit entry (entity_id as 16 raw bytes, or None)."""
    et, ac = event_type.encode(), actor.encode()
    entity = b"\x00" if entity_id is None else b"\x01" + entity_id
    return _sha256(
        b"".join(
            (
                _LEAF,
                VERSION_TAG,
                _HEAD.pack(seq, ts_us),
                _LEN.pack(len(et)),
                et,
                _LEN.pack(len(ac)),
                ac,
                entity,
                _LEN.pack(len(payload)),
                payload,
            )
        )
    ).digest()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """The chain link after `previous` for `leaf`."""
    return _sha256(_CHAIN + previous + leaf).digest()


def entity_bytes(entity_id: UUID | None) -> bytes | None:
    """The 16 raw bytes of an entity id, or None."""
    return None if entity_id is None else entity_id.bytes


def checkpoint_message(size: int, root: bytes, chain: bytes, ts_us: int) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return CHECKPOINT_TAG + _HEAD.pack(size, ts_us) + root + chain
