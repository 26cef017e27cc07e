"""What the storage worker reports; a light module the CLI can import at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["LATENCY_BOUNDS_S", "FlushOutcome", "WorkerMetrics"]

LATENCY_BOUNDS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""The upper bounds of persistence_latency_seconds' buckets (one more: +Inf)."""


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
    # Committed batches by commit latency: one count per LATENCY_BOUNDS_S bound and +Inf.
    latency_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_S) + 1))

    def observe_latency(self, ms: float) -> None:
        """Count one committed batch's latency in its bucket."""
        seconds = ms / 1000
        bucket = next((n for n, bound in enumerate(LATENCY_BOUNDS_S) if seconds <= bound),
                      len(LATENCY_BOUNDS_S))  # fmt: skip
        self.latency_counts[bucket] += 1

    @property
    def mean_insert_ms(self) -> float:
        """Average batch commit latency."""
        return self.insert_ms_total / self.batches if self.batches else 0.0
