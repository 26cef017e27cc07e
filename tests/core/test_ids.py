"""Time-ordered ids made without a system call per id."""

from __future__ import annotations

import os
import time
from itertools import pairwise
from uuid import UUID

import pytest

from ingot_core.ids import new_hex, new_uuid


def test_ids_are_version_7_rfc_9562_uuids_carrying_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    made = new_uuid()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == "specified in RFC 4122"
    assert before <= made.int >> 80 <= after


def test_ids_strictly_increase_and_never_repeat_within_a_millisecond() -> None:
    made = [new_uuid() for _ in range(20_000)]  # many share a millisecond
    assert len({u.int >> 80 for u in made}) < len(made)
    assert all(a.int < b.int for a, b in pairwise(made))


def test_hex_ids_are_the_same_kind() -> None:
    made = UUID(hex=new_hex())
    assert made.version == 7
    assert len(new_hex()) == 32


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_draws_other_random_bits_than_its_parent() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave at once
        os.write(writer, new_uuid().bytes)
        os._exit(0)
    os.waitpid(pid, 0)
    theirs = UUID(bytes=os.read(reader, 16))
    ours = new_uuid()
    os.close(reader)
    os.close(writer)
    low_bits = (1 << 62) - 1
    assert theirs.int & low_bits != ours.int & low_bits
