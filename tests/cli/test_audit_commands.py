"""`ingot audit` commands: query, verify, digest, prove, check-proof, export."""

from __future__ import annotations

import json
from dataclasses import replace
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
    assert checked.stdout.startswith("Proof: VALID (entry 2 is in the log of 6 entries")
    assert "came from the file itself" in checked.stderr
    data = json.loads(result.output)
    data["entry"]["actor"] = "mallory"
    proof.write_text(json.dumps(data))
    forged = invoke("audit", "check-proof", str(proof))
    assert forged.exit_code == 1
    assert forged.stdout.startswith("Proof: INVALID")


def _resigned(checkpoint: dict) -> dict:  # type: ignore[type-arg]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ingot_storage.audit.checkpoints import Checkpoint

    held = Checkpoint.from_json(json.dumps(checkpoint))
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    forged = replace(held, public_key=raw, signature=key.sign(held.message()), note=None)
    return json.loads(forged.to_json())


def test_a_pinned_key_refuses_a_resigned_proof_and_strict_wants_a_key(
    invoke, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "audit-key.pem"
    shown = invoke("audit", "key")
    assert shown.exit_code == 0, shown.output
    key.write_text(shown.stdout)
    key_id = shown.stdout.split()[3]
    proof = tmp_path / "proof.json"
    proof.write_text(invoke("audit", "prove", "3").stdout)
    for pin in (str(key), key_id):
        held = invoke("audit", "check-proof", str(proof), "--key", pin, "--strict")
        assert held.exit_code == 0, held.output
        assert "came from the file" not in held.stderr
    data = json.loads(proof.read_text())
    data["checkpoint"] = _resigned(data["checkpoint"])
    proof.write_text(json.dumps(data))
    assert invoke("audit", "check-proof", str(proof)).exit_code == 0  # self-consistent, unpinned
    for pin in (str(key), key_id):
        refused = invoke("audit", "check-proof", str(proof), "--key", pin)
        assert refused.exit_code == 1
        assert f"not by the pinned key {key_id}" in refused.stdout
    strict = invoke("audit", "check-proof", str(proof), "--strict")
    assert strict.exit_code == 11
    assert strict.stderr.startswith("error: --key")


@pytest.mark.parametrize(
    "bend",
    [
        lambda d: d.update(leaf_index=76, tree_size=99),
        lambda d: d.update(tree_size=d["tree_size"] + 1),
        lambda d: d["entry"].update(leaf_hash=""),
        lambda d: d.update(audit_path=[*d["audit_path"], "00"]),
        lambda d: d["checkpoint"].update(root="ab" * 31),
        lambda d: d["checkpoint"].update(key_id="0" * 16),
    ],
)
def test_a_proof_whose_fields_disagree_is_invalid_without_a_key(
    invoke, tmp_path: Path, bend
) -> None:  # type: ignore[no-untyped-def]
    proof = tmp_path / "proof.json"
    data = json.loads(invoke("audit", "prove", "2").stdout)
    bend(data)
    proof.write_text(json.dumps(data))
    checked = invoke("audit", "check-proof", str(proof))
    assert checked.exit_code == 1, checked.output
    assert checked.stdout.startswith("Proof: INVALID")


def test_an_old_digest_ties_to_a_newer_checkpoint_offline(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.json"
    old.write_text(invoke("audit", "digest").stdout)
    assert invoke("mark", "BTC-USD", "61000").exit_code == 0
    assert invoke("buy", "BTC-USD", "0.01").exit_code == 0
    newest = invoke("audit", "digest").stdout
    proof = tmp_path / "proof.json"
    made = invoke("audit", "prove", "2", "--since-digest", str(old))
    assert made.exit_code == 0, made.output
    proof.write_text(made.stdout)
    data = json.loads(made.stdout)
    assert data["tree_size"] == json.loads(newest)["size"]  # the newest, not the smallest
    assert data["consistency"]["old_size"] == json.loads(old.read_text())["size"]
    key = tmp_path / "key.pem"
    key.write_text(invoke("audit", "key").stdout)
    offline = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}  # no database at all
    held = invoke("audit", "check-proof", str(proof), "--key", str(key), "--since-digest",
                  str(old), env=offline)  # fmt: skip
    assert held.exit_code == 0, held.output
    assert "which extends the log of 6 entries" in held.stdout
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**json.loads(old.read_text()), "root": "cd" * 32}))
    mismatch = invoke("audit", "check-proof", str(proof), "--since-digest", str(other),
                      env=offline)  # fmt: skip
    assert mismatch.exit_code in (1, 11)
    consistency = tmp_path / "consistency.json"
    made = invoke("audit", "prove-consistency", str(old), str(json.loads(newest)["size"]))
    assert made.exit_code == 0, made.output
    consistency.write_text(made.stdout)
    held = invoke("audit", "check-proof", str(consistency), "--key", str(key), env=offline)
    assert held.exit_code == 0, held.output
    assert "the log of 6 entries is the start of the log of" in held.stdout
    bent = json.loads(made.stdout)
    bent["consistency_path"][0] = "00" * 32
    consistency.write_text(json.dumps(bent))
    assert invoke("audit", "check-proof", str(consistency), env=offline).exit_code == 1


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


