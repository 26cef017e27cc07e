"""The worked examples of docs/audit-format.md, computed from Ingot's own code: the doc's test
holds every hex string there to these, so the document cannot drift from the code."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ingot_core.audit import (
    ZERO_HASH,
    chain_hash,
    checkpoint_message,
    consistency_path,
    inclusion_path,
    leaf_hash,
    merkle_root,
    to_micros,
)
from ingot_core.audit.hashing import LEAF_PREFIX
from ingot_core.audit.notes import checkpoint_note_text, note_key_id, signature_line
from ingot_storage.audit.keys import key_id_of

SEED = bytes(range(32))  # the example key's private seed: 00 01 02 … 1f
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
ENTITY = UUID("01234567-89ab-cdef-0123-456789abcdef")
ENTRIES = [  # seq, event_type, actor, entity_id, payload text
    (1, "book_opened", "bootstrap", None, '{"base_currency":"USD","booking":"fifo"}'),
    (2, "account_created", "bootstrap", ENTITY, '{"name":"Assets:Cash:USD"}'),
    (3, "order_filled", "cli", ENTITY, '{"fee":"1.56","qty":"0.01"}'),
]
ORIGIN = "ingot/main/0123456789abcdef"


def _preimage(seq: int, event_type: str, actor: str, entity: UUID | None, payload: str) -> bytes:
    def text(value: str) -> bytes:
        raw = value.encode()
        return len(raw).to_bytes(4, "big") + raw

    tag = b"\x00" if entity is None else b"\x01" + entity.bytes
    return (LEAF_PREFIX + seq.to_bytes(8, "big") + to_micros(AT).to_bytes(8, "big", signed=True)
            + text(event_type) + text(actor) + tag + text(payload))  # fmt: skip


def examples() -> dict[str, str]:
    """Every example value, by the name the document gives it."""
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)  # fmt: skip
    leaves, chains, chain = [], [], ZERO_HASH
    for seq, event_type, actor, entity, payload in ENTRIES:
        leaf = leaf_hash(seq, to_micros(AT), event_type, actor,
                         None if entity is None else entity.bytes, payload.encode())  # fmt: skip
        chain = chain_hash(chain, leaf)
        leaves.append(leaf)
        chains.append(chain)
    root = merkle_root(leaves)
    message = checkpoint_message(3, root, chains[-1], to_micros(AT))
    text = checkpoint_note_text(ORIGIN, 3, root, chains[-1], to_micros(AT))
    note = text + "\n" + signature_line(ORIGIN, public, key.sign(text.encode()))
    values = {
        "public_key": public.hex(),
        "key_id": key_id_of(public),
        "leaf_preimage_2": _preimage(*ENTRIES[1]).hex(),
        "root_3": root.hex(),
        "checkpoint_message": message.hex(),
        "checkpoint_signature": key.sign(message).hex(),
        "note_key_id": note_key_id(ORIGIN, public).hex(),
        "inclusion_path_2_of_3": " ".join(h.hex() for h in inclusion_path(leaves, 1)),
        "consistency_path_2_to_3": " ".join(h.hex() for h in consistency_path(leaves, 2)),
        "note": note,
    }
    for n in range(3):
        values[f"leaf_{n + 1}"] = leaves[n].hex()
        values[f"chain_{n + 1}"] = chains[n].hex()
    return values
