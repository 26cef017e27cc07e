"""The spill file: what an outage leaves on local disk is read back whole, in order, or not
at all; never skipped, never cut short by another process."""

from __future__ import annotations

import json
import multiprocessing
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ingot_core.engine import EquitySnapshot, StorageEvent
from ingot_storage.errors import DatabaseUnavailable, IntegrityViolation, SpillError
from ingot_storage.writer.codec import decode_event
from ingot_storage.writer.spill import DrainResult, SpilledBatch, SpillFile
from tests.builders import T0


def equity(n: int) -> list[StorageEvent]:
    return [EquitySnapshot(Decimal(n), "USD", T0 + timedelta(seconds=n))]


def navs(batches: list[SpilledBatch]) -> list[list[Decimal]]:
    return [[e.nav for e in b.events if isinstance(e, EquitySnapshot)] for b in batches]


@pytest.fixture
def spill(tmp_path: Path) -> SpillFile:
    spill = SpillFile(tmp_path / "spill.jsonl")
    for n in (1, 2, 3):
        spill.append(equity(n))
    return spill


def test_an_unfinished_write_is_cut_before_the_next_append(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl")
    spill.append(equity(1))
    with open(spill.path, "ab") as handle:
        handle.write(b'[{"kind":"equity","nav":"2"')  # a crash in the middle of an append
    assert navs(spill.batches()) == [[1]]  # it was never acknowledged
    spill.append(equity(3))  # would otherwise run on from the unfinished line
    assert navs(spill.batches()) == [[1], [3]]
    assert spill.path.read_bytes().count(b"\n") == 2


def test_a_batch_that_cannot_be_read_is_an_error_never_skipped(spill: SpillFile) -> None:
    lines = spill.path.read_bytes().splitlines(keepends=True)
    spill.path.write_bytes(lines[0] + b"garbage\n" + lines[2])
    with pytest.raises(SpillError, match=r"spill\.jsonl, batch 2: cannot be read"):
        spill.batches()


def test_a_drain_takes_out_each_batch_it_wrote_and_stops_at_a_refused_one(
    spill: SpillFile,
) -> None:
    written: list[Decimal] = []

    def write(batch: list[StorageEvent]) -> None:
        [nav] = navs([batch])[0]
        if nav == 2:
            raise IntegrityViolation("refused")
        written.append(nav)

    with pytest.raises(IntegrityViolation):
        spill.drain(write)
    assert written == [1]
    assert navs(spill.batches()) == [[2], [3]]  # the refused one first: the rest wait
    assert spill.drain(write, set_aside=True) == DrainResult(written=1, set_aside=1)
    assert written == [1, 3]
    assert spill.size() == 0
    note, line = spill.set_aside_path.read_text().splitlines()
    assert json.loads(note)["reason"] == "refused"
    assert [decode_event(e) for e in json.loads(line)["events"]] == equity(2)


def test_an_outage_during_a_drain_leaves_the_rest_in_order(spill: SpillFile) -> None:
    def write(batch: list[StorageEvent]) -> None:
        if navs([batch]) == [[2]]:
            raise DatabaseUnavailable("server closed the connection")

    with pytest.raises(DatabaseUnavailable):
        spill.drain(write, set_aside=True)  # an outage is never a reason to set aside
    assert navs(spill.batches()) == [[2], [3]]
    assert not spill.set_aside_path.exists()


def test_an_unreadable_batch_is_set_aside_as_it_was(spill: SpillFile) -> None:
    lines = spill.path.read_bytes().splitlines(keepends=True)
    spill.path.write_bytes(lines[0] + b"garbage\n" + lines[2])
    written: list[list[Decimal]] = []
    result = spill.drain(lambda batch: written.extend(navs([batch])), set_aside=True)
    assert (result, written) == (DrainResult(written=2, set_aside=1), [[1], [3]])
    assert spill.set_aside_path.read_bytes().endswith(b"\ngarbage\n")


def _drain_slowly(path: Path, started, release) -> None:  # type: ignore[no-untyped-def]
    def write(batch: list[StorageEvent]) -> None:
        started.set()
        release.wait(10)  # another process appends meanwhile

    SpillFile(path).drain(write)


def test_a_batch_appended_during_another_process_drain_is_kept(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl")
    spill.append(equity(1))
    fork = multiprocessing.get_context("fork")
    started, release = fork.Event(), fork.Event()
    drainer = fork.Process(target=_drain_slowly, args=(spill.path, started, release))
    drainer.start()
    assert started.wait(10)
    appender = fork.Process(target=spill.append, args=(equity(2),))
    appender.start()  # waits for the drain to finish, then appends
    appender.join(0.5)
    release.set()
    drainer.join(10)
    appender.join(10)
    assert (drainer.exitcode, appender.exitcode) == (0, 0)
    assert navs(spill.batches()) == [[2]]  # batch 1 drained; batch 2 not truncated with it


def test_a_batch_spilled_by_the_earlier_release_is_read_without_an_epoch(tmp_path: Path) -> None:
    path = tmp_path / "spill.jsonl"
    path.write_text(
        '[{"kind":"equity","nav":"7","currency":"USD","at":"2026-01-01T00:00:00+00:00"}]\n'
    )
    [batch] = SpillFile(path).batches()
    assert batch.epoch is None
    assert navs([batch]) == [[Decimal(7)]]


def test_a_batch_keeps_the_epoch_it_was_spilled_under(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl")
    spill.append(equity(1), 41)
    spill.append(equity(2))
    assert [b.epoch for b in spill.batches()] == [41, None]
