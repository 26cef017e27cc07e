"""Kraken's public market-data API over httpx: OHLC bars and the trade tape.

Facts this client is built on:
- OHLC returns only the 720 most recent bars, whatever `since` says, and its last entry is
  the bar still forming: it is handed back separately and never stored as final.
- Trades pages by `since`, a trade time in nanoseconds (exclusive), up to 1000 trades a call;
  `last` is the `since` of the next page. History older than the OHLC window is rebuilt
  from it.
- Pairs are asked for as e.g. XBTUSD but answered under Kraken's own key (XXBTZUSD), so the
  result key is looked up, never assumed.
- Errors come in the body's `error` array. The rate-limit family (Temporary lockout too),
  busy and unavailable answers, HTTP 429 and 5xx, slow answers and network failures are
  retried with exponential backoff (a rate limit waits longer); a name that does not resolve
  or a certificate that does not verify is not retried; an unknown pair is bad input;
  anything still failing after the retries is a network failure.

Every answer is read within bounds (bounded_http: an overall deadline, a size limit before
and after decompression); every number is parsed exactly and bounded (JSON numbers as
Decimals; a fractional OHLC time is refused, never cut); messages repeat at most a short
prefix of what Kraken sent. Calls are spaced to stay within Kraken's public rate limit (one
call a second by default).
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from ingot_core.bars import TradePrint
from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.instants import from_epoch
from ingot_core.numbers import bounded_decimal, loads_json, parse_decimal, parse_whole, shown
from ingot_core.symbols import Symbol
from ingot_core.tradelog.events import TradeLogEvent
from ingot_core.tradelog.http import connectivity_event, http_request_event, http_response_event
from ingot_storage.config import StorageConfig
from ingot_storage.errors import SourceUnavailable
from ingot_storage.sources.bounded_http import AnswerRefused, AnswerTooSlow, Limits, read_bounded

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
# Kraken's rate-limit family (waited out longer), and its busy and unavailable answers.
_RATE_LIMITED = (
    "EAPI:Rate limit exceeded",
    "EGeneral:Too many requests",
    "EGeneral:Temporary lockout",
)
_BUSY = ("EService:",)
_LOCKOUT_FACTOR = 4  # a rate limit waits longer between tries than a network error
_ERRORS_SHOWN, _ERROR_CHARS = 5, 200  # of Kraken's error strings, what a message repeats
_MAX_WHOLE = 2**63 - 1
_SOURCE = "kraken-rest"
_LAST_SECOND = 253_402_300_799


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
        limits: Limits | None = None,
        trade_log: Callable[[TradeLogEvent], None] | None = None,
    ) -> None:
        self.http = http
        self._log = trade_log  # every request, answer and retry, when a trade log is kept
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._last_call: float | None = None
        self.calls = 0
        self.limits = limits or Limits()

    @classmethod
    def configured(
        cls, config: StorageConfig, trade_log: Callable[[TradeLogEvent], None] | None = None
    ) -> KrakenClient:
        """A client as the configuration says (INGOT_KRAKEN_*), on an httpx client of its own
        (closed with `close`)."""
        http = httpx.Client(timeout=config.kraken_timeout_s, headers={"User-Agent": "ingot"})
        return cls(
            http,
            config.kraken_url,
            min_interval=config.kraken_min_interval_ms / 1000,
            retries=config.kraken_retries,
            limits=Limits(deadline_s=config.kraken_timeout_s),
            trade_log=trade_log,
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

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
        return OhlcPage(bars, forming, _last(last))

    def trades(self, symbol: Symbol, since_ns: int) -> TradesPage:
        """Up to 1000 trades after `since_ns` (exclusive), oldest first."""
        params = {"pair": kraken_pair(symbol), "since": since_ns, "count": 1000}
        rows, last = self._result(self._get("Trades", params), symbol)
        return TradesPage([_trade(row) for row in rows], _last(last))

    # -- transport ------------------------------------------------------------------------

    def _result(self, body: dict[str, Any], symbol: Symbol) -> tuple[list[Any], Any]:
        result = body.get("result")
        if not isinstance(result, dict) or "last" not in result:
            raise KrakenRejected(f"Kraken answered without a result for {symbol}")
        keys = [k for k in result if k != "last"]
        if len(keys) != 1 or not isinstance(result[keys[0]], list):
            raise KrakenRejected(
                f"Kraken answered {shown(str(keys[:5]))} for {symbol}; expected one pair"
            )
        return result[keys[0]], result["last"]

    def _get(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/0/public/{endpoint}"
        problem = ""
        limited = False
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff * 2 ** (attempt - 1) * (_LOCKOUT_FACTOR if limited else 1)
                log.warning("Kraken %s: %s; retrying in %.1fs", endpoint, problem, delay)
                self._note("rate_limit" if limited else "retry", problem, attempt=attempt,
                           delay_s=str(delay))  # fmt: skip
                self._sleep(delay)
            self._space()
            try:
                status, body = self._fetch(url, params)
            except _Retry as retry:
                problem = str(retry)
                continue
            errors = _errors(body)
            busy = any(e.startswith(_BUSY) for e in errors)
            if status == 429 or status >= 500 or busy or _rate_limited(errors):
                limited = status == 429 or _rate_limited(errors)
                problem = ", ".join(errors) if errors else f"HTTP {status}"
                continue
            if not errors:
                return body
            if any(e.startswith("EQuery:Unknown asset pair") for e in errors):
                raise UnknownPair(f"pair {params['pair']}", ["Kraken does not list this pair"])
            if any(e.startswith("EGeneral:Invalid arguments") for e in errors):
                raise ValidationError(f"Kraken {endpoint} request", errors)
            raise KrakenRejected(f"Kraken refused {endpoint}: {', '.join(errors)}")
        self._note("gave_up", problem, attempts=self.retries + 1)
        if limited:
            raise SourceUnavailable(
                f"Kraken keeps limiting this address ({problem}) after {self.retries + 1} "
                "attempts; wait a few minutes before asking again"
            )
        raise SourceUnavailable(
            f"Kraken {endpoint} failed after {self.retries + 1} attempts: {problem}"
        )

    def _fetch(self, url: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of one GET within the limits; _Retry when another try
        may do better, KrakenRejected or SourceUnavailable when none would."""
        started = self._clock()
        if self._log is not None:
            self._log(http_request_event(_SOURCE, "GET", url, params))
        try:
            with self.http.stream(
                "GET", url, params=params, headers={"Accept-Encoding": "gzip"},
                timeout=self.limits.deadline_s,
            ) as response:  # fmt: skip
                content = read_bounded(response, self.limits, started, self._clock)
        except AnswerTooSlow as slow:
            raise _Retry(f"the answer was too slow: {slow}") from None
        except AnswerRefused as refused:
            raise KrakenRejected(f"Kraken's answer was refused: {refused}") from None
        except httpx.TransportError as error:
            if _hopeless(error):
                raise SourceUnavailable(f"cannot reach Kraken: {shown(str(error), 120)}") from None
            raise _Retry(
                f"network error ({type(error).__name__}: {shown(str(error), 120)})"
            ) from None
        if self._log is not None:
            self._log(http_response_event(_SOURCE, response.status_code, content))
        if response.status_code == 429 or response.status_code >= 500:
            return response.status_code, {}
        return response.status_code, _json(response.status_code, content)

    def _note(self, what: str, detail: str, **facts: object) -> None:
        if self._log is not None:
            self._log(connectivity_event(_SOURCE, what, detail, **facts))

    def _space(self) -> None:
        now = self._clock()
        if self._last_call is not None:
            wait = self.min_interval - (now - self._last_call)
            if wait > 0:
                self._sleep(wait)
                now += wait
        self._last_call = now
        self.calls += 1


