"""`ingot metrics`: the live counters of the processes trading (seed 004's persistence metrics)
in the Prometheus text format, printed or served at /metrics, through the maintained
`prometheus_client` library."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import typer

from ingot_cli.commands import session_of
from ingot_cli.errors import BadInput
from ingot_cli.parsing import positive_seconds
from ingot_cli.session import Session

__all__ = ["app", "snapshots"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""

# Published field -> (metric name, kind, help). Counters get Prometheus' _total suffix.
_WORKER = {
    "rows": ("db_writes", "counter", "Rows the storage worker committed."),
    "batches": ("db_batches", "counter", "Batches the storage worker committed."),
    "audit_entries": ("audit_entries_written", "counter", "Audit entries appended."),
    "errors": ("db_write_errors", "counter", "Batches that failed to commit."),
    "dropped_ticks": ("dropped_ticks", "counter", "Ticks dropped on their way to storage."),
    "spilled_batches": ("spilled_batches", "counter", "Batches written to the local spill."),
    "queue_depth": ("storage_queue_depth", "gauge", "Operations waiting for the worker."),
    "spill_bytes": ("spill_bytes", "gauge", "Bytes waiting in the local spill file."),
}
_TRADELOG = {
    "rows": ("tradelog_rows", "counter", "Trade log events committed."),
    "dropped": ("tradelog_dropped", "counter", "Trade log events dropped (queue full)."),
    "spilled": ("tradelog_spilled_batches", "counter", "Trade log batches spilled."),
    "errors": ("tradelog_errors", "counter", "Trade log batches that failed."),
    "queued": ("tradelog_queue_depth", "gauge", "Trade log events waiting."),
}
_FEED = {
    "received": ("feed_ticks_received", "counter", "Ticks a feed received."),
    "processed": ("feed_ticks_processed", "counter", "Ticks the engine took from a feed."),
    "quotes": ("feed_quotes", "counter", "Quotes a feed gave between trades."),
    "signals": ("feed_signals", "counter", "Signals a live strategy raised."),
    "vetoes": ("feed_risk_vetoes", "counter", "Orders the risk checks refused."),
    "reconnects": ("feed_reconnects", "counter", "Times a live feed reconnected."),
    "backfilled": ("feed_backfilled_trades", "counter", "Trades backfilled after reconnects."),
}


def snapshots(session: Session) -> list[dict[str, Any]]:
    """The published snapshots of the processes trading books of this data directory (with
    `inconsistencies` from the last `db check`), or this process's own when none trades."""
    from ingot_storage.trading.published import read_published

    config = session.config
    found = [p.data for p in read_published(config.data_dir)]
    if not found:
        worker = session.worker
        found = [{"pid": 0, "book": config.book, "command": "ingot metrics",
                  "worker": None if worker is None else worker.metrics().__dict__,
                  "tradelog": None}]  # fmt: skip
    return found


class _Collector:
    """Reads the published snapshots at every scrape."""

    def __init__(self, read: Any, data_dir: Any) -> None:
        self._read, self._data_dir = read, data_dir

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        from ingot_storage.trading.checks import last_inconsistencies
        from ingot_storage.writer.metrics import LATENCY_BOUNDS_S

        labels = ["book", "pid"]
        families: dict[str, Any] = {}

        def family(name: str, kind: str, text: str) -> Any:
            if name not in families:
                maker = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
                families[name] = maker(name, text, labels=labels)
            return families[name]

        latency = HistogramMetricFamily("persistence_latency_seconds",
                                        "Commit latency of the storage worker's batches.",
                                        labels=labels)  # fmt: skip
        read = self._read()
        for snapshot in read:
            key = [str(snapshot.get("book", "")), str(snapshot.get("pid", ""))]
            for part, table in (("worker", _WORKER), ("tradelog", _TRADELOG), ("feed", _FEED)):
                values = snapshot.get(part) or {}
                for field, (name, kind, text) in table.items():
                    if isinstance(values.get(field), int | float):
                        family(name, kind, text).add_metric(key, values[field])
            worker = snapshot.get("worker") or {}
            counts = worker.get("latency_counts")
            if isinstance(counts, list) and len(counts) == len(LATENCY_BOUNDS_S) + 1:
                running, buckets = 0, []
                for bound, count in zip([*map(str, LATENCY_BOUNDS_S), "+Inf"], counts,
                                        strict=True):  # fmt: skip
                    running += int(count)
                    buckets.append((bound, running))
                latency.add_metric(key, buckets, float(worker.get("insert_ms_total", 0)) / 1000)
        yield from families.values()
        yield latency
        text = "Inconsistencies 'ingot db check' found, per book, over all its runs."
        checked = CounterMetricFamily("inconsistencies", text, labels=["book"])
        for book, count in last_inconsistencies(self._data_dir).items():
            checked.add_metric([book], count)
        yield checked


def _registry(session: Session) -> Any:
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    registry.register(_Collector(lambda: snapshots(session), session.config.data_dir))  # type: ignore[arg-type]
    return registry


@app.command("metrics")
def metrics_command(
    ctx: typer.Context,
    serve: str | None = typer.Option(
        None, "--serve", help="Serve /metrics at HOST:PORT (e.g. 127.0.0.1:9464) until stopped."
    ),
    seconds: float | None = typer.Option(
        None, "--seconds", parser=positive_seconds, help="With --serve: stop after N seconds."
    ),
) -> None:
    """The trading processes' live counters in the Prometheus text format."""
    from prometheus_client import generate_latest, start_http_server

    session = session_of(ctx)
    registry = _registry(session)
    if serve is None:
        typer.echo(generate_latest(registry).decode(), nl=False)
        return
    host, _, port = serve.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadInput("--serve", [f"{serve!r} is not HOST:PORT, e.g. 127.0.0.1:9464"])
    try:
        server, thread = start_http_server(int(port), host, registry)
    except OSError as error:
        raise BadInput("--serve", [f"cannot listen on {serve}: {error.strerror}"]) from None
    typer.echo(f"Serving http://{host}:{port}/metrics (Ctrl-C stops)", err=True)
    began = time.monotonic()
    try:
        while seconds is None or time.monotonic() - began < seconds:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        thread.join(2)
