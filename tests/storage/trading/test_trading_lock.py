"""The book's trading lock: one process at a time trades a book, and a dead one lets go."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy.engine import URL, Engine

from ingot_storage.db.database import Database, create_db_engine
from ingot_storage.errors import BookBusy
from ingot_storage.trading.lock import TradingLock


def database_of(engine: Engine) -> Database:
    return Database(engine, "external", "test")


def test_a_second_taker_waits_then_is_told_who_holds_the_lock(engine: Engine) -> None:
    held = TradingLock.acquire(database_of(engine), wait_s=0)
    other = create_db_engine(engine.url)  # as another process would connect
    try:
        started = time.monotonic()
        with pytest.raises(BookBusy, match=rf"ingot pid {os.getpid()}, connected since \d{{4}}-"):
            TradingLock.acquire(database_of(other), wait_s=0.3)
        assert time.monotonic() - started >= 0.3  # it waited before it gave up
        held.release()
        held.release()  # idempotent
        second = TradingLock.acquire(database_of(other), wait_s=0)
        second.release()
    finally:
        held.release()
        other.dispose()


def test_the_lock_leaves_the_pool_whole(engine: Engine) -> None:
    one = create_db_engine(engine.url, pool_size=1)
    lock = TradingLock.acquire(database_of(one), wait_s=0)
    try:
        with one.connect() as conn:  # PG_POOL_SIZE=1 still has its connection for the work
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        lock.release()
        one.dispose()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy.engine import make_url
    from ingot_storage.db.database import Database, create_db_engine
    from ingot_storage.trading.lock import TradingLock
    engine = create_db_engine(make_url(sys.argv[1]))
    TradingLock.acquire(Database(engine, "external", "test"), wait_s=0)
    print("held", flush=True)
    time.sleep(60)
    """
)


def test_a_process_killed_with_the_lock_lets_go_of_it(database_url: URL, engine: Engine) -> None:
    url = database_url.render_as_string(hide_password=False)
    command = [sys.executable, "-c", HOLDER, url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "held"
            with pytest.raises(BookBusy):
                TradingLock.acquire(database_of(engine), wait_s=0)
        finally:
            child.kill()
    lock = TradingLock.acquire(database_of(engine), wait_s=5)  # the server let go with it
    lock.release()


# -- the lease: a fencing epoch every write checks ---------------------------------------------


def test_each_taker_gets_a_higher_epoch_and_runs_its_drain_first(engine: Engine) -> None:
    seen: list[int] = []

    def epoch_now() -> None:
        with engine.connect() as conn:
            epoch = conn.exec_driver_sql("SELECT max(epoch) FROM book_lease").scalar_one()
            seen.append(epoch or 0)

    first = TradingLock.acquire(database_of(engine), wait_s=0, before_lease=epoch_now)
    first.release()
    second = TradingLock.acquire(database_of(engine), wait_s=0, before_lease=epoch_now)
    second.release()
    assert seen == [0, first.epoch]  # the drain runs under the old epoch, before the raise
    assert second.epoch == first.epoch + 1


def _fill_events(client_id: str) -> list:
    from datetime import UTC, datetime
    from decimal import Decimal

    from ingot_core.engine import EquitySnapshot

    return [EquitySnapshot(Decimal(1), "USD", datetime(2026, 1, int(client_id), tzinfo=UTC))]


def test_a_writer_whose_book_was_taken_never_commits_again(engine: Engine) -> None:
    from ingot_storage.errors import BookTaken
    from ingot_storage.writer.batch import write_events

    held = TradingLock.acquire(database_of(engine), wait_s=0)
    mine = held.epoch
    with engine.begin() as conn:
        write_events(conn, _fill_events("1"), epoch=mine)
    held.release()  # as if its connection had dropped: the lock is gone, unknown to it
    other = TradingLock.acquire(database_of(engine), wait_s=0)
    try:
        taken = rf"lost the book to ingot pid {os.getpid()}"
        with pytest.raises(BookTaken, match=taken), engine.begin() as conn:
            write_events(conn, _fill_events("2"), epoch=mine)
        with engine.begin() as conn:
            write_events(conn, _fill_events("3"), epoch=other.epoch)
        with engine.connect() as conn:
            days = conn.exec_driver_sql(
                "SELECT extract(day FROM at)::int FROM equity_snapshots ORDER BY at"
            ).scalars()
            assert list(days) == [1, 3]
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one() == 2
    finally:
        other.release()


def test_a_new_taker_waits_for_the_old_writers_open_transaction(engine: Engine) -> None:
    """The check holds the lease row until commit: a raise cannot slip in between."""
    import threading

    from ingot_storage.writer.batch import write_events
    from ingot_storage.writer.fence import take_lease

    held = TradingLock.acquire(database_of(engine), wait_s=0)
    held.release()
    taken = threading.Event()
    with engine.begin() as conn:
        write_events(conn, _fill_events("4"), epoch=held.epoch)

        def take() -> None:
            with engine.begin() as other:
                take_lease(other, "late")
            taken.set()

        thread = threading.Thread(target=take)
        thread.start()
        assert not taken.wait(0.3)  # blocked behind the writer's share lock
    assert taken.wait(5)
    thread.join()
