"""`ingot audit` commands: query, verify, digest, prove, check-proof, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from ingot_storage.db.database import create_db_engine
from tests.storage.audit.support import tamper


def test_audit_lists_bootstrap_entries_newest_first(invoke) -> None:
    result = invoke("audit")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = ["SEQ", "TIMESTAMP", "(UTC)", "EVENT", "TYPE", "ACTOR", "ENTITY", "ID"]
    assert lines[0].split() == header
    assert lines[1].split()[0] == "6"
    assert "transaction_posted" in lines[1]


def test_audit_filters_and_json(invoke) -> None:
    data = json.loads(invoke("audit", "--type", "account_created", "--limit", "2", "--json").output)
    assert [d["seq"] for d in data] == [5, 4]
    assert {d["event_type"] for d in data} == {"account_created"}
    assert json.loads(data[0]["payload"])["type"] in {"Asset", "Equity", "Expense"}


def test_audit_verify_valid(invoke) -> None:
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Audit chain: VALID (6 entries verified)"


def test_audit_verify_names_seq_and_check_and_exits_1(invoke, database_url: URL) -> None:
    invoke("audit")  # bootstrap
    engine = create_db_engine(database_url, pool_size=1)
    tamper(engine, ["UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"])
    engine.dispose()
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("Audit chain: BROKEN at seq 3 (leaf: ")
    assert result.stderr == "error: audit chain broken at seq 3 (leaf)\n"
    report = json.loads(invoke("audit", "verify", "--json").stdout)
    assert report["failure"]["seq"] == 3
    assert report["failure"]["check"] == "leaf"


def test_digest_then_verify_against_it(invoke, tmp_path: Path) -> None:
    digest = tmp_path / "digest.json"
    result = invoke("audit", "digest")
    assert result.exit_code == 0
    digest.write_text(result.output)
    assert json.loads(result.output)["size"] == 6
    verified = invoke("audit", "verify", "--digest", str(digest))
    assert verified.exit_code == 0, verified.output


def test_prove_and_check_proof(invoke, tmp_path: Path) -> None:
    proof = tmp_path / "proof.json"
    result = invoke("audit", "prove", "2")
    assert result.exit_code == 0, result.output
    proof.write_text(result.output)
    checked = invoke("audit", "check-proof", str(proof))
    assert checked.exit_code == 0
    assert checked.output.startswith("Proof: VALID (entry 2 is in the log of 6 entries")
    data = json.loads(result.output)
    data["entry"]["actor"] = "mallory"
    proof.write_text(json.dumps(data))
    forged = invoke("audit", "check-proof", str(proof))
    assert forged.exit_code == 1
    assert forged.output.startswith("Proof: INVALID")


def test_prove_unknown_seq_is_an_error(invoke) -> None:
    result = invoke("audit", "prove", "999")
    assert result.exit_code != 0
    assert "there is no audit entry 999 (the log has 6 entries)" in result.output


def test_export_writes_file_and_reports_count(invoke, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    result = invoke("audit", "export", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Exported 6 entries to {target}"
    assert target.read_text().startswith("timestamp,event_type,actor,entity_id,payload\n")
    assert len(target.read_text().splitlines()) == 7  # the header and six entries


def test_export_json_to_stdout(invoke) -> None:
    result = invoke("audit", "export", "--format", "json", "--output", "-")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "'xml' is not one of"),
        (["--format", "csv", "--since", "someday"], "is not a date"),
        (["--format", "csv", "--since", "2026-13-01"], "is not a date"),
        (["--format", "csv", "--output", "/nonexistent-dir/x.csv"], "does not exist"),
    ],
)
def test_bad_export_input_is_exit_11_and_writes_nothing(
    invoke, tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke("audit", "export", *args)
    assert result.exit_code == 11
    assert message in result.output
    assert list(tmp_path.glob("*.csv")) == []


def test_export_never_replaces_a_file_without_force(invoke, tmp_path: Path) -> None:
    target = tmp_path / "keep.csv"
    target.write_text("precious")
    result = invoke("audit", "export", "--format", "csv", "--output", str(target))
    assert result.exit_code == 11
    assert "already exists; use --force" in result.output
    assert target.read_text() == "precious"
    forced = invoke("audit", "export", "--format", "csv", "--output", str(target), "--force")
    assert forced.exit_code == 0
    assert target.read_text().startswith("timestamp,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "28/02/2026"], "is not a date"),
        (["--limit", "0"], "'0' is out of range 1-10000000"),
        (["--limit", "many"], "Invalid value for '--limit'"),
        (["verify", "--digest", "/nonexistent.json"], "cannot read"),
    ],
)
def test_bad_audit_input_is_one_line_exit_11(invoke, args: list[str], message: str) -> None:
    result = invoke("audit", *args)
    assert result.exit_code == 11
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output


def test_shutdown_checkpoint_lands_in_table_and_external_file(invoke, cli_env) -> None:
    invoke("balances")
    files = list((Path(cli_env["INGOT_DATA_DIR"]) / "audit").glob("checkpoints-*.jsonl"))
    assert len(files) == 1
    (line,) = files[0].read_text().splitlines()
    assert json.loads(line)["size"] == 6


def test_an_unknown_event_type_is_refused_naming_the_known_ones(invoke) -> None:
    refused = invoke("audit", "--type", "order_filed")
    assert refused.exit_code == 11
    assert refused.output.startswith("error: --type: 'order_filed' is not one of book_opened")
    assert "order_filled" in refused.output
    assert invoke("audit", "--type", "order_filled").exit_code == 0
