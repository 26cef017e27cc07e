"""Key rotation: the old key signs the hand-over, checkpoints it signed still verify up to the
rotation point, the new key signs after it, and a retired key's signature beyond its turn, or
a rotations file that does not lead to the key in place, is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from ingot_storage import ConfigError
from ingot_storage.audit.keys import load_signer
from ingot_storage.audit.rotation import KeyChain, RotationStatement, rotations_file
from ingot_storage.audit.trail import AuditTrail
from ingot_storage.db.database import Database
from tests.storage.audit.support import append_events, open_trail, tamper


@pytest.fixture
def rotated(database_url: URL, tmp_path: Path) -> Iterator[tuple[Database, AuditTrail, Path]]:
    database, audit = open_trail(database_url, tmp_path / "data")
    try:
        append_events(database.engine, 20)
        old = audit.signer
        statement = audit.rotate_key()
        assert (statement.size, statement.old_key) == (20, old.public_key)
        assert statement.new_key == audit.signer.public_key != old.public_key
        append_events(database.engine, 10, start=21)
        assert audit.checkpoint() is not None
        yield database, audit, audit.key_path.with_name(f"signing-key.pem.retired-{old.key_id}")
    finally:
        database.close()


def test_checkpoints_of_both_keys_verify_in_their_turn(rotated) -> None:  # type: ignore[no-untyped-def]
    _, audit, _ = rotated
    stored = audit.checkpoints()
    assert [c.size for c in stored] == [20, 30]
    assert stored[0].public_key != stored[1].public_key
    report = audit.verify()
    assert report.valid, report.failure
    chain = audit.keys()
    assert chain is not None
    assert chain.sizes == (20,)
    assert chain.allows(stored[0])
    assert chain.allows(stored[1])
    assert not chain.allows(replace(stored[0], size=21))  # the old key's turn ended at 20


def test_a_retired_key_cannot_sign_beyond_its_turn(rotated) -> None:  # type: ignore[no-untyped-def]
    from ingot_core.audit import checkpoint_message, to_micros

    database, audit, retired = rotated
    old = load_signer(retired, create=False)
    newest = audit.checkpoints()[-1]
    forged = replace(newest, public_key=old.public_key, note=None, signature=old.sign(
        checkpoint_message(newest.size, newest.root, newest.chain_hash,
                           to_micros(newest.created_at))))  # fmt: skip
    tamper(database.engine, ["DELETE FROM audit_checkpoint WHERE size = 30"],
           "audit_checkpoint")  # fmt: skip
    for kept in (audit.external.path, audit.memory.path):
        kept.write_text(kept.read_text().replace(newest.to_json(), forged.to_json()))
    failure = audit.verify().failure
    assert failure is not None
    assert (failure.seq, failure.check) == (30, "key")


def test_a_rotations_file_that_does_not_lead_to_the_key_is_refused(rotated) -> None:  # type: ignore[no-untyped-def]
    _, audit, _ = rotated
    path = rotations_file(audit.key_path)
    [line] = path.read_text().splitlines()
    data = json.loads(line)
    data["size"] = 25  # no longer what the keys signed
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(ConfigError, match="does not hold"):
        audit.keys()


def test_a_chain_follows_statements_in_order_only() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ingot_storage.audit.keys import AuditSigner

    a, b, c = (AuditSigner(Ed25519PrivateKey.generate(), Path("k")) for _ in range(3))

    def hand(old: AuditSigner, new: AuditSigner, size: int) -> RotationStatement:
        from datetime import UTC, datetime

        blank = RotationStatement(old.public_key, new.public_key, size, datetime.now(UTC), b"",
                                  b"")  # fmt: skip
        return replace(blank, old_signature=old.sign(blank.message()),
                       new_signature=new.sign(blank.message()))  # fmt: skip

    first, second = hand(a, b, 10), hand(b, c, 20)
    assert KeyChain.following(a.public_key, [first, second]).keys == (
        a.public_key, b.public_key, c.public_key)  # fmt: skip
    with pytest.raises(ValueError, match="starts from key"):
        KeyChain.following(a.public_key, [second])
    with pytest.raises(ValueError, match="does not hold"):
        KeyChain.following(a.public_key, [replace(first, new_key=c.public_key)])