def test_verify_with_a_digest_pins_its_key(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    digest, key = tmp_path / "digest.json", tmp_path / "key.pem"
    digest.write_text(invoke("audit", "digest").stdout)
    key.write_text(invoke("audit", "key").stdout)
    noted = invoke("audit", "verify", "--digest", str(digest))
    assert noted.exit_code == 0, noted.output
    assert "note: the trusted key is the local audit key" in noted.stderr
    pinned = invoke("audit", "verify", "--digest", str(digest), "--key", str(key), "--strict")
    assert pinned.exit_code == 0, pinned.output
    assert "note:" not in pinned.stderr
    key_id = json.loads(digest.read_text())["key_id"]
    assert invoke("audit", "verify", "--digest", str(digest), "--key", key_id).exit_code == 0
    assert invoke("audit", "verify", "--strict").exit_code == 11
    resigned = tmp_path / "resigned.json"
    resigned.write_text(json.dumps(_resigned(json.loads(digest.read_text()))))
    refused = invoke("audit", "verify", "--digest", str(resigned), "--key", str(key))
    assert refused.exit_code == 1
    assert "not by the audit key" in refused.stdout


def _rewrite_consistently(database_url: URL, seq: int, payload: str) -> None:
    """What a forger with the database does: edit entry `seq`, recompute its leaf and every
    later chain link, and delete the table's checkpoints."""
    from ingot_core.audit import chain_hash, entity_bytes, leaf_hash, to_micros
    from ingot_storage.audit.log import iter_audit

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            entries = list(iter_audit(conn))
        previous, statements = entries[seq - 2].chain_hash, []
        for e in entries[seq - 1 :]:
            text = payload if e.seq == seq else e.payload_text
            leaf = leaf_hash(e.seq, to_micros(e.timestamp), e.event_type, e.actor,
                             entity_bytes(e.entity_id), text.encode())  # fmt: skip
            previous = chain_hash(previous, leaf)
            quoted = text.replace("'", "''")
            statements.append(f"UPDATE audit_log SET payload_text = '{quoted}', leaf_hash = "
                              f"'\\x{leaf.hex()}', chain_hash = '\\x{previous.hex()}' "
                              f"WHERE seq = {e.seq}")  # fmt: skip
        tamper(engine, statements)
        tamper(engine, ["DELETE FROM audit_checkpoint"], "audit_checkpoint")
    finally:
        engine.dispose()


def test_a_laundered_history_is_never_signed_and_verify_fails(
    invoke, database_url: URL, cli_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("buy", "BTC-USD", "0.01").exit_code == 0
    assert invoke("audit", "verify").exit_code == 0
    _rewrite_consistently(database_url, 3, '{"forged":true}')
    external = list((Path(cli_env["INGOT_DATA_DIR"]) / "audit").glob("checkpoints-*.jsonl"))
    assert len(external) == 1
    external[0].unlink()
    nav = invoke("nav")  # an ordinary command; its session end would sign the head
    assert nav.exit_code == 0, nav.output
    assert "not signing the audit head" in caplog.text  # the warning a shell shows on stderr
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_checkpoint").scalar() == 0
    finally:
        engine.dispose()
    verdict = invoke("audit", "verify")
    assert verdict.exit_code == 1
    assert "BROKEN" in verdict.stdout
    assert not external[0].exists() or external[0].read_text() == ""


def test_a_missing_external_file_is_reported_while_signed_checkpoints_exist(
    invoke, cli_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    assert invoke("audit", "digest").exit_code == 0
    [external] = (Path(cli_env["INGOT_DATA_DIR"]) / "audit").glob("checkpoints-*.jsonl")
    external.write_text("")
    verdict = invoke("audit", "verify")
    assert verdict.exit_code == 1
    assert "external checkpoint file" in verdict.stdout
    assert "missing or empty" in verdict.stdout


def test_another_spelling_of_the_server_finds_the_same_external_checkpoints(
    invoke, database_url: URL
) -> None:  # type: ignore[no-untyped-def]
    from tests.cli.test_faults import other_spelling

    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("audit", "digest").exit_code == 0
    here = json.loads(invoke("audit", "verify", "--json").stdout)["anchors"]
    spelled = other_spelling(database_url).render_as_string(hide_password=False)
    there = invoke("audit", "verify", "--json", env={"DATABASE_URL": spelled})
    assert there.exit_code == 0, there.output
    assert json.loads(there.stdout)["anchors"] == here
    assert here["external"] >= 1


def test_db_status_warns_when_the_connecting_role_could_rewrite_the_trail(invoke) -> None:  # type: ignore[no-untyped-def]
    shown = invoke("db", "status")
    assert shown.exit_code == 0, shown.output
    assert shown.stderr.startswith("warning: the connecting role")


def test_after_a_key_rotation_an_auditor_follows_the_statements(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old_key, rotations = tmp_path / "old.pem", tmp_path / "rotations.jsonl"
    old_key.write_text(invoke("audit", "key").stdout)
    old_proof = tmp_path / "old-proof.json"
    old_proof.write_text(invoke("audit", "prove", "2").stdout)
    rotated = invoke("audit", "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    assert "Audit key rotated at 6 entries" in rotated.stdout
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("audit", "verify").exit_code == 0
    rotations.write_text(invoke("audit", "rotations").stdout)
    new_proof = tmp_path / "new-proof.json"
    new_proof.write_text(invoke("audit", "prove", "7").stdout)
    assert invoke("audit", "check-proof", str(new_proof), "--key", str(old_key)).exit_code == 1
    for proof in (old_proof, new_proof):
        held = invoke("audit", "check-proof", str(proof), "--key", str(old_key), "--rotations",
                      str(rotations))  # fmt: skip
        assert held.exit_code == 0, held.output
    bent = json.loads(rotations.read_text())
    bent["size"] = 3
    rotations.write_text(json.dumps(bent) + "\n")
    refused = invoke("audit", "check-proof", str(new_proof), "--key", str(old_key),
                     "--rotations", str(rotations))  # fmt: skip
    assert refused.exit_code == 11
    assert "does not hold" in refused.stderr
