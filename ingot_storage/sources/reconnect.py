"""Keeping a WebSocket feed alive: connect, read until it fails, wait, connect again.

One rule for every feed: a failed connection (refused, dropped, silent past its deadline, a
handshake gone wrong) is retried with exponential backoff and jitter, four times longer after
the venue said the connection sends too much (RateLimited); a name that does not resolve before
the first connection, or `retries` failures in a row, ends the feed (SourceUnavailable, exit 10).
"""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Callable, Iterator
from typing import TypeVar

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ingot_core.errors import ValidationError
from ingot_core.numbers import shown
from ingot_storage.errors import SourceUnavailable

__all__ = ["RateLimited", "reconnecting"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class RateLimited(Exception):
    """The venue said the connection sends too much: wait longer before trying again."""


def reconnecting(
    session: Callable[[int], Iterator[_T]],
    *,
    name: str,
    variable: str,
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None],
    note: Callable[..., None],
    connected: Callable[[], int],
) -> Iterator[_T]:
    """What `session(attempt)` yields, connection after connection, without end.

    `connected()` says how many connections succeeded so far; `note(what, detail, **facts)`
    records each disconnect and retry (the trade log's connectivity events)."""
    failures = 0
    while True:
        limited = False
        try:
            for item in session(failures + 1):
                failures = 0  # it delivered: a new run of failures starts after this one
                yield item
        except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake) as error:
            problem = f"{type(error).__name__}: {shown(str(error), 120)}"
            if isinstance(error, socket.gaierror) and not connected():
                raise SourceUnavailable(f"cannot reach {name}: {problem}") from None
        except RateLimited as error:
            problem, limited = str(error), True
        except InvalidURI as error:
            raise ValidationError(variable, [str(error)]) from None
        failures += 1
        note("disconnect", problem, failures=failures)
        if failures > retries:
            raise SourceUnavailable(f"{name} failed {failures} times in a row: {problem}")
        delay = backoff_s * 2 ** (failures - 1) * (4 if limited else 1)
        delay *= 0.5 + random.random()  # jitter: reconnecting clients do not stampede
        note("rate_limit" if limited else "retry", problem, delay_s=f"{delay:.2f}")
        _log.warning("%s: %s; reconnecting in %.1fs", name, problem, delay)
        sleep(delay)
