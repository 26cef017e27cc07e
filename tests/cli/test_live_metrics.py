"""Live metrics across processes: while `ingot feed` runs in one process, `ingot status` and
`ingot metrics` in others show its counters, named and dated; /metrics is scraped by a real
HTTP client; a process that is gone is not shown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

INGOT = str(Path(sys.executable).with_name("ingot"))


def _env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in ("TZ", "DATABASE_URL")},
            **cli_env}  # fmt: skip


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INGOT, *args], env=env, capture_output=True, text=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_running_feeds_counters_are_seen_from_other_processes(cli_env: dict[str, str]) -> None:
    env = _env(cli_env)
    assert _run(env, "mark", "BTC-USD", "100").returncode == 0
    feed = subprocess.Popen([INGOT, "feed", "BTC-USD", "--seconds", "12", "--interval-ms", "20"],
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        published = Path(cli_env["INGOT_DATA_DIR"]) / "run" / f"metrics-{feed.pid}.json"
        deadline = time.monotonic() + 30
        while not published.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert published.exists()
        time.sleep(2.5)  # a publish after some ticks
        status = _run(env, "status", "--json")
        assert status.returncode == 0, status.stderr
        shown = json.loads(status.stdout)
        assert shown["metrics_of"].startswith(f"pid {feed.pid} (ingot feed BTC-USD")
        assert shown["worker"]["rows"] > 0
        assert shown["feed"]["received"] > 0
        text = _run(env, "metrics").stdout
        assert f'db_writes_total{{book="main",pid="{feed.pid}"}}' in text
        assert "persistence_latency_seconds_bucket" in text
        assert "feed_ticks_received_total" in text
        port = _free_port()
        server = subprocess.Popen([INGOT, "metrics", "--serve", f"127.0.0.1:{port}",
                                   "--seconds", "8"], env=env,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            body = ""
            for _ in range(100):
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                assert answer.status_code == 200
                body = answer.text
                break
            assert f'pid="{feed.pid}"' in body
            assert "# TYPE persistence_latency_seconds histogram" in body
        finally:
            server.terminate()
            server.wait(10)
    finally:
        feed.wait(60)
    assert feed.returncode == 0
    assert not published.exists()  # removed at the end
    after = json.loads(_run(env, "status", "--json").stdout)
    assert after["metrics_of"] == "this process"


def test_a_bad_address_to_serve_is_refused_in_one_line(invoke) -> None:  # type: ignore[no-untyped-def]
    for address in ("nonsense", "127.0.0.1:0", "127.0.0.1:70000", ":9464"):
        refused = invoke("metrics", "--serve", address)
        assert refused.exit_code == 11, address
        assert refused.stderr.startswith("error: --serve"), address
    printed = invoke("metrics")
    assert printed.exit_code == 0
    assert "# TYPE persistence_latency_seconds histogram" in printed.stdout
