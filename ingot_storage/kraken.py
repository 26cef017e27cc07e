"""Kraken's public market-data API over httpx: OHLC bars and the trade tape.

Facts this client is built on:
- OHLC returns only the 720 most recent bars, whatever `since` says, and its last entry is
  the bar still forming: it is handed back separately and never stored as final.
- Trades pages by `since`, a trade time in nanoseconds (exclusive), up to 1000 trades a call;
  `last` is the `since` of the next page. History older than the OHLC window is rebuilt
  from it.
- Pairs are asked for as e.g. XBTUSD but answered under Kraken's own key (XXBTZUSD), so the
  result key is looked up, never assumed.
- Errors come in the body's `error` array. Rate limiting, busy and unavailable answers, HTTP
  429 and 5xx, and network failures are retried with exponential backoff; an unknown pair is
  bad input; anything still failing after the retries is a network failure.

Every number is parsed exactly (JSON numbers as Decimals); calls are spaced to stay within
Kraken's public rate limit (one call a second by default).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ingot_core.bars import TradePrint
from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.instants import from_epoch
from ingot_core.symbols import Symbol
from ingot_storage.errors import SourceUnavailable

__all__ = [
    "DEFAULT_URL",
    "KrakenClient",
    "KrakenRejected",
    "OhlcPage",
    "TradesPage",
    "UnknownPair",
    "kraken_pair",
]

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.kraken.com"
# Kraken's own names for a few assets; every other code is used as it is.
_ASSET_NAMES = {"BTC": "XBT", "DOGE": "XDG"}
_RETRYABLE = ("EAPI:Rate limit exceeded", "EGeneral:Too many requests", "EService:")


class UnknownPair(ValidationError):
    """Kraken does not list this market."""


class KrakenRejected(SourceUnavailable):
    """Kraken refused the request, or answered in a shape Ingot cannot read."""


def kraken_pair(symbol: Symbol) -> str:
    """The pair name Kraken accepts for a symbol (BTC-USD -> XBTUSD)."""
    return _ASSET_NAMES.get(symbol.base, symbol.base) + _ASSET_NAMES.get(symbol.quote, symbol.quote)


@dataclass(frozen=True)
class OhlcPage:
    """One OHLC answer.

    Attributes:
      bars: the closed bars, oldest first.
      forming: the bar still forming (never to be stored as final), if any.
      last: Kraken's `last`, the `since` for the next poll.
    """

    bars: list[OhlcvBar]
    forming: OhlcvBar | None
    last: int


@dataclass(frozen=True)
class TradesPage:
    """One page of the trade tape.

    Attributes:
      trades: oldest first.
      last: the `since` (nanoseconds) for the next page.
    """

    trades: list[TradePrint]
    last: int


class KrakenClient:
    """Kraken's public endpoints, with spacing, retries and exact parsing."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str = DEFAULT_URL,
        *,
        min_interval: float = 1.0,
        retries: int = 5,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._last_call: float | None = None
        self.calls = 0

    def ohlc(
        self, symbol: Symbol, interval: BarInterval, since: int | None, now: datetime
    ) -> OhlcPage:
        """Bars from OHLC; the last entry, and anything not closed by `now`, is forming."""
        params: dict[str, Any] = {"pair": kraken_pair(symbol), "interval": interval.minutes}
        if since is not None:
            params["since"] = since
        rows, last = self._result(self._get("OHLC", params), symbol)
        bars = [_ohlc_bar(symbol, interval, row) for row in rows]
        forming = bars.pop() if bars else None
        while bars and bars[-1].closes_at > now:
            forming = bars.pop()
        return OhlcPage(bars, forming, int(last))

    def trades(self, symbol: Symbol, since_ns: int) -> TradesPage:
        """Up to 1000 trades after `since_ns` (exclusive), oldest first."""
        params = {"pair": kraken_pair(symbol), "since": since_ns, "count": 1000}
        rows, last = self._result(self._get("Trades", params), symbol)
        return TradesPage([_trade(row) for row in rows], int(last))

    # -- transport ------------------------------------------------------------------------

    def _result(self, body: dict[str, Any], symbol: Symbol) -> tuple[list[Any], Any]:
        result = body.get("result")
        if not isinstance(result, dict) or "last" not in result:
            raise KrakenRejected(f"Kraken answered without a result for {symbol}")
        keys = [k for k in result if k != "last"]
        if len(keys) != 1 or not isinstance(result[keys[0]], list):
            raise KrakenRejected(f"Kraken answered {keys} for {symbol}; expected one pair")
        return result[keys[0]], result["last"]

    def _get(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/0/public/{endpoint}"
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning("Kraken %s: %s; retrying in %.1fs", endpoint, problem, delay)
                self._sleep(delay)
            self._space()
            try:
                response = self.http.get(url, params=params)
            except httpx.TransportError as error:
                problem = f"network error ({type(error).__name__}: {error})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            body = _json(response)
            errors = [str(e) for e in body.get("error") or []]
            if not errors:
                return body
            if any(e.startswith("EQuery:Unknown asset pair") for e in errors):
                raise UnknownPair(f"pair {params['pair']}", ["Kraken does not list this pair"])
            if any(e.startswith(_RETRYABLE) for e in errors):
                problem = ", ".join(errors)
                continue
            if any(e.startswith("EGeneral:Invalid arguments") for e in errors):
                raise ValidationError(f"Kraken {endpoint} request", errors)
            raise KrakenRejected(f"Kraken refused {endpoint}: {', '.join(errors)}")
        raise SourceUnavailable(
            f"Kraken {endpoint} failed after {self.retries + 1} attempts: {problem}"
        )

    def _space(self) -> None:
        now = self._clock()
        if self._last_call is not None:
            wait = self.min_interval - (now - self._last_call)
            if wait > 0:
                self._sleep(wait)
                now += wait
        self._last_call = now
        self.calls += 1


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise KrakenRejected(
            f"Kraken answered HTTP {response.status_code} with a body that is not JSON"
        ) from None
    if not isinstance(body, dict):
        raise KrakenRejected("Kraken answered with JSON that is not an object")
    return body


def _ohlc_bar(symbol: Symbol, interval: BarInterval, row: list[Any]) -> OhlcvBar:
    # [time, open, high, low, close, vwap, volume, count]
    try:
        return OhlcvBar(
            symbol=symbol,
            interval=interval,
            timestamp=from_epoch(int(row[0])),
            open=Decimal(row[1]),
            high=Decimal(row[2]),
            low=Decimal(row[3]),
            close=Decimal(row[4]),
            volume=Decimal(row[6]),
            trade_count=int(row[7]),
        )
    except (IndexError, TypeError, ValueError, InvalidOperation) as error:
        raise KrakenRejected(f"Kraken sent an OHLC row Ingot cannot read: {row!r}") from error


def _trade(row: list[Any]) -> TradePrint:
    # [price, volume, time (seconds, fractional), side, type, misc, trade id]
    try:
        return TradePrint(
            price=Decimal(row[0]),
            volume=Decimal(row[1]),
            # Kraken gives 100 ns; Ingot keeps time to the microsecond.
            timestamp=from_epoch(Decimal(row[2]), truncate=True),
        )
    except (IndexError, TypeError, ValueError, InvalidOperation) as error:
        raise KrakenRejected(f"Kraken sent a trade Ingot cannot read: {row!r}") from error