def _last(value: object) -> int:
    try:
        return _whole(value, "last")
    except ValueError as error:
        raise KrakenRejected(f"Kraken sent a `last` Ingot cannot read: {error}") from None


class _Retry(Exception):
    """A failure another attempt may not have (network, slowness)."""


def _hopeless(error: httpx.TransportError) -> bool:
    # A name that does not resolve, or a certificate that does not verify, stays so.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror | ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    text = str(error)
    return "Name or service not known" in text or "CERTIFICATE_VERIFY_FAILED" in text


def _rate_limited(errors: list[str]) -> bool:
    return any(e.startswith(_RATE_LIMITED) for e in errors)


def _errors(body: dict[str, Any]) -> list[str]:
    raw = body.get("error")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
        raise KrakenRejected(f"Kraken answered an error field Ingot cannot read: {shown(str(raw))}")
    return [e[:_ERROR_CHARS] for e in raw[:_ERRORS_SHOWN]]


def _json(status: int, content: bytes) -> dict[str, Any]:
    try:
        body = loads_json(content)
    except ValueError as error:
        raise KrakenRejected(
            f"Kraken answered HTTP {status} with a body Ingot cannot read ({error})"
        ) from None
    if not isinstance(body, dict):
        raise KrakenRejected("Kraken answered with JSON that is not an object")
    return body


def _whole(value: object, what: str, low: int = 0) -> int:
    # A whole number Kraken sends as a JSON integer or a string of digits, never a fraction.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} {shown(str(value))} is not a whole number")
    return parse_whole(str(value), what, low, _MAX_WHOLE)


def _price(value: object, what: str) -> Decimal:
    if isinstance(value, str):
        return parse_decimal(value, what)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{what} {shown(str(value))} is not a number")
    return bounded_decimal(Decimal(value), what)


def _ohlc_bar(symbol: Symbol, interval: BarInterval, row: object) -> OhlcvBar:
    # [time, open, high, low, close, vwap, volume, count]
    try:
        if not isinstance(row, list) or len(row) < 8:
            raise ValueError("it is not a list of 8 fields")
        return OhlcvBar(
            symbol=symbol,
            interval=interval,
            timestamp=from_epoch(_whole(row[0], "time")),
            open=_price(row[1], "open"),
            high=_price(row[2], "high"),
            low=_price(row[3], "low"),
            close=_price(row[4], "close"),
            volume=_price(row[6], "volume"),
            trade_count=_whole(row[7], "count"),
        )
    except (ValueError, OverflowError) as error:
        raise KrakenRejected(
            f"Kraken sent an OHLC row Ingot cannot read ({error}): {shown(repr(row))}"
        ) from None


def _trade(row: object) -> TradePrint:
    # [price, volume, time (seconds, fractional), side, type, misc, trade id]
    try:
        if not isinstance(row, list) or len(row) < 3:
            raise ValueError("it is not a list of at least 3 fields")
        seconds = _price(row[2], "time")
        if not 0 <= seconds <= _LAST_SECOND:
            raise ValueError(f"time {seconds} is not between 1970 and 9999")
        trade_id = _whole(row[6], "trade id") if len(row) > 6 else None
        return TradePrint(
            price=_price(row[0], "price"),
            volume=_price(row[1], "volume"),
            # Kraken gives 100 ns; Ingot keeps time to the microsecond.
            timestamp=from_epoch(seconds, truncate=True),
            trade_id=trade_id,
        )
    except (ValueError, OverflowError) as error:
        raise KrakenRejected(
            f"Kraken sent a trade Ingot cannot read ({error}): {shown(repr(row))}"
        ) from None
