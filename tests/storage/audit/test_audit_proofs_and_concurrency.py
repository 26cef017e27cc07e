"""Inclusion proofs for every entry, and concurrent writers that cannot fork the chain."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_storage.audit.proofs import InclusionProof, build_proof, check_proof, trusting
from tests.storage.audit.support import append_events, open_trail


def test_inclusion_proofs_verify_for_every_seq_of_a_1000_entry_log(
    database_url: URL, tmp_path: Path
) -> None:
    database, audit = open_trail(database_url, tmp_path / "data")
    try:
        append_events(database.engine, 1000, batch=250)
        checkpoint = audit.checkpoint()
        assert checkpoint is not None
        trusted = trusting(audit.signer.public_key)
        with database.connect() as conn:
            proofs = [build_proof(conn, seq, checkpoint) for seq in range(1, 1001)]
    finally:
        database.close()
    for proof in proofs:
        assert check_proof(proof, trusted) == [], proof.entry.seq
    sample = proofs[421]
    round_tripped = InclusionProof.from_json(sample.to_json())
    assert check_proof(round_tripped, trusted) == []
    wrong_leaf = replace(sample, entry=replace(sample.entry, payload_text='{"n":999}'))
    assert "the entry's fields do not hash to its leaf hash" in check_proof(wrong_leaf)
    bent_path = replace(sample, audit_path=(sample.audit_path[0][::-1], *sample.audit_path[1:]))
    assert check_proof(bent_path) == [
        "the audit path does not lead from the leaf to the checkpoint root"
    ]
    other_entry = replace(sample, entry=proofs[422].entry)
    assert check_proof(other_entry) != []


WRITER = textwrap.dedent(
    """
    import sys
    from uuid import uuid4
    from sqlalchemy.engine import make_url
    from ingot_core.audit import AuditEvent
    from ingot_storage.audit.log import append_audit_batch
    from ingot_storage.db.database import create_db_engine

    engine = create_db_engine(make_url(sys.argv[1]), pool_size=1)
    actor = sys.argv[2]
    for batch in range(40):
        with engine.begin() as conn:
            append_audit_batch(conn, [
                AuditEvent("order_placed", actor, uuid4(), {"batch": batch, "i": i})
                for i in range(50)
            ])
    engine.dispose()
    """
)


def test_four_processes_appending_at_once_leave_one_valid_chain(
    database_url: URL, tmp_path: Path
) -> None:
    url = database_url.render_as_string(hide_password=False)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, f"writer-{n}"]) for n in range(4)
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0, 0]
    database, audit = open_trail(database_url, tmp_path / "data")
    try:
        report = audit.verify()
        with database.connect() as conn:
            per_actor = dict(
                conn.execute(sa.text("SELECT actor, count(*) FROM audit_log GROUP BY actor")).all()
            )
            seqs = conn.execute(sa.text("SELECT min(seq), max(seq), count(*) FROM audit_log")).one()
    finally:
        database.close()
    assert report.failure is None
    assert report.entries == 8000
    assert tuple(seqs) == (1, 8000, 8000)
    assert per_actor == {f"writer-{n}": 2000 for n in range(4)}
