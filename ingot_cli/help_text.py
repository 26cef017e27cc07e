"""What `--help` shows beyond the docstrings: task panels, one example per command, and
readable names for what each argument and option takes.

Applied once to the click tree Typer builds (`dress`), so the commands' own modules keep only
their behaviour. tests/cli/test_help.py checks that every command has its example.
"""

from __future__ import annotations

from typing import Any

from typer._click import types

__all__ = ["EXAMPLES", "PANELS", "dress"]

PANELS = {
    "Trading": ("buy", "sell", "cancel", "orders", "mark", "positions", "status", "watch",
                "history"),
    "Ledger and books": ("accounts", "balances", "nav", "register", "journal", "ledger",
                         "books"),
    "Reports": ("report",),
    "Market data": ("feed", "ingest", "bars", "ticks", "gaps", "tradelog"),
    "Strategies and scripts": ("strategy", "run"),
    "Operations": ("db", "audit", "metrics", "config"),
}  # fmt: skip

EXAMPLES = {
    "run": "ingot run morning.ingot",
    "accounts": "ingot accounts --json",
    "balances": "ingot balances --tree --depth 2",
    "nav": "ingot nav --quote USD",
    "register": "ingot register Assets:Cash:USD --since -7d",
    "journal": "ingot journal --since 2024-01",
    "buy": "ingot buy BTC-USD 0.01 --limit 60000",
    "sell": "ingot sell BTC-USD 0.005",
    "cancel": "ingot cancel cli-6dbc2fcd5dc7",
    "orders": "ingot orders --json",
    "mark": "ingot mark BTC-USD 61250.50",
    "positions": "ingot positions",
    "status": "ingot status --json",
    "watch": "ingot watch --symbol BTC-USD",
    "history": "ingot history --since yesterday --limit 20",
    "history export": "ingot history export --format csv --output - | head",
    "report equity": "ingot report equity --since -30d",
    "report run": "ingot report run sma-1 --json",
    "report runs": "ingot report runs --limit 10",
    "report pnl": "ingot report pnl --by month --since 2024",
    "report lots": "ingot report lots --method fifo --year 2024 --csv",
    "strategy run": "ingot strategy run sma --replay examples/crossover_scenario.jsonl --qty 0.5",
    "strategy journal": "ingot strategy journal sma-1 --export journal.jsonl",
    "feed": "ingot feed BTC-USD ETH-USD --source synthetic --seconds 60",
    "ingest ohlcv": "ingot ingest ohlcv BTC-USD 1h --since 2024-01-01",
    "ingest ticks": "ingot ingest ticks ticks.jsonl",
    "bars": "ingot bars BTC-USD 1h --since -7d --limit 500  (or --from 1m)",
    "gaps": "ingot gaps BTC-USD 1h --since 2024-01",
    "ticks": "ingot ticks BTC-USD --since -1d --bucket 5m",
    "ledger export": "ingot ledger export --format beancount --output book.beancount",
    "books": "ingot books --json",
    "books drop": "ingot books drop bt-sma-1",
    "db": "ingot db status",
    "db upgrade": "ingot db upgrade",
    "db status": "ingot db status --json",
    "db check": "ingot db check --book main",
    "db stop": "ingot db stop",
    "db spill": "ingot db spill --set-aside",
    "db stats": "ingot db stats --json",
    "metrics": "ingot metrics --serve 127.0.0.1:9464",
    "db prune": "ingot db prune --older-than 90d --archive ~/archive --dry-run",
    "audit": "ingot audit --type order_filled --since today",
    "audit verify": "ingot audit verify --digest ~/safe/ingot-digest.json --key ~/safe/key.pem",
    "audit digest": "ingot audit digest > ~/safe/ingot-digest.json  (--format note: C2SP)",
    "audit prove": "ingot audit prove 42 --since-digest ~/safe/ingot-digest.json > proof.json",
    "audit prove-consistency": "ingot audit prove-consistency ~/safe/ingot-digest.json",
    "audit check-proof": "ingot audit check-proof proof.json --key ~/safe/key.pem --strict",
    "audit key": "ingot audit key > ~/safe/key.pem",
    "audit checkpoints": "ingot audit checkpoints --json",
    "audit rotate-key": "ingot audit rotate-key",
    "audit rotations": "ingot audit rotations > rotations.jsonl",
    "audit export": "ingot audit export --format json --output audit.json",
    "tradelog": "ingot tradelog --type api_event_execution --since -1h",
    "tradelog show": "ingot tradelog show 17",
    "tradelog export": "ingot tradelog export --format jsonl --output - | gzip > tl.jsonl.gz",
    "config show": "ingot config show --json",
    "config": "ingot --config ~/ingot.toml config show",
    "tradelog prune": "ingot tradelog prune --older-than 90d --archive ~/tradelog-archive",
    "report": "ingot report pnl",
    "ingest": "ingot ingest ohlcv BTC-USD 1d",
    "strategy": "ingot strategy run sma --bars BTC-USD 1h",
    "ledger": "ingot ledger export --format ledger --output -",
}
"""One example per command path; a group's own line when it runs without a subcommand."""

