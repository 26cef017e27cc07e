"""Orders, acknowledgments and fills as the engine, the exchange and the ledger see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ingot_core.money import fraction_digits
from ingot_core.symbols import Symbol

__all__ = [
    "Fill",
    "Order",
    "OrderAcknowledgment",
    "OrderRequest",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "request_problems",
]


class OrderSide(StrEnum):
    """Buy or sell; values match the database CHECK."""

    BUY = "Buy"
    SELL = "Sell"


class OrderType(StrEnum):
    """Market or limit; values match the database CHECK."""

    MARKET = "Market"
    LIMIT = "Limit"


class OrderStatus(StrEnum):
    """Where an order stands. SHADOW orders were only recorded, never sent."""

    OPEN = "Open"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    SHADOW = "Shadow"

    @property
    def terminal(self) -> bool:
        """Whether nothing more can happen to the order."""
        return self is not OrderStatus.OPEN


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the trader (or a strategy) asks for.

    Attributes:
      client_id: the caller's id; the same id never opens a second order.
      symbol: the market.
      side: Buy or Sell.
      type: Market or Limit.
      quantity: base units, positive, within the base currency's decimals.
      limit_price: for limit orders, the worst acceptable price; None for market orders.
    """

    client_id: str
    symbol: Symbol
    side: OrderSide
    type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None

    def same_order_as(self, other: OrderRequest) -> bool:
        """Whether `other` asks for exactly this order (its client id aside)."""
        return (
            self.symbol == other.symbol
            and self.side is other.side
            and self.type is other.type
            and self.quantity == other.quantity
            and self.limit_price == other.limit_price
        )

    def describe(self) -> str:
        """The order in a few words: `Buy 0.002 BTC-USD limit 59000`."""
        limit = "" if self.limit_price is None else f" limit {self.limit_price}"
        return f"{self.side.value} {self.quantity} {self.symbol}{limit}"


def request_problems(request: OrderRequest) -> list[str]:
    """Every reason the request is malformed, as sentences."""
    problems = []
    if not request.client_id.strip() or len(request.client_id) > 64:
        problems.append("client id must be 1-64 characters")
    base = request.symbol.base_currency
    if not request.quantity.is_finite() or request.quantity <= 0:
        problems.append(f"quantity {request.quantity} must be positive")
    elif fraction_digits(request.quantity) > base.decimals:
        problems.append(
            f"quantity {request.quantity} has more than the {base.decimals} "
            f"decimals {base.code} allows"
        )
    if request.type is OrderType.LIMIT:
        price = request.limit_price
        if price is None:
            problems.append("a limit order needs a limit price")
        elif not price.is_finite() or price <= 0:
            problems.append(f"limit price {price} must be positive")
        elif fraction_digits(price) > (quote := request.symbol.quote_currency).decimals:
            # A limit off the quote's grid would settle, rounded, beyond the limit itself.
            problems.append(
                f"limit price {price} has more than the {quote.decimals} decimals "
                f"{quote.code} allows"
            )
    elif request.limit_price is not None:
        problems.append("a market order takes no limit price")
    return problems


@dataclass(frozen=True, slots=True)
class OrderAcknowledgment:
    """The exchange's answer to an order, or to a tick that filled it.

    Attributes:
      exchange_id: the exchange's id of the order.
      status: Open (resting), Filled or Rejected.
      timestamp: when the exchange answered (UTC).
      fill_price, fill_quantity, cost, fee: the settlement, when filled.
      reason: why it was rejected.
    """

    exchange_id: str
    status: OrderStatus
    timestamp: datetime
    fill_price: Decimal | None = None
    fill_quantity: Decimal | None = None
    cost: Decimal | None = None
    fee: Decimal | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order's current state: the request plus everything the exchange said.

    Attributes:
      request: what was asked.
      exchange_id: the exchange's id ("" before it answered).
      status: where it stands now.
      submitted_at: when it was placed.
      updated_at: when its status last changed.
      fill_price, fill_quantity, cost, fee: the settlement, once filled.
      reason: the rejection or cancellation reason.
    """

    request: OrderRequest
    exchange_id: str
    status: OrderStatus
    submitted_at: datetime
    updated_at: datetime
    fill_price: Decimal | None = None
    fill_quantity: Decimal | None = None
    cost: Decimal | None = None
    fee: Decimal | None = None
    reason: str | None = None

    def acknowledged(self, ack: OrderAcknowledgment) -> Order:
        """This order after the exchange's acknowledgment."""
        return Order(
            self.request,
            ack.exchange_id,
            ack.status,
            self.submitted_at,
            ack.timestamp,
            ack.fill_price,
            ack.fill_quantity,
            ack.cost,
            ack.fee,
            ack.reason,
        )

    def fill(self) -> Fill:
        """The fill this order settled as (it must be Filled)."""
        if (
            self.status is not OrderStatus.FILLED
            or self.fill_price is None
            or self.fill_quantity is None
            or self.cost is None
            or self.fee is None
        ):
            raise ValueError(f"order {self.request.client_id} is not filled")
        r = self.request
        return Fill(
            r.client_id,
            r.symbol,
            r.side,
            self.fill_quantity,
            self.fill_price,
            self.cost,
            self.fee,
            self.updated_at,
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """An executed quantity of an order, as settled by the exchange.

    Attributes:
      order_id: the exchange's or the client's id of the order filled.
      symbol: the market traded.
      side: Buy or Sell.
      quantity: base units filled, positive.
      price: execution price in the quote currency, positive.
      cost: the settled notional in the quote currency, as the exchange booked it.
      fee: the fee in the quote currency, zero or more.
      filled_at: timezone-aware UTC instant of the fill.
    """

    order_id: str
    symbol: Symbol
    side: OrderSide
    quantity: Decimal
    price: Decimal
    cost: Decimal
    fee: Decimal
    filled_at: datetime
