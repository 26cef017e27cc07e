"""Tax lots by each booking method, against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ingot_core.engine.lots import BookingMethod, book_lots
from ingot_core.execution import Fill, OrderSide
from ingot_core.symbols import Symbol

BTC = Symbol("BTC", "USD")
D = Decimal


def _fill(n: int, side: OrderSide, qty: str, cost: str, fee: str, when: datetime) -> Fill:
    price = D(cost) / D(qty)
    return Fill(f"o{n}", BTC, side, D(qty), price, D(cost), D(fee), when)


FILLS = [
    _fill(1, OrderSide.BUY, "1", "100", "1", datetime(2024, 1, 1, tzinfo=UTC)),
    _fill(2, OrderSide.BUY, "1", "120", "1", datetime(2024, 6, 1, tzinfo=UTC)),
    _fill(3, OrderSide.BUY, "1", "110", "1", datetime(2024, 9, 1, tzinfo=UTC)),
    _fill(4, OrderSide.SELL, "1.5", "195", "2", datetime(2025, 1, 2, tzinfo=UTC)),
]


@pytest.mark.parametrize(
    ("method", "disposals", "left"),
    [
        # Proceeds net of the sell's fee (193) split by quantity: 128.67 and 64.33.
        (BookingMethod.FIFO,
         [("o1", "1", "101", "27.67", True), ("o2", "0.5", "60.50", "3.83", False)],
         [("o2", "0.5", "60.50"), ("o3", "1", "111")]),
        (BookingMethod.LIFO,
         [("o3", "1", "111", "17.67", False), ("o2", "0.5", "60.50", "3.83", False)],
         [("o1", "1", "101"), ("o2", "0.5", "60.50")]),
        (BookingMethod.HIFO,
         [("o2", "1", "121", "7.67", False), ("o3", "0.5", "55.50", "8.83", False)],
         [("o1", "1", "101"), ("o3", "0.5", "55.50")]),
        (BookingMethod.AVERAGE, [("average", "1.5", "166.50", "26.50", True)],
         [("average", "1.5", "166.50")]),
    ],
)  # fmt: skip
def test_each_method_closes_the_lots_it_should(method, disposals, left) -> None:  # type: ignore[no-untyped-def]
    open_lots, closed = book_lots(FILLS, method)
    assert [(c.buy_id, c.quantity, c.cost, c.gain, c.long_term) for c in closed] == [
        (b, D(q), D(c), D(g), t) for b, q, c, g, t in disposals
    ]
    assert [(lot.order_id, lot.quantity, lot.cost) for lot in open_lots] == [
        (b, D(q), D(c)) for b, q, c in left
    ]
    assert sum(c.proceeds for c in closed) == D(193)  # every cent of the sell accounted for
    assert sum(c.cost for c in closed) + sum(lot.cost for lot in open_lots) == D(333)


def test_selling_more_than_the_lots_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="only 0 held"):
        book_lots([FILLS[3]], BookingMethod.FIFO)