# What an option or argument takes, by its parameter name, where its name alone says less.
_NAMES = {"since": "WHEN", "until": "WHEN", "at": "WHEN", "limit": "N", "recent": "N",
          "depth": "N", "output": "FILE|-", "archive": "DIR", "seconds": "SECONDS",
          "client_id": "ID", "event_id": "ID", "run_id": "RUN_ID", "book": "NAME",
          "older_than": "AGE", "quantity": "QTY", "qty": "QTY", "price": "PRICE",
          "digest": "FILE", "script": "FILE", "types": "TYPE", "order": "ID",
          "source": "SOURCE", "year": "YYYY", "short": "N", "long": "N",
          "count": "N", "interval_ms": "MS", "start": "WHEN", "heartbeat": "SECONDS",
          "symbols": "SYMBOL..."}  # fmt: skip


class _Labelled(types.ParamType):
    """A parameter type shown under a readable name, converting as the one it wraps."""

    def __init__(self, inner: types.ParamType, label: str) -> None:
        self.inner, self.label, self.name = inner, label, inner.name

    def get_metavar(self, param: Any, ctx: Any = None) -> str:
        return self.label

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        return self.inner.convert(value, param, ctx)


def _label(param: Any) -> str:
    if "price" in (getattr(param, "help", None) or "").lower().split(";")[0]:
        return "PRICE"
    return _NAMES.get(param.name or "", (param.name or "value").upper())


def _dress_params(command: Any) -> None:
    for param in command.params:
        if getattr(param, "is_flag", False) or getattr(param, "hidden", False):
            continue
        if getattr(param.type, "is_composite", False):
            continue  # a pair such as --bars SYMBOL INTERVAL keeps its own type
        if param.type.get_metavar(param=param, ctx=None) is not None:
            continue  # choices list themselves: [csv|json]
        label = _label(param)
        param.metavar = label
        param.type = _Labelled(param.type, label)


def dress(root: Any) -> None:
    """Give every command of the tree under `root` its panel, example and readable names
    (once)."""
    if getattr(root, "_ingot_dressed", False):
        return
    root._ingot_dressed = True
    panel_of = {name: panel for panel, names in PANELS.items() for name in names}
    order = [name for names in PANELS.values() for name in names]
    _dress_params(root)
    commands = getattr(root, "commands", {})
    for name, command in commands.items():
        command.rich_help_panel = panel_of.get(name)
        _dress(command, name)
    # Panels in task order (help lists commands in the order they are held).
    ranked = sorted(commands, key=lambda n: order.index(n) if n in order else len(order))
    root.commands = {name: commands[name] for name in ranked}


def _dress(command: Any, path: str) -> None:
    example = EXAMPLES.get(path)
    if example is not None and not (command.epilog or "").startswith("Example"):
        command.epilog = f"Example: {example}"
    _dress_params(command)
    for name, sub in getattr(command, "commands", {}).items():
        _dress(sub, f"{path} {name}")
