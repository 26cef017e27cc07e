"""The book's trading lock: one process at a time trades a book, and a dead one lets go."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy.engine import URL, Engine

from ingot_storage.database import Database, create_db_engine
from ingot_storage.errors import BookBusy
from ingot_storage.trading_lock import TradingLock


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
    from ingot_storage.database import Database, create_db_engine
    from ingot_storage.trading_lock import TradingLock
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
