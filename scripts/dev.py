#!/usr/bin/env python3
"""Set up Ingot in a local virtualenv and run it or its checks. Needs only Python 3.11+.

    python3 scripts/dev.py run [ARGS...]   install, then `ingot ARGS` (default: a tour of the book)
    python3 scripts/dev.py test            install with dev tools, then lint, type-check and test

The virtualenv lives in .venv next to pyproject.toml; it is (re)installed whenever
pyproject.toml changes. No Docker and no system PostgreSQL are needed: without
DATABASE_URL, Ingot and its tests start an embedded PostgreSQL from a wheel.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

TOUR = [["balances"], ["nav"], ["db", "status"]]


def step(title: str) -> None:
    print(f"==> {title}", flush=True)


def call(args: list[str]) -> None:
    done = subprocess.run(args, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(done.returncode)


def ensure_venv(extras: str) -> None:
    """Create .venv and install Ingot (editable) unless it is already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older python3
        sys.exit(f"Ingot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / f".ingot-installed-{extras or 'run'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        step(f"creating virtualenv in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    step("installing Ingot" + (f" with [{extras}]" if extras else "")
         + " (the first time takes a minute or so; pip shows each package)")  # fmt: skip
    call([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    call([str(PYTHON), "-m", "pip", "install", "--progress-bar", "off", "--editable", target])
    stamp.write_text(digest)


def compile_bytecode() -> None:
    """Compile Ingot's modules ahead, as a wheel install does: with PYTHONDONTWRITEBYTECODE set
    (as on many CI machines and containers) Python would compile every module from source at
    every command. Modules already compiled and unchanged are skipped in a few milliseconds."""
    packages = [str(ROOT / name) for name in ("ingot_cli", "ingot_core", "ingot_storage")]
    call([str(PYTHON), "-m", "compileall", "-q", *packages])


def run(args: list[str]) -> None:
    """Install Ingot and run it."""
    ensure_venv("")
    compile_bytecode()
    ingot = str(BIN / "ingot")
    for command in [args] if args else TOUR:
        step("ingot " + " ".join(command))
        call([ingot, *command])


def test() -> None:
    """Install Ingot with its dev tools and run every check CI runs."""
    ensure_venv("dev")
    compile_bytecode()
    step("ruff check")
    call([str(BIN / "ruff"), "check", "."])
    step("ruff format --check")
    call([str(BIN / "ruff"), "format", "--check", "."])
    step("mypy (ingot_core, ingot_storage)")
    call([str(BIN / "mypy")])
    step("pytest")
    call([str(PYTHON), "-m", "pytest"])


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"run", "test"}:
        sys.exit(__doc__)
    if argv[0] == "run":
        run(argv[1:])
    else:
        test()


if __name__ == "__main__":
    main(sys.argv[1:])
