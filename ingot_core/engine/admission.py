"""Whether the engine may take an order: a price to judge it by, holdings to sell, cash to pay,
and the risk caps; and how the book's marks price every currency in its base currency.

A book trades in its base currency and in others: BTC-EUR in a USD book settles in EUR cash.
Such an order needs a rate for its quote (a mark of EUR-USD) so that its exposure can be held
to the caps, which are in the base currency; the cash it needs is the cash of its own quote,
less what resting buys in that quote have reserved. NAV prices a currency by its mark in the
base currency when there is one, else through its quote: BTC by BTC-EUR times EUR-USD.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from ingot_core.accounting import Ledger, cash_account_name, holdings_account_name
from ingot_core.engine.paper import PaperExchange, settle
from ingot_core.engine.positions import Position
from ingot_core.engine.risk import RiskCaps, risk_veto
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderType
from ingot_core.money import EXACT, exact_sum
from ingot_core.symbols import Symbol

__all__ = ["conversion_rates", "order_refusal", "reference_price"]


def conversion_rates(marks: Mapping[Symbol, Decimal], base: str) -> dict[str, Decimal]:
    """Currency code -> the price of one unit in `base`: a direct mark X-BASE, else X-Q at
    the rate of Q (exact: the product of two decimals)."""
    rates = {s.base: p for s, p in marks.items() if s.quote == base}
    for symbol, price in marks.items():
        if symbol.quote != base and symbol.base not in rates and symbol.quote in rates:
            rates[symbol.base] = EXACT.multiply(price, rates[symbol.quote])
    return rates


def reference_price(request: OrderRequest, marks: Mapping[Symbol, Decimal]) -> Decimal | None:
    """The price an order is judged by: the mark, or a limit below it (or with no mark)."""
    mark = marks.get(request.symbol)
    if request.type is OrderType.LIMIT:
        return request.limit_price if mark is None else min(mark, request.limit_price or mark)
    return mark


def _exposure(symbol: Symbol, position: Position | None, mark: Decimal | None,
              resting: Iterable[Order]) -> Decimal:  # fmt: skip
    """Exposure to `symbol` in its quote: what is held (at the mark, else at cost) and what
    resting buys would add."""
    held = Decimal(0)
    if position is not None and position.quantity:
        held = position.market_value(mark) if mark is not None else position.cost_basis
    buying = [EXACT.multiply(o.request.quantity, o.request.limit_price or Decimal(0))
              for o in resting
              if o.request.symbol == symbol and o.request.side is OrderSide.BUY]  # fmt: skip
    return exact_sum([held, *buying])


def _holdings_refusal(request: OrderRequest, position: Position | None,
                      resting: Iterable[Order]) -> str | None:  # fmt: skip
    symbol = request.symbol
    held = position.quantity if position is not None else Decimal(0)
    selling = exact_sum(
        o.request.quantity
        for o in resting
        if o.request.symbol == symbol and o.request.side is OrderSide.SELL
    )
    if EXACT.add(selling, request.quantity) > held:
        return f"insufficient {symbol.base}: hold {held}, already selling {selling}"
    return None


def _cash_refusal(request: OrderRequest, needed: Decimal, ledger: Ledger,
                  resting: Iterable[Order]) -> str | None:  # fmt: skip
    quote = request.symbol.quote
    # A currency held is spendable in its own markets: cash, or what buying it brought.
    accounts = (ledger.find_account(name(quote)) for name in (cash_account_name,
                                                              holdings_account_name))  # fmt: skip
    available = exact_sum(ledger.balance(a.id) for a in accounts if a is not None)
    reserved = exact_sum(
        EXACT.multiply(o.request.quantity, o.request.limit_price or Decimal(0))
        for o in resting
        if o.request.side is OrderSide.BUY and o.request.symbol.quote == quote
    )
    free = EXACT.subtract(available, reserved)
    if needed > free:
        return f"insufficient {quote}: need {needed}, available {free}"
    return None


def order_refusal(
    request: OrderRequest,
    *,
    base: str,
    marks: Mapping[Symbol, Decimal],
    positions: Mapping[Symbol, Position],
    resting: list[Order],
    ledger: Ledger,
    caps: RiskCaps,
    exchange: PaperExchange,
    shadow: bool,
) -> str | None:
    """Why `request` must be refused, or None. Shadow orders never move cash or holdings, so
    only the risk caps apply to them (a strategy's shadow SELL follows its shadow BUY)."""
    symbol = request.symbol
    rates = conversion_rates(marks, base)
    rate = Decimal(1) if symbol.quote == base else rates.get(symbol.quote)
    if rate is None:
        return (f"{symbol} is quoted in {symbol.quote} and there is no rate for "
                f"{symbol.quote} in {base}; set one with 'ingot mark {symbol.quote}-{base} "
                "RATE'")  # fmt: skip
    price = reference_price(request, marks)
    if price is None:
        return f"no mark for {symbol}; set one with 'ingot mark {symbol} PRICE'"
    rests = request.type is OrderType.LIMIT and (
        symbol not in marks or not exchange.crosses(request, marks[symbol])
    )
    added = Decimal(0)
    if request.side is OrderSide.SELL:
        refusal = None if shadow else _holdings_refusal(request, positions.get(symbol), resting)
    else:
        _, cost, fee = settle(request, price, exchange.fee_rate)
        added = EXACT.multiply(cost, rate)
        refusal = None if shadow else _cash_refusal(request, EXACT.add(cost, fee), ledger,
                                                     resting)  # fmt: skip
    if refusal is not None:
        return refusal

    def in_base(s: Symbol) -> Decimal:  # exposure in the base currency, at the quote's rate
        exposure = _exposure(s, positions.get(s), marks.get(s), resting)
        return EXACT.multiply(
            exposure, Decimal(1) if s.quote == base else rates.get(s.quote, Decimal(0))
        )

    held = {symbol, *marks, *positions, *(o.request.symbol for o in resting)}
    exposures = {s: in_base(s) for s in held}
    return risk_veto(caps, symbol=str(symbol), added_exposure=added,
                     symbol_exposure=exposures[symbol],
                     total_exposure=exact_sum(exposures.values()), open_orders=len(resting),
                     rests=rests)  # fmt: skip
