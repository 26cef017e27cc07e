"""The fuzz suite: generated arguments, script lines, CSV and JSONL files, environment values
and Kraken answers, fed to Ingot against a real PostgreSQL. For every input: no traceback, a
documented exit code, one `error:` line on a refusal, and the database and spill exactly as
they were after a refusal.

The number of examples per surface is INGOT_FUZZ_EXAMPLES (25 in `.ci/run`); a longer run:
`INGOT_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/cli/test_fuzz.py`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from ingot_cli.main import app
from ingot_core.errors import IngotError
from ingot_core.feed import BarInterval
from ingot_core.symbols import Symbol
from ingot_storage.sources.kraken import KrakenClient
from tests.cli.faults import CAPS, DOCUMENTED_FAILURES, stored_state

EXAMPLES = int(os.environ.get("INGOT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that looks like a number, or nearly: digits of every script, signs, exponents,
# underscores, spaces, huge and tiny magnitudes.
DIGITISH = st.characters(categories=["Nd", "No", "Pc", "Pd", "Po", "Zs"], max_codepoint=0xFFFF)
NUMBERISH = st.one_of(
    st.from_regex(r"[+-]?[0-9_]{0,25}(\.[0-9_]{0,25})?([eE][+-]?[0-9]{1,10})?", fullmatch=True),
    st.text(alphabet=DIGITISH, min_size=1, max_size=12),
    st.sampled_from(["NaN", "-inf", "Infinity", "1e999999999", "1e-999999", "0x10", "1,5", ""]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers().map(str),
)
ISO_LIKE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?)?"
DATEISH = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.from_regex(ISO_LIKE, fullmatch=True),
    st.text(max_size=30),
)
WORDISH = st.text(max_size=20).filter(lambda t: "\x00" not in t)


@pytest.fixture
def run(
    cli_env: dict[str, str], database_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Run `ingot ARGS` in process; check the contract on every outcome; return the result."""
    monkeypatch.chdir(tmp_path)  # whatever a generated command writes lands there
    runner = CliRunner()
    data_dir = Path(cli_env["INGOT_DATA_DIR"])
    env = {**cli_env, **CAPS}
    assert runner.invoke(app, ["mark", "BTC-USD", "100"], env=env).exit_code == 0

    def invoke(
        args: list[str],
        extra: dict[str, str] | None = None,
        input: str | None = None,
        unchanged: Callable[[str], bool] = lambda error: True,
    ):
        before = stored_state(database_url, data_dir)
        result = runner.invoke(app, args, env={**env, **(extra or {})}, input=input)
        assert isinstance(result.exception, SystemExit | None), result.exception
        assert result.exit_code in {0} | DOCUMENTED_FAILURES, (args, result.output)
        assert "Traceback" not in result.output
        if result.exit_code:
            errors = [e for e in result.stderr.splitlines() if e.startswith("error:")]
            assert len(errors) == 1, (args, result.stderr)
            assert len(errors[0]) < 1000
            # A rejected order is recorded; a script keeps what its lines before did.
            if not result.stdout.startswith("Rejected") and unchanged(errors[0]):
                assert stored_state(database_url, data_dir) == before, args
        return result

    return invoke


@FUZZ
@given(
    command=st.sampled_from(["buy", "sell", "mark"]),
    quantity=NUMBERISH,
    limit=st.none() | NUMBERISH,
)
def test_fuzz_trading_numbers(
    run: Callable, command: str, quantity: str, limit: str | None
) -> None:
    args = [command, "BTC-USD", quantity]
    if limit is not None and command != "mark":
        args += ["--limit", limit]
    run(args)


@FUZZ
@given(
    command=st.sampled_from(["history", "audit", "bars", "gaps", "nav"]),
    flag=st.sampled_from(["--since", "--until", "--limit", "--quote", "--mark", "--symbol"]),
    value=st.one_of(DATEISH, NUMBERISH, WORDISH),
)
def test_fuzz_query_flags(run: Callable, command: str, flag: str, value: str) -> None:
    args = [command] + (["BTC-USD", "1h"] if command in ("bars", "gaps") else [])
    run([*args, flag, value])


COMMANDS = [
    "buy",
    "sell",
    "cancel",
    "mark",
    "nav",
    "balances",
    "positions",
    "orders",
    "history",
    "audit",
    "bars",
    "gaps",
    "status",
    "books",
    "strategy",
    "ingest",
    "db",
]


@FUZZ
@given(first=st.sampled_from(COMMANDS) | WORDISH, rest=st.lists(WORDISH, max_size=4))
def test_fuzz_any_words(run: Callable, first: str, rest: list[str]) -> None:
    run([first, *rest])


@FUZZ
@given(lines=st.lists(st.one_of(
    WORDISH,
    st.builds(lambda q: f"buy BTC-USD {q}", NUMBERISH),
    st.builds(lambda d: f"history --since {d!r}", DATEISH),
    st.sampled_from(["help", "help buy", "\ufeffnav", "# note", "", "run itself.ingot"]),
), max_size=6))  # fmt: skip
def test_fuzz_script_lines(run: Callable, tmp_path: Path, lines: list[str]) -> None:
    script = tmp_path / "itself.ingot"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")

    def failed_first(error: str) -> bool:
        # Whether the script failed at its first command: then nothing may have changed.
        match = re.search(r", line (\d+)", error)
        if match is None:
            return True
        before = script.read_text(encoding="utf-8", errors="replace").splitlines()
        return all(_blank(line) for line in before[: int(match.group(1)) - 1])

    run(["run", str(script)], unchanged=failed_first)


