"""RFC 6962 Merkle trees: published test vectors, frontier, inclusion proofs; leaf hashing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingot_core.audit import (
    EMPTY_ROOT,
    ZERO_HASH,
    MerkleFrontier,
    chain_hash,
    inclusion_path,
    leaf_hash,
    merkle_root,
    rfc6962_leaf,
    to_micros,
    verify_inclusion,
)

# The Certificate Transparency reference vectors: leaf inputs and MTH(D[n]) for n = 0..8.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
          "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
HASHED = [rfc6962_leaf(d) for d in LEAVES]


@pytest.mark.parametrize("size", range(9))
def test_merkle_root_matches_rfc6962_vectors(size: int) -> None:
    assert merkle_root(HASHED[:size]).hex() == ROOTS[size]


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]


def test_inclusion_path_matches_reference_for_leaf_5_of_8() -> None:
    path = inclusion_path(HASHED, 5)
    assert [p.hex() for p in path] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert verify_inclusion(HASHED[5], 5, 8, path, bytes.fromhex(ROOTS[8]))


def leaves_of(n: int) -> list[bytes]:
    return [rfc6962_leaf(i.to_bytes(4, "big")) for i in range(n)]


@given(size=st.integers(1, 70), data=st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(size: int, data) -> None:
    leaves = leaves_of(size)
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, size - 1))
    path = inclusion_path(leaves, index)
    assert verify_inclusion(leaves[index], index, size, path, root)
    assert not verify_inclusion(rfc6962_leaf(b"forged"), index, size, path, root)
    if path:
        bent = [*path[:-1], rfc6962_leaf(b"bent")]
        assert not verify_inclusion(leaves[index], index, size, bent, root)
    if size > 1:
        other = (index + 1) % size
        assert not verify_inclusion(leaves[index], other, size, path, root)


def test_proof_for_index_outside_tree_is_rejected() -> None:
    assert not verify_inclusion(HASHED[0], 8, 8, [], bytes.fromhex(ROOTS[8]))
    with pytest.raises(ValueError, match="outside"):
        inclusion_path(HASHED, 8)


@given(size=st.integers(0, 300))
def test_frontier_round_trips_and_extends_like_a_full_recompute(size: int) -> None:
    leaves = leaves_of(size + 5)
    frontier = MerkleFrontier()
    for leaf in leaves[:size]:
        frontier.append(leaf)
    restored = MerkleFrontier.from_bytes(size, frontier.to_bytes())
    assert restored.root() == merkle_root(leaves[:size])
    for leaf in leaves[size:]:
        restored.append(leaf)
    assert restored.root() == merkle_root(leaves)


BASE = dict(seq=7, ts_us=to_micros(datetime(2026, 2, 28, 14, 30, 1, 5, tzinfo=UTC)),
            event_type="order_filled", actor="engine",
            entity_id=UUID(int=42).bytes, payload=b'{"qty":"1"}')  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 8},
        {"ts_us": BASE["ts_us"] + 1},
        {"event_type": "order_placed"},
        {"actor": "manual"},
        {"entity_id": None},
        {"entity_id": UUID(int=43).bytes},
        {"payload": b'{"qty":"2"}'},
    ],
)
def test_every_field_is_covered_by_the_leaf_hash(change: dict) -> None:
    assert leaf_hash(**{**BASE, **change}) != leaf_hash(**BASE)


def test_length_prefixes_keep_field_boundaries_apart() -> None:
    a = leaf_hash(**{**BASE, "event_type": "ab", "actor": "c"})
    b = leaf_hash(**{**BASE, "event_type": "a", "actor": "bc"})
    assert a != b


def test_chain_links_depend_on_the_previous_link() -> None:
    leaf = leaf_hash(**BASE)
    assert chain_hash(ZERO_HASH, leaf) != chain_hash(chain_hash(ZERO_HASH, leaf), leaf)
    assert chain_hash(ZERO_HASH, leaf) != leaf


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_micros(datetime(2026, 1, 1))
