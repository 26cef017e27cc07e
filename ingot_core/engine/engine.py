"""The trading engine: marks, orders, the paper exchange, risk, ledger and positions.

It runs in process and synchronously: each call changes the ledger and positions, and
tells the storage sink (if any) what happened, in order. Nothing here touches I/O; time
comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from ingot_core.accounting import Currency, Ledger, post_order_fill
from ingot_core.engine.admission import conversion_rates, order_refusal, reference_price
from ingot_core.engine.events import (
    AccountCreated,
    EquitySnapshot,
    OrderUpdated,
    PositionSnapshot,
    SignalRaised,
    StorageEvent,
    StorageSink,
    TickReceived,
    TransactionPosted,
)
from ingot_core.engine.outcomes import (
    InvalidOrder,
    PlaceResult,
    TradingMode,
    UnknownOrder,
    refuse_unavailable_mode,
)
from ingot_core.engine.paper import PaperExchange
from ingot_core.engine.positions import BookingMethod, Position, apply_fill
from ingot_core.engine.risk import RiskCaps
from ingot_core.errors import MissingMarks
from ingot_core.execution import (
    Order,
    OrderAcknowledgment,
    OrderRequest,
    OrderStatus,
    request_problems,
)
from ingot_core.feed import Quote, Ticker
from ingot_core.ids import new_hex
from ingot_core.signals import Signal
from ingot_core.symbols import Symbol
from ingot_core.tradelog.paper import PaperWire

__all__ = ["TradingEngine"]


class TradingEngine:
    """One trader's engine over one ledger."""

    def __init__(
        self,
        ledger: Ledger,
        base_currency: Currency,
        *,
        sink: StorageSink | None = None,
        mode: TradingMode = TradingMode.PAPER,
        live_armed: bool = False,
        caps: RiskCaps | None = None,
        exchange: PaperExchange | None = None,
        equity_interval: timedelta = timedelta(seconds=60),
        new_id: Callable[[], str] = new_hex,
        find_order: Callable[[str], Order | None] | None = None,
        booking: BookingMethod = BookingMethod.AVERAGE,
        wire: PaperWire | None = None,
    ) -> None:
        refuse_unavailable_mode(mode, live_armed)
        self.booking, self.ledger, self.base_currency = booking, ledger, base_currency
        self.wire = wire  # the trade log of what goes to and comes from the exchange
        self.sink, self.mode, self.caps = sink, mode, caps or RiskCaps()
        self.exchange, self.equity_interval = exchange or PaperExchange(), equity_interval
        self._new_id = new_id
        # An order the engine does not hold in memory (it restores only the resting ones),
        # looked up by client id in the store: a used client id is known however old.
        self._find_order = find_order
        self.marks: dict[Symbol, Decimal] = {}
        self.orders: dict[str, Order] = {}
        self._resting: dict[str, Order] = {}  # the open subset of `orders`, kept in step
        self.positions: dict[Symbol, Position] = {}
        self._used_client_ids: set[str] = set()
        self._last_equity: datetime | None = None
        self._unit: list[StorageEvent] = []

    # -- start-up -------------------------------------------------------------------------

    def restore(
        self,
        *,
        marks: dict[Symbol, Decimal] | None = None,
        orders: Iterable[Order] = (),
        positions: Iterable[Position] = (),
        used_client_ids: Iterable[str] = (),
    ) -> None:
        """Load state persisted by earlier sessions (no events are emitted)."""
        self.marks.update(marks or {})
        for order in orders:
            self._remember(order)
        self.positions.update({p.symbol: p for p in positions})
        self._used_client_ids.update(used_client_ids)
        self._used_client_ids.update(self.orders)

    # -- queries --------------------------------------------------------------------------

    def open_orders(self) -> list[Order]:
        """Resting orders, oldest first."""
        return sorted(self._resting.values(), key=lambda o: o.submitted_at)

    def currency_marks(self) -> dict[str, Decimal]:
        """Marks as NAV wants them: currency code -> price in the book's currency (through
        its quote's rate when it is marked in another currency)."""
        return conversion_rates(self.marks, self.base_currency.code)

    def nav(self) -> Decimal:
        """NAV in the base currency at the current marks."""
        return self.ledger.nav(self.base_currency, self.currency_marks())

    # -- market data ----------------------------------------------------------------------

    def on_tick(self, ticker: Ticker) -> list[Order]:
        """Take a new mark; fill every resting order it crosses; return the fills."""
        if not ticker.price.is_finite() or ticker.price <= 0:
            raise InvalidOrder("tick", [f"price {ticker.price} must be positive"])
        with self._operation():
            return self._take_tick(ticker)

    def on_quote(self, quote: Quote) -> None:
        """Take a quote's mid as the new mark (NAV follows); no fill, nothing on the tape."""
        if not (0 < quote.bid <= quote.ask) or not quote.ask.is_finite():
            raise InvalidOrder("quote", [f"bid {quote.bid} and ask {quote.ask} must be "
                                         "positive, the bid at most the ask"])  # fmt: skip
        with self._operation():
            self.marks[quote.symbol] = quote.mid
            self._maybe_equity(quote.timestamp)

    def _take_tick(self, ticker: Ticker) -> list[Order]:
        self.marks[ticker.symbol] = ticker.price
        self._emit(TickReceived(ticker))
        filled = []
        for order in self.open_orders():
            if order.request.symbol != ticker.symbol:
                continue
            ack = self.exchange.on_tick(
                order.request, ticker.price, order.exchange_id, ticker.timestamp
            )
            if ack is not None:
                filled.append(self._apply_fill(order, ack))
                if self.wire is not None:
                    self.wire.filled(filled[-1])
        self._maybe_equity(ticker.timestamp)
        return filled

    # -- orders ---------------------------------------------------------------------------

    def place_order(
        self,
        request: OrderRequest,
        now: datetime,
        signal: tuple[Signal, str] | tuple[Signal, str, int] | None = None,
    ) -> PlaceResult:
        """Check, then send (PAPER) or record (SHADOW) an order; never the same client id twice.

        The same request again returns the order it placed; another request under a used
        client id is malformed.

        Malformed requests raise InvalidOrder and change nothing. Risk vetoes, missing marks
        and insufficient funds produce a recorded Rejected order with its reason. A strategy
        passes its (signal, run id[, tick seq]): recorded in the same unit as the order.
        """
        problems = request_problems(request)
        if problems:
            raise InvalidOrder(f"order {request.client_id}", problems)
        self._recall(request.client_id)
        if request.client_id in self._used_client_ids:
            existing = self.orders.get(request.client_id)
            if existing is None:
                raise InvalidOrder(
                    f"order {request.client_id}", ["this client id was already used"]
                )
            if not existing.request.same_order_as(request):
                raise InvalidOrder(
                    f"order {request.client_id}",
                    [
                        f"client id {request.client_id!r} already names another order "
                        f"({existing.request.describe()})"
                    ],
                )
            return PlaceResult(existing, created=False)
        self._used_client_ids.add(request.client_id)
        with self._operation():
            if signal is not None:
                tick = signal[2] if len(signal) > 2 else None
                self._emit(SignalRaised(signal[0], signal[1], request.client_id, tick))
            placed = self._place(request, now)
        if self.wire is not None:
            self.wire.placed(placed.order)
        return placed

    def _place(self, request: OrderRequest, now: datetime) -> PlaceResult:
        order = Order(request, "", OrderStatus.OPEN, now, now)
        reason = self._refusal(request)
        if reason is not None:
            rejected = order.acknowledged(
                OrderAcknowledgment("", OrderStatus.REJECTED, now, reason=reason)
            )
            return PlaceResult(self._record(rejected), created=True)
        if self.mode is TradingMode.SHADOW:
            return PlaceResult(
                self._record(order.acknowledged(OrderAcknowledgment("", OrderStatus.SHADOW, now))),
                created=True,
            )
        exchange_id = f"P-{self._new_id()}"
        mark = self.marks.get(request.symbol)
        if mark is None:  # only a limit order gets here without a mark: it rests
            ack = OrderAcknowledgment(exchange_id, OrderStatus.OPEN, now)
        else:
            ack = self.exchange.place(request, mark, exchange_id, now)
        if ack.status is OrderStatus.FILLED:
            return PlaceResult(self._apply_fill(order, ack), created=True)
        return PlaceResult(self._record(order.acknowledged(ack)), created=True)

    def cancel(self, order_id: str, now: datetime) -> Order:
        """Cancel a resting order by client id or exchange id."""
        self._recall(order_id)
        order = self.orders.get(order_id) or next(
            (o for o in self.orders.values() if o.exchange_id == order_id), None
        )
        if order is None:
            raise UnknownOrder(f"no order {order_id!r}")
        if order.status is not OrderStatus.OPEN:
            raise UnknownOrder(
                f"order {order_id} is {order.status.value}; only open orders can be cancelled"
            )
        cancelled = order.acknowledged(
            OrderAcknowledgment(
                order.exchange_id, OrderStatus.CANCELLED, now, reason="cancelled by the trader"
            )
        )
        with self._operation():
            self._record(cancelled)
        if self.wire is not None:
            self.wire.cancelled(cancelled)
        return cancelled

    # -- internals ------------------------------------------------------------------------

    def _emit(self, event: StorageEvent) -> None:
        self._unit.append(event)

    @contextmanager
    def _operation(self) -> Iterator[None]:
        # Everything one call emits goes to the sink as one unit, committed together.
        try:
            yield
        finally:
            unit, self._unit = self._unit, []
            if unit and self.sink is not None:
                self.sink.emit(unit)

    def _recall(self, client_id: str) -> None:
        """Bring an order placed earlier (not resting, so not restored) into memory."""
        if self._find_order is None or client_id in self.orders:
            return
        found = self._find_order(client_id)
        if found is not None:
            self._remember(found)
            self._used_client_ids.add(client_id)

    def _remember(self, order: Order) -> None:
        client_id = order.request.client_id
        self.orders[client_id] = order
        if order.status is OrderStatus.OPEN:
            self._resting[client_id] = order
        else:
            self._resting.pop(client_id, None)

    def _record(self, order: Order) -> Order:
        self._remember(order)
        self._emit(OrderUpdated(order))
        return order

    def _apply_fill(self, order: Order, ack: OrderAcknowledgment) -> Order:
        filled = order.acknowledged(ack)
        fill = filled.fill()
        posting = post_order_fill(self.ledger, fill)
        for account in posting.accounts_created:
            self._emit(AccountCreated(account))
        self._emit(TransactionPosted(posting.transaction))
        self._record(filled)
        symbol = order.request.symbol
        position = apply_fill(self.positions.get(symbol, Position(symbol)), fill, self.booking)
        self.positions[symbol] = position
        self._emit(PositionSnapshot(position, ack.timestamp, order.request.client_id))
        self._maybe_equity(ack.timestamp)
        return filled

    def _maybe_equity(self, now: datetime) -> None:
        # Throttled: at most one NAV snapshot per equity_interval.
        if self._last_equity is not None and now - self._last_equity < self.equity_interval:
            return
        try:
            nav = self.nav()
        except MissingMarks:
            return  # a held currency has no price yet: no honest NAV to record
        self._last_equity = now
        self._emit(EquitySnapshot(nav, self.base_currency.code, now))

    def _reference_price(self, request: OrderRequest) -> Decimal | None:
        return reference_price(request, self.marks)

    def _refusal(self, request: OrderRequest) -> str | None:
        return order_refusal(request, base=self.base_currency.code, marks=self.marks,
                             positions=self.positions, resting=list(self._resting.values()),
                             ledger=self.ledger, caps=self.caps, exchange=self.exchange,
                             shadow=self.mode is TradingMode.SHADOW)  # fmt: skip