def _blank(line: str) -> bool:
    text = line.lstrip("\ufeff").strip()
    return not text or text.startswith("#")


CSV_FIELD = st.one_of(NUMBERISH, WORDISH, st.sampled_from(["1700000040", "1", "2", "0.5"]))


@FUZZ
@given(rows=st.lists(st.lists(CSV_FIELD, min_size=0, max_size=8), max_size=5),
       header=st.booleans())  # fmt: skip
def test_fuzz_ohlcv_csv(run: Callable, tmp_path: Path, rows: list[list[str]], header: bool) -> None:
    lines = [",".join(r) for r in rows]
    if header:
        lines.insert(0, "timestamp,open,high,low,close,volume,trades")
    path = tmp_path / "bars.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    run(["ingest", "ohlcv", "BTC-USD", "1m", "--source", str(path)])


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | NUMBERISH | st.integers() | st.text(max_size=10),
    _containers,
    max_leaves=8,
)


@FUZZ
@given(ticks=st.lists(st.fixed_dictionaries(
    {"symbol": st.sampled_from(["BTC/USD", "BTC-USD", "", "x"]) | WORDISH,
     "price": JSON_VALUE, "ts": JSON_VALUE},
    optional={"volume": JSON_VALUE, "trade_id": JSON_VALUE},
), min_size=1, max_size=4))  # fmt: skip
def test_fuzz_jsonl_ticks(run: Callable, tmp_path: Path, ticks: list[dict]) -> None:
    path = tmp_path / "ticks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in ticks) + "\n", encoding="utf-8")
    run(["ingest", "ticks", str(path)])


ENV_NAMES = [
    "PG_POOL_SIZE", "STORAGE_BATCH_SIZE", "STORAGE_FLUSH_INTERVAL_MS", "INGOT_LOCK_WAIT_MS",
    "INGOT_OPENING_CAPITAL", "INGOT_MAX_EXPOSURE", "INGOT_FEE_RATE", "INGOT_SLIPPAGE_BPS",
    "INGOT_SNAPSHOT_EVERY", "INGOT_KRAKEN_RETRIES", "INGOT_KRAKEN_TIMEOUT_S", "INGOT_MODE",
    "INGOT_BASE_CURRENCY", "INGOT_BOOK", "QUESTDB_ILP_ADDR",
]  # fmt: skip


@FUZZ
@given(name=st.sampled_from(ENV_NAMES), value=st.one_of(NUMBERISH, WORDISH))
def test_fuzz_environment(run: Callable, name: str, value: str) -> None:
    if "\x00" in value:
        return  # an environment cannot hold NUL
    result = run(["buy", "BTC-USD", "0.01"], extra={name: value})
    assert result.exit_code in (0, 11, 12, 13), result.output


@FUZZ
@given(body=st.one_of(
    JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda rows, last: json.dumps(
        {"error": [], "result": {"XXBTZUSD": rows, "last": last}}).encode(),
        st.lists(st.lists(JSON_VALUE, max_size=9), max_size=3), JSON_VALUE),
    st.binary(max_size=64),
), status=st.sampled_from([200, 200, 200, 400, 404, 429, 500, 503]))  # fmt: skip
def test_fuzz_kraken_answers(body: bytes, status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, stream=httpx.ByteStream(body))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = KrakenClient(http, min_interval=0, retries=1, sleep=lambda s: None)
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    for call in (
        lambda: client.ohlc(Symbol("BTC", "USD"), BarInterval.M1, None, now),
        lambda: client.trades(Symbol("BTC", "USD"), 0),
    ):
        message = ""
        try:
            call()
        except IngotError as error:  # anything else is a bug: it fails the test
            message = str(error)
        assert len(message) < 1000  # one clear message, never a giant echo


@FUZZ
@given(
    args=st.sampled_from([
        ["ticks", "BTC-USD", "--bucket"], ["ticks", "BTC-USD", "--since"],
        ["ticks", "BTC-USD", "--limit"], ["bars", "BTC-USD", "1h", "--from"],
        ["db", "prune", "--dry-run", "--older-than"], ["db", "prune", "--dry-run", "--table"],
        ["strategy", "journal"], ["audit", "prove-consistency"], ["audit", "prove", "1",
        "--checkpoint"], ["audit", "check-proof", "-", "--key"],
    ]),
    value=st.one_of(DATEISH, NUMBERISH, WORDISH),
)  # fmt: skip
def test_fuzz_operations_flags(run: Callable, args: list[str], value: str) -> None:
    run([*args, value])


@FUZZ
@given(
    path=st.lists(st.sampled_from(["entry", "leaf_index", "tree_size", "audit_path",
                                   "checkpoint", "kind", "consistency"]), min_size=1, max_size=2),
    value=st.one_of(st.none(), st.integers(), WORDISH, st.lists(WORDISH, max_size=3),
                    st.dictionaries(WORDISH, WORDISH, max_size=3)),
)  # fmt: skip
def test_fuzz_proof_files(run: Callable, tmp_path: Path, path: list[str], value: object) -> None:
    made = run(["audit", "prove", "2"])
    assert made.exit_code == 0, made.output
    proof = json.loads(made.stdout)
    target = proof
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(target.get(key), dict) else target
    target[path[-1]] = value
    file = tmp_path / "proof.json"
    file.write_text(json.dumps(proof))
    checked = run(["audit", "check-proof", str(file)])
    assert checked.exit_code in (0, 1, 11)
    assert checked.stdout.startswith("Proof: ") or checked.exit_code == 11
