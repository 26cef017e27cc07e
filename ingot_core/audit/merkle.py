"""RFC 6962 Merkle trees over audit leaf hashes: roots, a streaming frontier, inclusion and
consistency proofs (RFC 9162 sections 2.1.3 and 2.1.4).

MTH({})      = SHA-256("")
MTH({d})     = leaf hash of d            (leaf hashes are computed by hashing.leaf_hash)
MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),  k the largest power of 2 < n
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleFrontier",
    "consistency_path",
    "inclusion_path",
    "merkle_root",
    "node_hash",
    "rfc6962_leaf",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def rfc6962_leaf(data: bytes) -> bytes:
    """The RFC 6962 leaf hash of raw `data` (for the published test vectors)."""
    return _sha256(b"\x00" + data).digest()


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes."""
    frontier = MerkleFrontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


class MerkleFrontier:
    """The right edge of a growing tree: O(log n) hashes give the root at every size.

    `nodes[i]` is the root of a perfect subtree of 2**heights[i] leaves; heights strictly
    decrease from left to right, mirroring the binary digits of `size`.
    """

    __slots__ = ("heights", "nodes", "size")

    def __init__(self) -> None:
        self.size = 0
        self.nodes: list[bytes] = []
        self.heights: list[int] = []

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        node, height = leaf, 0
        nodes, heights = self.nodes, self.heights
        while heights and heights[-1] == height:
            node = node_hash(nodes.pop(), node)
            heights.pop()
            height += 1
        nodes.append(node)
        heights.append(height)
        self.size += 1

    def root(self) -> bytes:
        """MTH of every leaf appended so far."""
        if not self.nodes:
            return EMPTY_ROOT
        root = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            root = node_hash(node, root)
        return root

    def to_bytes(self) -> bytes:
        """The frontier's nodes, concatenated, for storage next to a checkpoint."""
        return b"".join(self.nodes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> MerkleFrontier:
        """Rebuild the frontier of a tree of `size` leaves from `to_bytes` output."""
        heights = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if len(data) != 32 * len(heights):
            raise ValueError(f"a frontier of {size} leaves has {len(heights)} nodes")
        frontier = cls()
        frontier.size = size
        frontier.heights = heights
        frontier.nodes = [data[i : i + 32] for i in range(0, len(data), 32)]
        return frontier


def _subtree_root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    frontier = MerkleFrontier()
    for leaf in leaves[start:end]:
        frontier.append(leaf)
    return frontier.root()


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 PATH(index, leaves): the audit path proving leaf `index` is in the tree."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is outside a tree of {len(leaves)}")
    path: list[bytes] = []
    start, end = 0, len(leaves)
    # Walk from the root down to the leaf; siblings are collected top-down, then reversed.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(_subtree_root(leaves, start + k, end))
            end = start + k
        else:
            path.append(_subtree_root(leaves, start, start + k))
            start += k
    path.reverse()
    return path


def _hashes(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2): is `leaf` at `index` under `root`?
    Every hash must be 32 bytes."""
    if not 0 <= index < size or not _hashes(leaf, root, *path):
        return False
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_path(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]): the hashes showing that the tree of the first `old_size`
    leaves is a prefix of the tree of all of them (empty when the sizes are equal)."""
    size = len(leaves)
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from {old_size} leaves to {size}")
    path: list[bytes] = []
    start, end, whole = 0, size, True  # SUBPROOF(m, D[start:end], whole), unrolled
    m = old_size
    while True:
        n = end - start
        if m == n:
            if not whole:
                path.append(_subtree_root(leaves, start, end))
            break
        k = _split(n)
        if m <= k:
            path.append(_subtree_root(leaves, start + k, end))
            end = start + k
        else:
            path.append(_subtree_root(leaves, start, start + k))
            start, m, whole = start + k, m - k, False
    path.reverse()
    return path


def verify_consistency(
    old_size: int, new_size: int, path: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """Check a consistency proof (RFC 9162 section 2.1.4.2): is the tree of `old_size`
    leaves under `old_root` the prefix of the tree of `new_size` under `new_root`? Equal
    sizes need an empty proof and equal roots (nothing is hashed: as the published vectors
    have it, the roots' form is then the checkpoints' business); otherwise every hash must
    be 32 bytes."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if not path or not _hashes(old_root, new_root, *path):
        return False
    proof = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        proof.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
