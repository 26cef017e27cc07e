"""HTTP answers read within bounds: an overall deadline, and a size limit on the bytes that
arrive and on what they decompress to.

httpx's timeouts bound each network read, not the whole answer: a server that sends one
byte every few seconds keeps a reader waiting for as long as it likes. And httpx decodes
gzip without a limit, so a small compressed answer can inflate to gigabytes. Here the raw
body is read chunk by chunk, the clock and the wire size checked after each, and gzip or
deflate decompressed by zlib with an output bound; any other encoding is refused (requests
ask for gzip only). This is hand-written because httpx offers no such bound and it is a
few lines over zlib.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx

__all__ = ["AnswerRefused", "AnswerTooSlow", "Limits", "read_bounded"]


class AnswerRefused(Exception):
    """The answer breaks a bound: too big (on the wire or decompressed), or unreadable."""


class AnswerTooSlow(AnswerRefused):
    """The answer did not arrive whole before the deadline (worth another try)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one HTTP answer.

    Attributes:
      deadline_s: seconds from the request until the last byte of the answer.
      wire_bytes: most bytes accepted as they arrive (compressed).
      body_bytes: most bytes accepted once decompressed.
    """

    deadline_s: float = 30.0
    wire_bytes: int = 4 << 20
    body_bytes: int = 16 << 20


# zlib window bits: gzip's header, or zlib's (what "deflate" means over HTTP).
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def read_bounded(
    response: httpx.Response, limits: Limits, started: float, clock: Callable[[], float]
) -> bytes:
    """The decoded body of a streamed `response`; AnswerRefused (AnswerTooSlow) otherwise.

    `started` is the `clock()` reading when the request was sent.
    """
    if response.is_stream_consumed:
        # Only an in-memory transport (a recorded answer) hands over a body already read.
        if len(response.content) > limits.body_bytes:
            raise AnswerRefused(f"it is over {limits.body_bytes:,} bytes")
        return response.content
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", *_WBITS):
        raise AnswerRefused(f"it came in an encoding Ingot does not read ({encoding[:20]})")
    inflate = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
    wire = 0
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        wire += len(chunk)
        if wire > limits.wire_bytes:
            raise AnswerRefused(f"it is over {limits.wire_bytes:,} bytes")
        if inflate is None:
            parts.append(chunk)
            size += len(chunk)
        else:
            size = _inflate(inflate, chunk, parts, size, limits.body_bytes)
        if size > limits.body_bytes:
            raise AnswerRefused(f"it is over {limits.body_bytes:,} bytes")
        if clock() - started > limits.deadline_s:
            raise AnswerTooSlow(f"it took over {limits.deadline_s:g} s")
    if inflate is not None:
        try:
            tail = inflate.flush()
        except zlib.error as error:
            raise AnswerRefused(f"its {encoding} body is broken ({error})") from None
        parts.append(tail)
        size += len(tail)
        if size > limits.body_bytes:
            raise AnswerRefused(f"it is over {limits.body_bytes:,} bytes")
    return b"".join(parts)


def _inflate(
    inflate: zlib._Decompress, chunk: bytes, parts: list[bytes], size: int, limit: int
) -> int:
    # Decompress `chunk` without ever producing more than the limit (plus one byte, to know).
    data = chunk
    while data:
        try:
            out = inflate.decompress(data, limit - size + 1)
        except zlib.error as error:
            raise AnswerRefused(f"its compressed body is broken ({error})") from None
        parts.append(out)
        size += len(out)
        if size > limit:
            return size
        data = inflate.unconsumed_tail
    return size
