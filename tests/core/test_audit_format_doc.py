"""docs/audit-format.md cannot drift: every worked example in it is recomputed from Ingot's code,
and a verifier written from that page alone (hashlib, base64, struct and an Ed25519 check, none
of Ingot's code) verifies the example and what a real Ingot writes: an export's chain, a digest,
a proof and a checkpoint note."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.core.audit_examples import AT, ENTRIES, examples

DOC = (Path(__file__).resolve().parents[2] / "docs" / "audit-format.md").read_text()
SHOWN = dict(re.findall(r"<!-- example (\w+) -->\n```\w*\n(.*?)\n```", DOC, re.S))


def test_every_example_in_the_document_is_what_the_code_computes() -> None:
    computed = examples()
    assert set(SHOWN) == set(computed)
    for name, value in computed.items():
        assert SHOWN[name] == value.rstrip("\n"), name


# -- a verifier written from docs/audit-format.md alone ------------------------------------


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">I", len(raw)) + raw


def leaf(seq: int, time_us: int, event_type: str, actor: str, entity: str | None,
         payload: str) -> bytes:  # fmt: skip
    tag = b"\x00" if entity is None else b"\x01" + UUID(entity).bytes
    preimage = (b"\x00\x0eingot-audit-v1" + struct.pack(">Qq", seq, time_us) + text(event_type)
                + text(actor) + tag + text(payload))  # fmt: skip
    return sha(preimage)


def root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha(b"\x01" + root(leaves[:k]) + root(leaves[k:]))


def climb(leaf_hash: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root an inclusion path leads to, or None."""
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def signed(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def digest_holds(d: dict, public_key: bytes) -> bool:  # type: ignore[type-arg]
    from datetime import datetime

    at = datetime.fromisoformat(d["created_at"])
    us = (int(at.timestamp()) * 1_000_000) + at.microsecond
    message = (b"\x13ingot-checkpoint-v1" + struct.pack(">Qq", d["size"], us)
               + bytes.fromhex(d["root"]) + bytes.fromhex(d["chain_hash"]))  # fmt: skip
    return bytes.fromhex(d["public_key"]) == public_key and signed(
        public_key, message, bytes.fromhex(d["signature"])
    )


def note_holds(note: str, public_key: bytes) -> dict[str, str]:
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    origin, size, root64, chain, time = body.split("\n")[:5]
    for line in signatures.splitlines():
        dash, name, blob = line.split(" ")
        raw = base64.b64decode(blob)
        key_id = sha(name.encode() + b"\n\x01" + public_key)[:4]
        if dash == "\u2014" and name == origin and raw[:4] == key_id:
            assert signed(public_key, body.encode(), raw[4:])
            return {"size": size, "root": base64.b64decode(root64).hex(),
                    "chain": base64.b64decode(chain.removeprefix("chain ")).hex(),
                    "time": time.removeprefix("time ")}  # fmt: skip
    raise AssertionError("no signature by the trusted key")


def test_the_independent_verifier_agrees_with_the_worked_example() -> None:
    us = int(AT.timestamp()) * 1_000_000 + AT.microsecond
    leaves, chain = [], bytes(32)
    for seq, event_type, actor, entity, payload in ENTRIES:
        leaves.append(leaf(seq, us, event_type, actor, None if entity is None else str(entity),
                           payload))  # fmt: skip
        chain = sha(b"\x02" + chain + leaves[-1])
        assert leaves[-1].hex() == SHOWN[f"leaf_{seq}"]
        assert chain.hex() == SHOWN[f"chain_{seq}"]
    assert root(leaves).hex() == SHOWN["root_3"]
    public = bytes.fromhex(SHOWN["public_key"])
    assert sha(public).hex()[:16] == SHOWN["key_id"]
    assert signed(public, bytes.fromhex(SHOWN["checkpoint_message"]),
                  bytes.fromhex(SHOWN["checkpoint_signature"]))  # fmt: skip
    path = [bytes.fromhex(h) for h in SHOWN["inclusion_path_2_of_3"].split()]
    assert climb(leaves[1], 1, 3, path) == root(leaves)
    said = note_holds(SHOWN["note"] + "\n", public)
    assert (said["size"], said["root"], said["chain"]) == ("3", SHOWN["root_3"], chain.hex())
