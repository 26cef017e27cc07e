"""Settings from ingot.toml, --config, --db-url and --data-dir, shown by `ingot config show`:
the command line over the environment over the file over the defaults, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path


def _shown(invoke, *args: str, env: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    result = invoke(*args, "config", "show", "--json", env=env)
    assert result.exit_code == 0, result.output
    return {r["name"]: (r["value"], r["source"]) for r in json.loads(result.output)}


def test_the_file_in_the_data_directory_is_read_and_the_environment_wins(
    invoke, cli_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    data = Path(cli_env["INGOT_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    toml = data / "ingot.toml"
    toml.write_text('INGOT_BOOKING = "fifo"\nINGOT_FEE_RATE = 0.00100\n'
                    'QUESTDB_PG_URL = "postgresql://admin:quest-secret@q:8812/qdb"\n')  # fmt: skip
    shown = _shown(invoke)
    assert shown["INGOT_BOOKING"] == ("fifo", str(toml))
    assert shown["INGOT_FEE_RATE"] == ("0.00100", str(toml))  # exactly as written
    assert shown["QUESTDB_PG_URL"] == ("postgresql://admin:***@q:8812/qdb", str(toml))
    assert shown["INGOT_MODE"] == ("paper", "default")
    assert shown["DATABASE_URL"][1] == "environment"
    hifo = _shown(invoke, env={"INGOT_BOOKING": "hifo"})["INGOT_BOOKING"]
    assert hifo == ("hifo", "environment")
    # The file's setting takes effect: a new book is made fifo.
    assert invoke("nav").exit_code == 0
    assert json.loads(invoke("books", "--json").output)[0]["booking"] == "fifo"
    table = invoke("config", "show")
    assert "quest-secret" not in table.output
    assert "SETTING" in table.output


def test_config_names_a_file_and_the_options_win(invoke, cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "elsewhere.toml"
    other.write_text('INGOT_MODE = "shadow"\nDATABASE_URL = "postgresql://nobody@127.0.0.1:1/x"\n')
    shown = _shown(invoke, "--config", str(other))
    assert shown["INGOT_MODE"] == ("shadow", str(other))
    assert shown["DATABASE_URL"][1] == "environment"  # the environment wins over the file
    url = cli_env["DATABASE_URL"]
    bogus = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    assert invoke("nav", env=bogus).exit_code == 10  # unreachable
    worked = invoke("--db-url", url, "nav", env=bogus)
    assert worked.exit_code == 0, worked.output
    elsewhere = tmp_path / "data2"
    moved = _shown(invoke, "--data-dir", str(elsewhere))
    assert moved["INGOT_DATA_DIR"] == (str(elsewhere), "option")


def test_a_broken_file_is_refused_on_one_line_with_exit_12(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = {"unknown.toml": 'INGOT_COLOUR = "red"\n', "broken.toml": "INGOT_MODE = \n",
             "table.toml": "[INGOT_MODE]\nx = 1\n"}  # fmt: skip
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = invoke("--config", str(path), "nav")
        assert result.exit_code == 12, (name, result.output)
        assert result.output.startswith("error: --config: "), name
        assert len(result.output.strip().splitlines()) == 1, name
    missing = invoke("--config", str(tmp_path / "none.toml"), "nav")
    assert missing.exit_code == 12
    assert "cannot read" in missing.output
