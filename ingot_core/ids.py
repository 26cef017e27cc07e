"""Identifiers for transactions, accounts and exchange orders.

`new_uuid` returns a version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74
random bits, so ids sort by creation time and PostgreSQL appends them at the right edge of
a primary-key index instead of scattering them over it. Within one process they strictly
increase: an id made in the same millisecond as the last one (or after the clock stepped
back) continues from it.

The random bits come from a generator seeded with 256 bits from the operating system once
per process (and again in a forked child). An id has to be unique, not secret, and a
system call per id would hand the interpreter lock to other threads (the storage worker)
on every order, at a cost to both.
"""

from __future__ import annotations

import os
import random
import threading
import time
from uuid import UUID

__all__ = ["new_hex", "new_uuid"]

_RANDOM_BITS = 74  # 12 bits rand_a + 62 bits rand_b
_RANDOM_LIMIT = 1 << _RANDOM_BITS
_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62

_lock = threading.Lock()
_source = random.Random()
_last_ms = -1
_last_random = 0


def _reseed() -> None:
    global _last_ms
    _source.seed(os.urandom(32))
    _last_ms = -1


_reseed()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


def _next() -> int:
    global _last_ms, _last_random
    now_ms = time.time_ns() // 1_000_000
    with _lock:
        if now_ms > _last_ms:
            ms, rand = now_ms, _source.getrandbits(_RANDOM_BITS - 1)  # headroom to count up
        else:
            ms, rand = _last_ms, _last_random + 1
            if rand >= _RANDOM_LIMIT:
                ms, rand = _last_ms + 1, _source.getrandbits(_RANDOM_BITS - 1)
        _last_ms, _last_random = ms, rand
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    return (ms & ((1 << 48) - 1)) << 80 | _VERSION_7 | rand_a << 64 | _VARIANT_RFC | rand_b


def new_uuid() -> UUID:
    """A new, time-ordered, version 7 UUID."""
    return UUID(int=_next())


def new_hex() -> str:
    """A new id as 32 lower-case hex digits (a version 7 UUID's)."""
    return f"{_next():032x}"
