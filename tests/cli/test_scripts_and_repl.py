"""Scripts (`ingot run FILE`, stdin) and the REPL share the one command layer."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from sqlalchemy.engine import URL

from ingot_cli.main import app
from ingot_cli.repl.completion import suggest
from ingot_cli.repl.loop import run_repl
from ingot_cli.session import Session
from ingot_storage.db.database import create_db_engine


def count(url: URL, table: str) -> int:
    engine = create_db_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_script_runs_in_order_and_stops_at_the_bad_line(
    invoke, database_url: URL, tmp_path: Path
) -> None:
    script = tmp_path / "day.ingot"
    script.write_text(
        "# morning routine\n"
        "\n"
        "ingot mark BTC-USD 60000\n"
        "buy BTC-USD 0.01 --client-id first\n"
        "buy BTC-USD lots --client-id second\n"
        "buy BTC-USD 0.01 --client-id third\n"
    )
    result = invoke("run", str(script))
    assert result.exit_code == 11
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {script}, line 5: quantity: 'lots' is not a number"]
    assert "Filled: Buy 0.01 BTC-USD" in result.output  # line 4 ran and was committed
    engine = create_db_engine(database_url, pool_size=1)
    with engine.connect() as conn:
        ids = set(conn.execute(sa.text("SELECT client_id FROM order_history")).scalars())
    engine.dispose()
    assert ids == {"first"}  # not the bad line, not what came after it


def test_script_with_unbalanced_quotes_names_the_line(invoke, tmp_path: Path) -> None:
    script = tmp_path / "bad.ingot"
    script.write_text('nav\nbuy "BTC-USD 1\n')
    result = invoke("run", str(script))
    assert result.exit_code == 11
    assert "line 2: No closing quotation" in result.output


def test_missing_script_is_bad_input(invoke, tmp_path: Path) -> None:
    result = invoke("run", str(tmp_path / "nope.ingot"))
    assert result.exit_code == 11
    assert "cannot read" in result.output


def test_commands_piped_on_stdin_run_as_a_script(cli_env: dict[str, str]) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [], input="mark ETH-USD 3000\nbuy ETH-USD 0.1\n", env=cli_env)
    assert result.exit_code == 0, result.output
    assert "Filled: Buy 0.1 ETH-USD" in result.output


def test_suggest_completes_commands_subcommands_flags_symbols_and_event_types() -> None:
    root = typer.main.get_command(app)
    assert suggest("bal", root) == ["balances"]
    assert "verify" in suggest("audit ", root)
    assert suggest("audit ver", root) == ["verify"]
    assert "--limit" in suggest("buy BTC-USD 1 --l", root)
    assert suggest("buy ", root, ["BTC-USD", "ETH-USD"]) == ["BTC-USD", "ETH-USD"]
    assert suggest("history --symbol E", root, ["BTC-USD", "ETH-USD"]) == ["ETH-USD"]
    assert "order_filled" in suggest("audit --type order_f", root)
    assert suggest("ex", root) == ["exit"]


def test_prompt_toolkit_completer_offers_the_command_tree() -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from ingot_cli.repl.completion import IngotCompleter

    completer = IngotCompleter(app, lambda: ["BTC-USD"])
    found = list(completer.get_completions(Document("audit ex"), CompleteEvent()))
    assert [(c.text, c.start_position) for c in found] == [("export", -2)]
    symbols = list(completer.get_completions(Document("sell "), CompleteEvent()))
    assert [c.text for c in symbols] == ["BTC-USD"]


def test_repl_runs_lines_and_survives_bad_ones(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    session = Session(env=cli_env)
    try:
        with create_pipe_input() as pipe:
            lines = [
                "mark BTC-USD 60000",
                "teleport",  # unknown command
                'buy "BTC-USD',  # unbalanced quotes
                "buy",  # missing argument
                "buy BTC-USD lots",  # bad number
                "history --since someday",  # bad date
                "buy BTCUSD 1",  # unknown symbol form
                "buy BTC-USD 0.01",
                "balances",
                "help nav",
                "exit",
            ]
            pipe.send_text("\n".join(lines) + "\n")
            code = run_repl(session, app, input=pipe, output=DummyOutput())
    finally:
        session.close()
    out, err = capsys.readouterr()
    assert code == 0
    assert "Mark BTC-USD = 60000" in out
    assert "Filled: Buy 0.01 BTC-USD" in out
    assert "Net asset value" in out  # help nav
    assert "No such command 'teleport'" in err
    assert "No closing quotation" in err
    assert "Missing argument" in err
    assert "quantity: 'lots' is not a number" in err
    assert "'someday' is not a date" in err
    assert "must look like BASE-QUOTE" in err
    assert len(err.strip().splitlines()) == 6  # one line per bad input
    assert "Assets:Cash:USD" in out
    assert "Traceback" not in out + err


def test_the_real_binary_in_a_pseudo_terminal(cli_env: dict[str, str]) -> None:
    ingot = str(Path(sys.executable).with_name("ingot"))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real ingot on a terminal
        os.environ.update(cli_env)
        os.environ["TERM"] = "xterm"
        os.execv(ingot, [ingot])
    screen = b""

    def read_until(marker: bytes, timeout: float = 30) -> None:
        nonlocal screen
        deadline = time.monotonic() + timeout
        while marker not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break
        assert marker in screen, screen[-2000:]

    try:
        read_until(b"ingot>")
        os.write(fd, b"mark BTC-USD 100\r")
        read_until(b"Mark BTC-USD = 100")
        os.write(fd, b"nav\r")
        read_until(b"NAV: 100,000.00 USD")
        os.write(fd, b"exit\r")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0


def test_watch_shows_orders_from_another_process_as_they_land(invoke, cli_env) -> None:
    import subprocess

    invoke("mark", "BTC-USD", "60000")
    ingot = str(Path(sys.executable).with_name("ingot"))
    env = {**os.environ, **cli_env}
    viewer = subprocess.Popen(
        [ingot, "watch", "--seconds", "8"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # the viewer is up and following
    assert invoke("buy", "BTC-USD", "0.01", "--client-id", "live-one").exit_code == 0
    out, err = viewer.communicate(timeout=60)
    assert viewer.returncode == 0, err
    assert "audit chain VALID" in out
    assert "BTC-USD   Buy  Market         0.01    60,030.00  Filled" in out


def test_watch_through_the_cli_runner_ends_after_its_seconds(invoke) -> None:
    invoke("mark", "BTC-USD", "60000")
    invoke("buy", "BTC-USD", "0.01")
    result = invoke("watch", "--seconds", "0.5")
    assert result.exit_code == 0, result.output
    assert "Trade log" in result.output
    assert "Filled" in result.output


def test_tab_completes_a_command_through_the_pipe_input_and_runs_it(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    session = Session(env=cli_env)
    try:
        with create_pipe_input() as pipe:

            def type_slowly() -> None:
                time.sleep(1.0)  # the REPL is at its prompt
                pipe.send_text("bal\t")  # Tab: completion runs in the background...
                time.sleep(1.0)  # ...and lands before the Enter
                pipe.send_text("\n")
                time.sleep(1.0)
                pipe.send_text("exit\n")

            typist = threading.Thread(target=type_slowly)
            typist.start()
            code = run_repl(session, app, input=pipe, output=DummyOutput())
            typist.join()
    finally:
        session.close()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Assets:Cash:USD" in out  # 'bal' + Tab ran 'balances'


def test_checkpoints_are_taken_every_n_entries_during_a_session(
    invoke, database_url: URL, tmp_path: Path
) -> None:
    script = tmp_path / "many.ingot"
    script.write_text("mark BTC-USD 100\n" + "buy BTC-USD 0.01\n" * 6)
    result = invoke("run", str(script), env={"INGOT_AUDIT_CHECKPOINT_EVERY": "5"})
    assert result.exit_code == 0, result.output
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            sizes = list(
                conn.execute(sa.text("SELECT size FROM audit_checkpoint ORDER BY size")).scalars()
            )
            total = conn.execute(sa.text("SELECT max(seq) FROM audit_log")).scalar()
    finally:
        engine.dispose()
    assert len(sizes) >= 3  # several while trading, and the last one at shutdown
    assert sizes[-1] == total
    assert invoke("audit", "verify").exit_code == 0


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab9 -.\t\"'#\\é=")), max_size=30))
def test_the_plain_line_shortcut_splits_exactly_as_shlex(line: str) -> None:
    import shlex

    from ingot_cli.script import split_line

    try:
        expected = shlex.split(line, comments=True)
    except ValueError:
        with pytest.raises(ValueError, match=r"No closing quotation|No escaped character"):
            split_line(line)
        return
    assert split_line(line) == (expected[1:] if expected[:1] == ["ingot"] else expected)


def test_repl_habits_from_pgcli(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    session = Session(env=cli_env)
    try:
        with create_pipe_input() as pipe:
            lines = ["?", "\\?", "mark BTC-USD 60000; buy BTC-USD 0.01 ; nav", "\\timing",
                     "nav", "\\timing", "clear", 'mark BTC-USD "61000"; nav', "\\q"]  # fmt: skip
            pipe.send_text("\n".join(lines) + "\n")
            code = run_repl(session, app, input=pipe, output=DummyOutput())
    finally:
        session.close()
    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    assert out.count("Usage: ingot") == 2  # ? and \? are help
    assert "Filled: Buy 0.01 BTC-USD" in out  # three commands on one line
    assert out.count("Timing is on.") == out.count("Timing is off.") == 1
    assert out.count("Time: ") == 1  # only the nav between the two \timing
    assert "\x1b[2J" in out  # clear
    assert "Mark BTC-USD = 61000" in out


def test_the_banner_and_toolbar_fit_80_columns() -> None:
    from ingot_cli.repl.loop import BANNER, split_commands
    from ingot_cli.repl.toolbar import ToolbarState

    assert len(BANNER) <= 80
    busy = ToolbarState("paper", "1,234,567.89 USD", "embedded", 123_456, 7,
                        "VALID at 123,000", 120_000)  # fmt: skip
    assert len(busy.render(200)) > 80  # everything, when there is room
    for width in (80, 60):
        line = busy.render(width)
        assert len(line) <= width
        assert line.startswith(" PAPER | NAV 1,234,567.89 USD")
    assert split_commands("a 'x;y' ; b \"p;q\"; ;c") == ["a 'x;y'", 'b "p;q"', "c"]


def test_a_feed_runs_in_the_background_of_the_repl(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], database_url
) -> None:  # type: ignore[no-untyped-def]
    import threading

    from tests.postgres import query_rows

    session = Session(env=cli_env)
    try:
        with create_pipe_input() as pipe:
            lines = (("mark BTC-USD 101", 0), ("buy BTC-USD 1 --limit 100.06", 0),
                     ("feed start BTC-USD --source synthetic", 1.5), ("feed status", 0),
                     ("positions", 0), ("feed stop", 0), ("feed stop", 0),
                     ("feed start BTCUSD", 0), ("exit", 0))  # fmt: skip

            def type_lines() -> None:
                for line, wait in lines:
                    pipe.send_text(line + "\n")
                    time.sleep(wait)

            typist = threading.Thread(target=type_lines)
            typist.start()
            code = run_repl(session, app, input=pipe, output=DummyOutput())
            typist.join()
    finally:
        session.close()
    out, err = capsys.readouterr()
    assert code == 0
    assert "Feed started: BTC-USD from synthetic" in out
    assert "Feed running (BTC-USD): " in out
    assert "Feed stopped: " in out
    assert "No feed is running." in out
    assert "BTCUSD" in err  # a bad symbol: one error line, the session goes on
    ticks = query_rows(database_url, "SELECT count(*) FROM ticks WHERE symbol = 'BTC-USD'")[0][0]
    assert ticks > 5  # the feed's ticks, stored while the trader typed
    orders = query_rows(database_url, "SELECT status FROM order_history ORDER BY seq")
    assert [r[0] for r in orders][-1] == "Filled"  # the synthetic prices reached the limit
