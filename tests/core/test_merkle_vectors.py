"""The Merkle verifiers against transparency-dev/merkle's published test vectors (every file of
its testdata/inclusion and testdata/consistency; see tests/core/vectors/README.md): each happy
path verifies, every probe meant to fail is rejected, and the proofs Ingot builds are theirs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ingot_core.audit import (
    consistency_path,
    inclusion_path,
    merkle_root,
    rfc6962_leaf,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).with_name("vectors")
INCLUSION: dict[str, Any] = json.loads((VECTORS / "transparency-dev-inclusion.json").read_text())
CONSISTENCY: dict[str, Any] = json.loads(
    (VECTORS / "transparency-dev-consistency.json").read_text()
)
# The leaves their trees are built from: RFC 6962's reference inputs.
LEAVES = [rfc6962_leaf(bytes.fromhex(h)) for h in ("", "00", "10", "2021", "3031", "40414243",
          "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip


def _hash(text: str | None) -> bytes:
    return b"" if text is None else base64.b64decode(text)


def _path(items: list[str] | None) -> list[bytes]:
    return [_hash(h) for h in items or []]


def test_the_vectors_are_all_there() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    assert sum(not v["wantErr"] for v in INCLUSION.values()) >= 6
    assert sum(v["wantErr"] for v in CONSISTENCY.values()) >= 80


@pytest.mark.parametrize("name", sorted(INCLUSION))
def test_inclusion_vector(name: str) -> None:
    v = INCLUSION[name]
    holds = verify_inclusion(_hash(v["leafHash"]), v["leafIdx"], v["treeSize"],
                             _path(v["proof"]), _hash(v["root"]))  # fmt: skip
    assert holds is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("name", sorted(CONSISTENCY))
def test_consistency_vector(name: str) -> None:
    v = CONSISTENCY[name]
    holds = verify_consistency(v["size1"], v["size2"], _path(v["proof"]), _hash(v["root1"]),
                               _hash(v["root2"]))  # fmt: skip
    assert holds is not v["wantErr"], v["desc"]


def test_the_proofs_ingot_builds_are_the_published_ones() -> None:
    built = 0
    for v in INCLUSION.values():
        if (
            not v["wantErr"]
            and v["treeSize"] <= len(LEAVES)
            and _hash(v["root"]) == merkle_root(LEAVES[: v["treeSize"]])
        ):
            assert inclusion_path(LEAVES[: v["treeSize"]], v["leafIdx"]) == _path(v["proof"])
            built += 1
    for v in CONSISTENCY.values():
        if not v["wantErr"] and v["size2"] <= len(LEAVES) and v["size1"] > 0:
            assert consistency_path(LEAVES[: v["size2"]], v["size1"]) == _path(v["proof"])
            built += 1
    assert built >= 8


@pytest.mark.parametrize("size", range(1, 20))
def test_every_consistency_proof_verifies_and_any_change_fails(size: int) -> None:
    leaves = [rfc6962_leaf(bytes([n])) for n in range(size)]
    new_root = merkle_root(leaves)
    for old in range(1, size + 1):
        old_root = merkle_root(leaves[:old])
        path = consistency_path(leaves, old)
        assert verify_consistency(old, size, path, old_root, new_root)
        assert not verify_consistency(old, size, path, new_root if old < size else b"x" * 32,
                                      new_root)  # fmt: skip
        for at in range(len(path)):
            bent = list(path)
            bent[at] = bytes([bent[at][0] ^ 1]) + bent[at][1:]
            assert not verify_consistency(old, size, bent, old_root, new_root)
        if old < size:
            assert not verify_consistency(old, size, path[:-1], old_root, new_root)
            assert not verify_consistency(old, size, [*path, new_root], old_root, new_root)
