"""A book's booking method: set from INGOT_BOOKING when the book is made, recorded in the
audit trail, kept after; positions, `report pnl` and `report lots` follow it."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal

FIFO = {"INGOT_BOOKING": "fifo", "INGOT_SNAPSHOT_EVERY": "3"}  # snapshots between the trades
TRADES = [("buy", "60000", "0.01"), ("buy", "61000", "0.02"), ("buy", "59000", "0.01"),
          ("sell", "62000", "0.015"), ("sell", "60500", "0.01")]  # fmt: skip


def _fifo_realized(fills: list[dict[str, str]]) -> tuple[Decimal, Decimal]:
    """Realized PnL before fees and the basis still held, first in first out, the part of a
    lot sold released to the cent (half-even), recomputed from the exported fills."""
    lots: list[list[Decimal]] = []
    realized = Decimal(0)
    for f in fills:
        qty, cost = Decimal(f["fill_quantity"]), Decimal(f["cost"])
        if f["side"] == "Buy":
            lots.append([qty, cost])
            continue
        released = Decimal(0)
        while qty:
            lot = lots[0]
            taken = min(qty, lot[0])
            part = lot[1] if taken == lot[0] else (lot[1] * taken / lot[0]).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_EVEN)  # fmt: skip
            lot[0], lot[1] = lot[0] - taken, lot[1] - part
            qty, released = qty - taken, released + part
            if not lot[0]:
                lots.pop(0)
        realized += cost - released
    return realized, sum((lot[1] for lot in lots), Decimal(0))


def test_a_fifo_book_keeps_its_method_and_every_report_follows_it(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for side, price, qty in TRADES:
        assert invoke("mark", "BTC-USD", price, env=FIFO).exit_code == 0
        assert invoke(side, "BTC-USD", qty, env=FIFO).exit_code == 0
    out = tmp_path / "fills.json"
    assert invoke("history", "export", "--format", "json", "--output", str(out)).exit_code == 0
    fills = [f for f in json.loads(out.read_text()) if f["status"] == "Filled"]
    realized, basis = _fifo_realized(fills)
    assert realized != _average_realized(fills)  # the methods differ on these fills
    # A later INGOT_BOOKING does not change the book: it was made fifo.
    for env in (None, {"INGOT_BOOKING": "lifo"}):
        [position] = json.loads(invoke("positions", "--json", env=env).output)
        assert Decimal(position["realized_pnl"]) == realized
        assert Decimal(position["cost_basis"]) == basis
        total = json.loads(invoke("report", "pnl", "--json", env=env).output)["total"]
        assert Decimal(total["realized"]) == realized
        lots = json.loads(invoke("report", "lots", "--json", env=env).output)
        assert lots["method"] == "fifo"
    opened = json.loads(invoke("audit", "--type", "book_opened", "--json").output)
    assert [json.loads(e["payload"])["booking"] for e in opened] == ["fifo"]
    books = json.loads(invoke("books", "--json").output)
    assert [(b["name"], b["booking"]) for b in books] == [("main", "fifo")]
    assert invoke("db", "check").exit_code == 0  # the replay from the start agrees


def _average_realized(fills: list[dict[str, str]]) -> Decimal:
    qty = basis = realized = Decimal(0)
    for f in fills:
        q, cost = Decimal(f["fill_quantity"]), Decimal(f["cost"])
        if f["side"] == "Buy":
            qty, basis = qty + q, basis + cost
            continue
        released = basis if q == qty else (basis * q / qty).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_EVEN)  # fmt: skip
        qty, basis, realized = qty - q, basis - released, realized + cost - released
    return realized


def test_a_book_made_without_a_choice_keeps_average_cost(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("nav").exit_code == 0
    assert json.loads(invoke("report", "lots", "--json", env=FIFO).output)["method"] == "average"
    assert json.loads(invoke("books", "--json").output)[0]["booking"] == "average"


def test_an_unknown_booking_method_is_refused_on_one_line(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("nav", env={"INGOT_BOOKING": "lofi"})
    assert result.exit_code != 0
    assert result.output.startswith("error: INGOT_BOOKING")
    assert len(result.output.strip().splitlines()) == 1
