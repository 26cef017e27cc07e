"""Hostile input, case by case, through the installed `ingot` against a real PostgreSQL: one
`error:` line, the documented exit code, no traceback, and the database and spill exactly as
they were. (The generated cases are in test_fuzz.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.cli.faults import CAPS, assert_refused, error_lines, ingot, stored_state
from tests.postgres import query_rows

BIG = "9" * 1_000_000  # a script line
LONG = "9" * 100_000  # an argument (exec bounds one at 128 kB)
FULLWIDTH_ONE = "\uff11"
ARABIC_HALF = "\u0660.\u0665"  # Arabic-Indic 0.5
ARABIC_HUNDRED = "\u0661e\u0662"  # Arabic-Indic 1e2
THAI_ONE = "\u0e51"
ARABIC_THREE = "\u0663"

# (argv, files the case needs {name: content}, stdin, exit code)
ARGUMENT_CASES = [
    (["buy", "BTC-USD", "0.01", "--limit", "1e999999999"], 11),
    (["buy", "BTC-USD", "0.01", "--limit", "1e200000"], 11),
    (["mark", "ETH-USD", "1e200000"], 11),
    (["buy", "BTC-USD", "1e200000"], 11),
    (["buy", "BTC-USD", "1e999999999"], 11),
    (["buy", "BTC-USD", LONG], 11),
    (["buy", "BTC-USD", "0.01", "--limit", "100000000000000000000"], 11),
    (["buy", "BTC-USD", "_1"], 11),
    (["buy", "BTC-USD", "1_"], 11),
    (["buy", "BTC-USD", "1__0"], 11),
    (["buy", "BTC-USD", FULLWIDTH_ONE], 11),
    (["buy", "BTC-USD", ARABIC_HALF], 11),
    (["buy", "BTC-USD", ARABIC_HUNDRED], 11),
    (["sell", "BTC-USD", "0.01", "--limit", THAI_ONE], 11),
    (["mark", "BTC-USD", ARABIC_HUNDRED], 11),
    (["nav", "--mark", f"BTC={FULLWIDTH_ONE}"], 11),
    (["nav", "--quote", ""], 11),
    (["history", "--since", "9999-12-31T23:59:59-01:00"], 11),
    (["history", "--since", "0001-01-01T00:00:00+01:00"], 11),
    (["audit", "--since", "0001-01-01T00:00:00+01:00"], 11),
    (["gaps", "BTC-USD", "1m", "--until", "9999-12-31T23:59:59-01:00"], 11),
    (["history", "--limit", FULLWIDTH_ONE], 11),
    (["history", "--limit", "1_"], 11),
    (["audit", "prove", "99999"], 11),
    (["audit", "prove", ARABIC_THREE], 11),
    (["bars", "BTC-USD", "1M"], 11),
    (["strategy", "run", "sma", "--replay", "missing.jsonl", "--short", FULLWIDTH_ONE], 11),
]

FILE_CASES = [
    ("ohlcv", "", 11),
    ("ohlcv", "\n\n\n", 11),
    ("ohlcv", "1700000040,1,1,1,1," + "1" * 200_000 + ",1\n", 11),
    ("ohlcv", "timestamp,open,high,low,close,volume,colour\n1700000040,1,1,1,1,1,red\n", 11),
    ("ohlcv", f"1700000040,{FULLWIDTH_ONE},1,1,1,1,1\n", 11),
    ("ohlcv", "1700000040,1,1,1,1e30,1,1\n", 11),
    ("ohlcv", "1700000040,1_0,10,10,10,1,1\n1700000100,_1,1,1,1,1,1\n", 11),
    ("ohlcv", "1700000040.5,1,1,1,1,1,1\n", 11),
    ("ticks", "[" * 100_000 + "]" * 100_000 + "\n", 11),
    ("ticks", '{"symbol":"BTC-USD","price":"1","ts":' + "9" * 5000 + "}\n", 11),
    ("ticks", '{"symbol":"BTC-USD","price":"' + ARABIC_HALF + '","ts":1700000000}\n', 11),
    ("ticks", '{"symbol":"BTC-USD","price":1e200000,"ts":1700000000}\n', 11),
    ("ticks", '{"symbol":"BTC-USD","price":NaN,"ts":1700000000}\n', 11),
    ("ticks", "", 11),
]

ENVIRONMENT_CASES = [
    ({"PG_POOL_SIZE": ARABIC_THREE}, 12),
    ({"PG_POOL_SIZE": "1_"}, 12),
    ({"STORAGE_BATCH_SIZE": "9" * 5000}, 12),
    ({"INGOT_OPENING_CAPITAL": "1e200000"}, 12),
    ({"INGOT_MODE": "live"}, 12),
]


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The CLI's environment, with a market marked so trading commands get far."""
    full = {**os.environ, **cli_env, **CAPS}
    assert ingot(full, "mark", "BTC-USD", "100").returncode == 0
    return full


def _refused_unchanged(env: dict[str, str], database_url: URL, *args: str, code: int,
                       stdin: bytes | str | None = None) -> None:  # fmt: skip
    data_dir = Path(env["INGOT_DATA_DIR"])
    before = stored_state(database_url, data_dir)
    result = ingot(env, *args, stdin=stdin)
    assert_refused(result, code)
    assert len(error_lines(result)[0]) < 400  # a refused giant is never echoed whole
    assert stored_state(database_url, data_dir) == before


@pytest.mark.parametrize(("argv", "code"), ARGUMENT_CASES, ids=lambda v: str(v)[:40])
def test_a_bad_argument_is_one_line_and_changes_nothing(
    env: dict[str, str], database_url: URL, argv: list[str], code: int
) -> None:
    _refused_unchanged(env, database_url, *argv, code=code)


