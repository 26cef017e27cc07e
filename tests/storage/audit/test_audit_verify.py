"""Verifying the audit chain (seed 000, Task 2.5.4) and catching every kind of tampering."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from ingot_core.audit import (
    AuditEvent,
    MerkleFrontier,
    chain_hash,
    entity_bytes,
    leaf_hash,
    to_micros,
)
from ingot_storage import ConfigError
from ingot_storage.audit.checkpoints import Checkpoint, checkpoint_due, load_checkpoints
from ingot_storage.audit.keys import load_signer
from ingot_storage.audit.log import append_audit_batch, audit_head, iter_audit
from ingot_storage.audit.trail import AuditTrail
from ingot_storage.db.database import Database
from tests.storage.audit.support import T0, append_events, open_trail, tamper


@pytest.fixture
def trail(database_url: URL, tmp_path: Path) -> Iterator[tuple[Database, AuditTrail]]:
    database, audit = open_trail(database_url, tmp_path / "data")
    yield database, audit
    database.close()


def verify(audit: AuditTrail, digest: Checkpoint | None = None):
    return audit.verify(digest)


def test_verify_chain_empty_log_returns_none(trail) -> None:
    _, audit = trail
    report = verify(audit)
    assert report.failure is None
    assert report.entries == 0


def test_verify_chain_single_entry_valid(trail) -> None:
    database, audit = trail
    append_events(database.engine, 1)
    assert verify(audit).failure is None


def test_verify_chain_valid_returns_none(trail) -> None:
    database, audit = trail
    append_events(database.engine, 120)
    audit.checkpoint()
    append_events(database.engine, 30, start=121)
    report = verify(audit)
    assert report.failure is None
    assert report.entries == 150
    assert report.anchors == {"table": 1, "external": 1, "signer": 1, "digest": 0}


@pytest.fixture
def checkpointed(trail) -> tuple[Database, AuditTrail]:
    database, audit = trail
    append_events(database.engine, 40)
    audit.checkpoint()
    append_events(database.engine, 20, start=41)  # 60 entries, checkpoint at 40
    return database, audit


@pytest.mark.parametrize(
    ("statement", "seq", "check"),
    [
        (
            'UPDATE audit_log SET payload_text = \'{"n":17,"qty":"9999.5"}\' WHERE seq = 17',
            17,
            "leaf",
        ),
        ("UPDATE audit_log SET event_type = 'order_cancelled' WHERE seq = 23", 23, "leaf"),
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 31", 31, "leaf"),
        (
            'UPDATE audit_log SET "timestamp" = "timestamp" + interval \'1 microsecond\' '
            "WHERE seq = 45",
            45,
            "leaf",
        ),
        ("UPDATE audit_log SET entity_id = NULL WHERE seq = 50", 50, "leaf"),
        ("UPDATE audit_log SET chain_hash = sha256('x') WHERE seq = 12", 12, "chain"),
        ("UPDATE audit_log SET leaf_hash = sha256('x') WHERE seq = 8", 8, "leaf"),
        ("DELETE FROM audit_log WHERE seq = 33", 33, "seq"),
        # Swap two entries' contents, keeping their seq numbers.
        (
            "UPDATE audit_log a SET payload_text = b.payload_text, entity_id = b.entity_id "
            "FROM audit_log b WHERE (a.seq, b.seq) IN ((5, 6), (6, 5))",
            5,
            "leaf",
        ),
    ],
)
def test_tampering_is_detected_at_the_right_seq(
    checkpointed, statement: str, seq: int, check: str
) -> None:
    database, audit = checkpointed
    tamper(database.engine, [statement])
    failure = verify(audit).failure
    assert failure is not None
    assert (failure.seq, failure.check) == (seq, check)


def test_payload_edit_consistent_with_recomputed_hashes_is_caught_by_checkpoint(
    checkpointed,
) -> None:
    # A forger who recomputes seq 17's leaf and every later chain link keeps the chain
    # self-consistent; the signed checkpoint at 40 no longer matches.
    database, audit = checkpointed
    with database.connect() as conn:
        entries = list(iter_audit(conn))
    forged_payload = '{"n":17,"qty":"9999.5"}'
    statements, previous = [], entries[15].chain_hash
    for e in entries[16:]:
        text = forged_payload if e.seq == 17 else e.payload_text
        leaf = leaf_hash(
            e.seq,
            to_micros(e.timestamp),
            e.event_type,
            e.actor,
            entity_bytes(e.entity_id),
            text.encode(),
        )
        previous = chain_hash(previous, leaf)
        statements.append(
            f"UPDATE audit_log SET payload_text = '{text}', leaf_hash = '\\x{leaf.hex()}', "
            f"chain_hash = '\\x{previous.hex()}' WHERE seq = {e.seq}"
        )
    tamper(database.engine, statements)
    failure = verify(audit).failure
    assert failure is not None
    assert (failure.seq, failure.check) == (40, "checkpoint")


def test_tail_truncation_is_caught_by_the_external_checkpoint(checkpointed) -> None:
    database, audit = checkpointed
    audit.checkpoint()  # checkpoint at 60, in the table and the external file
    # Cut the tail and the table checkpoints that covered it.
    tamper(database.engine, ["DELETE FROM audit_log WHERE seq > 52"])
    tamper(database.engine, ["DELETE FROM audit_checkpoint WHERE size > 52"], "audit_checkpoint")
    failure = verify(audit).failure
    assert failure is not None
    assert (failure.seq, failure.check) == (53, "truncated")
    assert "checkpoint covers 60 entries" in failure.detail  # the external file's, the signer's


def test_whole_chain_rewritten_with_a_new_key_is_caught_by_the_external_checkpoint(
    database_url: URL, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    database, audit = open_trail(database_url, data)
    try:
        append_events(database.engine, 30)
        audit.checkpoint()
        external = audit.external.read()
        # The forger empties both tables, writes a different but self-consistent history,
        # replaces the signing key and re-signs a checkpoint with it.
        tamper(database.engine, ["DELETE FROM audit_log"])
        tamper(database.engine, ["DELETE FROM audit_checkpoint"], "audit_checkpoint")
        append_events(database.engine, 30, start=1000)
        os.unlink(audit.key_path)
        forger = AuditTrail(database, audit.config)
        forger.external.path = tmp_path / "forger.jsonl"
        forger.checkpoint()
        assert forger.signer.public_key != external[0].public_key
        failure = AuditTrail(database, audit.config).verify().failure
    finally:
        database.close()
    assert failure is not None
    assert (failure.seq, failure.check) == (30, "checkpoint")
    assert "external checkpoint at size 30" in failure.detail


def test_checkpoint_signed_by_another_key_is_refused(checkpointed, tmp_path: Path) -> None:
    database, audit = checkpointed
    stranger = load_signer(tmp_path / "stranger.pem")
    with database.connect() as conn:
        (real,) = load_checkpoints(conn)
    forged = Checkpoint(
        real.size,
        real.root,
        real.chain_hash,
        real.created_at,
        stranger.public_key,
        stranger.sign(real.message()),
    )
    failure = verify(audit, digest=forged).failure
    assert failure is not None
    assert (failure.seq, failure.check) == (40, "key")


def test_checkpoint_with_bad_signature_is_refused(checkpointed) -> None:
    database, audit = checkpointed
    tamper(
        database.engine,
        ["UPDATE audit_checkpoint SET signature = sha256('x') || sha256('y')"],
        "audit_checkpoint",
    )
    failure = verify(audit).failure
    assert failure is not None
    assert (failure.seq, failure.check) == (40, "signature")


def test_digest_kept_elsewhere_is_checked(checkpointed) -> None:
    database, audit = checkpointed
    digest = audit.head_checkpoint()
    assert digest is not None
    assert digest.size == 60
    assert verify(audit, digest).failure is None
    tamper(database.engine, ["DELETE FROM audit_log WHERE seq > 58"])
    tamper(database.engine, ["DELETE FROM audit_checkpoint WHERE size > 58"], "audit_checkpoint")
    audit.external.path.unlink()  # even with the external file gone too
    failure = verify(audit, digest).failure
    assert failure is not None
    assert (failure.seq, failure.check) == (59, "truncated")
    assert "digest checkpoint" in failure.detail


def test_checkpoint_extends_the_previous_frontier_correctly(trail) -> None:
    database, audit = trail
    roots = []
    for start in (1, 38, 101):
        append_events(database.engine, 37 if start == 1 else 63, start=start)
        checkpoint = audit.checkpoint()
        assert checkpoint is not None
        roots.append((checkpoint.size, checkpoint.root))
    with database.connect() as conn:
        leaves = [e.leaf_hash for e in iter_audit(conn)]
    for size, root in roots:
        frontier = MerkleFrontier()
        for leaf in leaves[:size]:
            frontier.append(leaf)
        assert frontier.root() == root
    assert audit.checkpoint() is None  # nothing new to sign


def test_external_file_matches_the_table(trail) -> None:
    database, audit = trail
    append_events(database.engine, 10)
    audit.checkpoint()
    append_events(database.engine, 5, start=11)
    audit.checkpoint()
    with database.connect() as conn:
        assert load_checkpoints(conn) == audit.external.read()
    assert [c.size for c in audit.external.read()] == [10, 15]
    assert all(c.signature_valid() for c in audit.external.read())


def test_checkpoint_cadence() -> None:
    last = Checkpoint(100, b"r" * 32, b"c" * 32, T0, b"k" * 32, b"s" * 64)
    assert checkpoint_due(1, None, T0, every=1000, seconds=60)
    assert not checkpoint_due(0, None, T0, every=1000, seconds=60)
    assert not checkpoint_due(100, last, T0 + timedelta(days=1), every=1000, seconds=60)
    assert checkpoint_due(1100, last, T0, every=1000, seconds=60)
    assert not checkpoint_due(150, last, T0 + timedelta(seconds=59), every=1000, seconds=60)
    assert checkpoint_due(150, last, T0 + timedelta(seconds=60), every=1000, seconds=60)


def test_checkpoint_if_due_honours_every_n(database_url: URL, tmp_path: Path) -> None:
    database, audit = open_trail(database_url, tmp_path / "data", INGOT_AUDIT_CHECKPOINT_EVERY="25")
    try:
        append_events(database.engine, 10)
        first = audit.checkpoint_if_due()  # none yet: the first entries are always due
        append_events(database.engine, 10, start=11)
        assert audit.checkpoint_if_due(first.created_at if first else None) is None
        append_events(database.engine, 20, start=21)
        assert audit.checkpoint_if_due() is not None
        with database.connect() as conn:
            assert audit_head(conn).size == 40
    finally:
        database.close()


def test_signing_key_is_private(trail) -> None:
    _, audit = trail
    audit.signer  # noqa: B018 - created on first use
    assert oct(audit.key_path.stat().st_mode & 0o777) == "0o600"


def test_key_readable_by_others_is_refused(trail) -> None:
    _, audit = trail
    audit.signer  # noqa: B018
    audit.key_path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_signer(audit.key_path)


def test_key_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    bad.chmod(0o600)
    with pytest.raises(ConfigError, match="not an unencrypted PEM"):
        load_signer(bad)


def test_verify_hashes_unicode_fields_and_null_entities_like_append(trail) -> None:
    database, audit = trail
    with database.engine.begin() as conn:
        append_audit_batch(
            conn,
            [
                AuditEvent(
                    "ordre_exécuté", "stratégie-\u03b1", None, {"note": "€ 😀 \u2028", "k": 1}
                ),
                AuditEvent("x" * 300, "", None, {"long": "y" * 5000}),
            ],
            T0,
        )
    report = verify(audit)
    assert report.failure is None
    assert report.entries == 2


def test_after_commit_hook_checkpoints_only_once_n_appends_are_counted(
    database_url: URL, tmp_path: Path
) -> None:
    database, audit = open_trail(
        database_url,
        tmp_path / "data",
        INGOT_AUDIT_CHECKPOINT_EVERY="10",
        INGOT_AUDIT_CHECKPOINT_SECONDS="3600",
    )
    try:
        append_events(database.engine, 12)
        assert audit.after_commit(4, T0) is None  # below N: the database is not asked
        assert audit.after_commit(5, T0) is None
        taken = audit.after_commit(3, T0)  # 12 counted: due
        assert taken is not None
        assert taken.size == 12
        assert audit.after_commit(0, T0) is None
    finally:
        database.close()


def test_an_opening_check_starts_at_the_newest_trusted_checkpoint(
    database_url: URL, tmp_path: Path
) -> None:
    database, audit = open_trail(database_url, tmp_path / "data")
    try:
        append_events(database.engine, 40)
        assert audit.checkpoint() is not None
        append_events(database.engine, 9, start=41)
        recent = audit.verify_recent()
        assert recent.valid
        assert recent.entries == 49
        # An edit after the checkpoint is caught from it; one before is left to the full check.
        tamper(database.engine, ["UPDATE audit_log SET actor = 'x' WHERE seq = 45"])
        assert audit.verify_recent().failure.seq == 45
        tamper(database.engine, ["UPDATE audit_log SET actor = 'engine' WHERE seq = 45",
                                 "UPDATE audit_log SET actor = 'x' WHERE seq = 3"])  # fmt: skip
        assert audit.verify_recent().valid
        assert audit.verify().failure.seq == 3
    finally:
        database.close()


def test_an_opening_check_trusts_no_checkpoint_the_external_file_lacks(
    database_url: URL, tmp_path: Path
) -> None:
    database, audit = open_trail(database_url, tmp_path / "data")
    try:
        append_events(database.engine, 10)
        audit.checkpoint()
        append_events(database.engine, 5, start=11)
        audit.checkpoint()
        lines = audit.external.path.read_text().splitlines()
        audit.external.path.write_text(lines[0] + "\n")  # only the first is pinned
        audit.memory.path.write_text(lines[0] + "\n")  # by the file and the signer alike
        tamper(database.engine, ["UPDATE audit_log SET actor = 'x' WHERE seq = 12"])
        assert audit.verify_recent().failure.seq == 12  # checked from size 10, not 15
    finally:
        database.close()


def test_every_checkpoint_is_also_a_signed_note_that_says_the_same(trail) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from ingot_core.audit.notes import parse_checkpoint_note

    database, audit = trail
    append_events(database.engine, 7)
    checkpoint = audit.checkpoint()
    assert checkpoint is not None
    assert checkpoint.note is not None
    parts = parse_checkpoint_note(checkpoint.note)
    assert (parts.origin, parts.size, parts.root) == (audit.origin, 7, checkpoint.root)
    assert checkpoint.signature_valid()
    bent = replace(checkpoint, note=checkpoint.note.replace("\n7\n", "\n8\n", 1))
    assert not bent.signature_valid()
    assert bent.note_problem() == "the note does not say what the checkpoint says"
    lines = checkpoint.note.split("\n")
    resigned = replace(checkpoint, note="\n".join([*lines[:-2], lines[-2][:-8] + "AAAAAAA=", ""]))
    assert not resigned.signature_valid()


def test_signing_reads_only_the_newest_checkpoints_and_falls_back_when_none_is_genuine(
    trail, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from ingot_storage.audit.checkpoints import TAIL, CheckpointFile

    database, audit = trail
    append_events(database.engine, 5)
    first = audit.checkpoint()
    assert first is not None
    long = CheckpointFile(tmp_path / "long.jsonl")
    for _ in range(TAIL * 3):
        long.append(first)
    assert len(long.newest()) == TAIL
    assert long.newest()[-1] == first
    assert CheckpointFile(tmp_path / "none.jsonl").newest() == []
    # A forged newest line (another key) in both files: signing still finds the genuine one.
    from dataclasses import replace

    forged = replace(first, public_key=bytes(32), signature=bytes(64), note=None)
    for kept in (audit.external, audit.memory):
        kept.append(forged)
    append_events(database.engine, 3, start=6)
    assert audit.checkpoint() is not None
