"""What the storage worker reports; a light module the CLI can import at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FlushOutcome", "WorkerMetrics"]


class FlushOutcome(StrEnum):
    """Where a flushed batch ended up."""

    COMMITTED = "committed"
    SPILLED = "spilled"  # PostgreSQL is unreachable: fsync'd to the spill, written when back
    REFUSED = "refused"  # PostgreSQL refused a batch: it (and what follows) waits in the spill
    FENCED = "fenced"  # another writer took the book: not written, and never will be


@dataclass
class WorkerMetrics:
    """Counters the worker keeps (shown by `ingot status`)."""

    queue_depth: int = 0  # operations waiting: in the queue, or gathered for the next batch
    batches: int = 0
    rows: int = 0
    audit_entries: int = 0
    dropped_ticks: int = 0
    spilled_batches: int = 0
    spill_bytes: int = 0
    errors: int = 0
    last_error: str | None = None
    last_insert_ms: float = 0.0
    max_insert_ms: float = 0.0
    insert_ms_total: float = 0.0

    @property
    def mean_insert_ms(self) -> float:
        """Average batch commit latency."""
        return self.insert_ms_total / self.batches if self.batches else 0.0