@pytest.mark.parametrize(("kind", "content", "code"), FILE_CASES, ids=lambda v: str(v)[:30])
def test_a_bad_file_is_one_line_and_changes_nothing(
    env: dict[str, str], database_url: URL, tmp_path: Path, kind: str, content: str, code: int
) -> None:
    path = tmp_path / f"input.{kind}"
    path.write_text(content, encoding="utf-8")
    argv = ["ingest", "ticks"]
    if kind == "ohlcv":
        argv = ["ingest", "ohlcv", "BTC-USD", "1m", "--source"]
    _refused_unchanged(env, database_url, *argv, str(path), code=code)
    _refused_unchanged(env, database_url, *argv, "-", code=code, stdin=content)


@pytest.mark.parametrize(("variables", "code"), ENVIRONMENT_CASES, ids=lambda v: str(v)[:30])
def test_a_bad_environment_value_is_one_line_and_changes_nothing(
    env: dict[str, str], database_url: URL, variables: dict[str, str], code: int
) -> None:
    _refused_unchanged({**env, **variables}, database_url, "buy", "BTC-USD", "0.01", code=code)


def test_a_bar_that_differs_from_the_stored_one_is_refused(
    env: dict[str, str], database_url: URL, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("1700000040,1,2,1,1,1,1\n1700000100,1,2,1,1,1,1\n")
    second.write_text("1700000100,1,2,1,1,1,1\n1700000160,1,2,1,1,1,1\n1700000040,1,2,1,1.5,1,1\n")
    argv = ("ingest", "ohlcv", "BTC-USD", "1m", "--source")
    assert ingot(env, *argv, str(first)).returncode == 0
    data_dir = Path(env["INGOT_DATA_DIR"])
    before = stored_state(database_url, data_dir)
    result = ingot(env, *argv, str(second))
    assert_refused(result, 11)
    [line] = error_lines(result)
    assert "the bar at 2023-11-14 22:14:00 UTC differs from the stored one: close 1.5" in line
    assert stored_state(database_url, data_dir) == before
    again = ingot(env, *argv, str(first))  # the same bars again are still no conflict
    assert again.returncode == 0, again.stderr
    assert b"0 new bars, 2 already stored" in again.stdout


def test_scripts_refuse_what_no_shell_would_run(
    env: dict[str, str], database_url: URL, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.ingot"
    binary.write_bytes(b"nav\n\xff\xfe\x00 buy BTC-USD 1\n")
    _refused_unchanged(env, database_url, "run", str(binary), code=11)
    itself = tmp_path / "itself.ingot"
    itself.write_text(f"nav\nrun {itself}\n")
    _refused_unchanged(env, database_url, "run", str(itself), code=11)
    one, two = tmp_path / "one.ingot", tmp_path / "two.ingot"
    one.write_text(f"run {two}\n")
    two.write_text(f"run {one}\n")
    _refused_unchanged(env, database_url, "run", str(one), code=11)
    digits = tmp_path / "digits.ingot"
    digits.write_text(f"buy BTC-USD {BIG}\n")
    _refused_unchanged(env, database_url, "run", str(digits), code=11)
    _refused_unchanged(env, database_url, code=11, stdin=b"\xff\xfe\n")


def test_a_script_may_start_with_a_byte_order_mark_and_ask_for_help(
    env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "notepad.ingot"
    script.write_bytes("\ufeffnav\nhelp nav\nhelp\n".encode())
    result = ingot(env, "run", str(script))
    assert result.returncode == 0, result.stderr
    assert b"NAV: 100,000.00 USD" in result.stdout
    assert b"Usage: ingot nav" in result.stdout


def test_a_script_error_is_one_line_naming_file_and_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "day.ingot"
    script.write_text("nav\n\nbuy BTC-USD lots\nbuy BTC-USD 0.01\n")
    result = ingot(env, "run", str(script))
    assert_refused(result, 11)
    assert error_lines(result) == [f"error: {script}, line 3: quantity: 'lots' is not a number"]


def test_a_broken_chain_is_an_error_line_too(env: dict[str, str], database_url: URL) -> None:
    from ingot_storage.db.database import create_db_engine
    from tests.storage.audit.support import tamper

    assert ingot(env, "buy", "BTC-USD", "0.01").returncode == 0
    engine = create_db_engine(database_url, pool_size=1)
    tamper(engine, ["UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"])
    engine.dispose()
    result = ingot(env, "audit", "verify")
    assert_refused(result, 1)
    assert error_lines(result)[0].startswith("error: audit chain broken at seq 2")
    assert b"Audit chain: BROKEN at seq 2" in result.stdout


def test_a_trickling_kraken_is_given_up_on_in_time(env: dict[str, str], database_url: URL) -> None:
    import socket
    import threading
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not stop.is_set():  # one byte every half second
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        break
                    time.sleep(0.5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    slow = {
        **env,
        "INGOT_KRAKEN_URL": f"http://127.0.0.1:{port}",
        "INGOT_KRAKEN_TIMEOUT_S": "2",
        "INGOT_KRAKEN_RETRIES": "0",
    }
    try:
        started = time.monotonic()
        data_dir = Path(env["INGOT_DATA_DIR"])
        before = stored_state(database_url, data_dir)
        result = ingot(slow, "ingest", "ohlcv", "BTC-USD", "1h", timeout=60)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    assert_refused(result, 10)
    assert b"too slow" in result.stderr
    assert elapsed < 20  # the deadline holds, however the server dribbles
    assert stored_state(database_url, data_dir) == before
    logged = query_rows(database_url, "SELECT event_type, error_code FROM tradelog ORDER BY id")
    assert [tuple(r) for r in logged] == [(50, None), (90, "gave_up")]  # the incident, kept
