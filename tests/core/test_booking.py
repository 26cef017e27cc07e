"""Positions by each booking method: the lots a sell closes, the basis it releases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingot_core.engine.lots import book_lots
from ingot_core.engine.positions import BookingMethod, Position, apply_fill
from ingot_core.execution import Fill, OrderSide
from ingot_core.symbols import Symbol

BTC = Symbol("BTC", "USD")
D = Decimal
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _fill(n: int, side: OrderSide, qty: str, cost: str, fee: str = "0") -> Fill:
    return Fill(f"o{n}", BTC, side, D(qty), D(cost) / D(qty), D(cost), D(fee),
                T0 + timedelta(days=n))  # fmt: skip


FILLS = [
    _fill(1, OrderSide.BUY, "1", "100", "1"),
    _fill(2, OrderSide.BUY, "1", "120", "1"),
    _fill(3, OrderSide.BUY, "1", "110", "1"),
    _fill(4, OrderSide.SELL, "1.5", "195", "2"),
]


def _replay(fills: list[Fill], method: BookingMethod) -> Position:
    position = Position(BTC)
    for fill in fills:
        position = apply_fill(position, fill, method)
    return position


@pytest.mark.parametrize(
    ("method", "released", "lots"),
    [
        # 1.5 sold: fifo takes o1 and half of o2, lifo o3 and half of o2, hifo o2 and half
        # of o3; average releases half the pool of 330.
        (BookingMethod.FIFO, "160", [("0.5", "60"), ("1", "110")]),
        (BookingMethod.LIFO, "170", [("1", "100"), ("0.5", "60")]),
        (BookingMethod.HIFO, "175", [("1", "100"), ("0.5", "55")]),
        (BookingMethod.AVERAGE, "165", []),
    ],
)
def test_a_sell_releases_the_basis_of_the_lots_its_method_closes(method, released, lots) -> None:  # type: ignore[no-untyped-def]
    position = _replay(FILLS, method)
    assert position.quantity == D("1.5")
    assert position.realized_pnl == D(195) - D(released)
    assert position.cost_basis == D(330) - D(released)
    assert position.fees == D(5)
    assert position.lots == tuple((D(q), D(c)) for q, c in lots)


def test_closing_every_lot_releases_everything_whatever_the_method() -> None:
    closing = [*FILLS, _fill(5, OrderSide.SELL, "1.5", "150")]
    results = {m: _replay(closing, m) for m in BookingMethod}
    for position in results.values():
        assert (position.quantity, position.cost_basis, position.lots) == (0, 0, ())
        assert position.realized_pnl == D(195 + 150 - 330)


def test_a_part_of_a_lot_is_released_to_the_cent_and_the_rest_stays_in_it() -> None:
    fills = [_fill(1, OrderSide.BUY, "3", "100"), _fill(2, OrderSide.SELL, "1", "40")]
    position = _replay(fills, BookingMethod.FIFO)
    assert position.lots == ((D(2), D("66.67")),)  # 33.33 released, half-even to cents
    assert position.realized_pnl == D("6.67")


def test_selling_more_than_held_is_refused_by_every_method() -> None:
    for method in BookingMethod:
        with pytest.raises(ValueError, match="only 1 held"):
            _replay([FILLS[0], _fill(2, OrderSide.SELL, "2", "10")], method)


_SIDES = st.lists(
    st.tuples(st.booleans(), st.integers(1, 400), st.integers(1, 90_000)), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(_SIDES, st.sampled_from(list(BookingMethod)))
def test_positions_agree_with_the_tax_lots_and_conserve_the_basis(steps, method) -> None:  # type: ignore[no-untyped-def]
    fills, held, n = [], D(0), 0
    for is_buy, centi_qty, price in steps:
        qty = D(centi_qty) / 100
        if not is_buy:
            qty = min(qty, held)
            if qty == 0:
                continue
        n += 1
        side = OrderSide.BUY if is_buy else OrderSide.SELL
        fills.append(_fill(n, side, str(qty), str(qty * price)))
        held += qty if is_buy else -qty
    position = _replay(fills, method)
    bought = sum((f.cost for f in fills if f.side is OrderSide.BUY), D(0))
    sold = sum((f.cost for f in fills if f.side is OrderSide.SELL), D(0))
    # Every unit of basis is either still held or released against a sale.
    assert position.realized_pnl == sold - (bought - position.cost_basis)
    assert position.quantity == held
    if method is not BookingMethod.AVERAGE:
        assert sum((q for q, _ in position.lots), D(0)) == position.quantity
        assert sum((c for _, c in position.lots), D(0)) == position.cost_basis
    # Without fees, the tax lots' gains are the position's realized PnL, lot for lot.
    open_lots, closed = book_lots(fills, method)
    assert sum((c.gain for c in closed), D(0)) == position.realized_pnl
    assert sum((lot.cost for lot in open_lots), D(0)) == position.cost_basis
