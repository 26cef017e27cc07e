"""What a real Ingot writes, checked by the verifier written from docs/audit-format.md alone
(tests/core/test_audit_format_doc.py): an export's chain, a digest, a proof and a note."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tests.core.test_audit_format_doc import climb, digest_holds, leaf, note_holds, root, sha


def _us(text: str) -> int:
    at = datetime.fromisoformat(text)
    return int(at.timestamp()) * 1_000_000 + at.microsecond


def test_the_independent_verifier_checks_what_ingot_writes(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("buy", "BTC-USD", "0.01").exit_code == 0
    pem = invoke("audit", "key").stdout
    public = serialization.load_pem_public_key(pem.split("\n", 1)[1].encode()).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    digest = json.loads(invoke("audit", "digest").stdout)
    assert digest_holds(digest, public)
    exported = invoke("audit", "export", "--format", "json", "--output", "-").stdout
    leaves, chain = [], bytes(32)
    for line in exported.splitlines()[1:-1]:
        line = line.rstrip(",")
        head, payload = line.split(', "payload": ', 1)
        fields = json.loads(head + "}")
        leaves.append(leaf(fields["seq"], _us(fields["timestamp"]), fields["event_type"],
                           fields["actor"], fields["entity_id"], payload[:-1]))  # fmt: skip
        chain = sha(b"\x02" + chain + leaves[-1])
    assert len(leaves) == digest["size"]
    assert root(leaves).hex() == digest["root"]
    assert chain.hex() == digest["chain_hash"]
    proof = json.loads(invoke("audit", "prove", "4").stdout)
    e = proof["entry"]
    own = leaf(
        e["seq"], _us(e["timestamp"]), e["event_type"], e["actor"], e["entity_id"], e["payload"]
    )
    assert own.hex() == e["leaf_hash"] == leaves[3].hex()
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    assert climb(own, proof["leaf_index"], proof["tree_size"], path) == bytes.fromhex(
        proof["checkpoint"]["root"]
    )
    assert digest_holds(proof["checkpoint"], public)
    note = invoke("audit", "digest", "--format", "note").stdout
    said = note_holds(note, public)
    assert (int(said["size"]), said["root"], said["chain"]) == (
        digest["size"], digest["root"], digest["chain_hash"])  # fmt: skip
