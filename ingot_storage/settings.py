"""Where each setting comes from: the command line, the environment, a configuration file, or
the default.

The configuration file is TOML with the environment's own names as keys, `ingot.toml` in the
data directory (or the file `--config` names):

    DATABASE_URL = "postgresql://ingot_app@localhost:5432/ingot"
    INGOT_BOOKING = "fifo"
    INGOT_FEE_RATE = 0.0026        # numbers are read exactly (never through a float)

The command line (`--db-url`, `--data-dir`) wins over the environment, which wins over the
file. A key the file does not know, a value that is not a string, number or boolean, or a file
that is not TOML is refused, naming the file (and the line).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ingot_storage import config as _config
from ingot_storage.config_urls import without_passwords
from ingot_storage.errors import ConfigError

__all__ = ["CONFIG_FILE", "DEFAULTS", "KNOWN", "Settings", "masked"]

CONFIG_FILE = "ingot.toml"
_ROWS = re.findall(r"^\| ([A-Z][A-Z0-9_]+) +\|[^|]*\|([^|]*)\|", _config.__doc__ or "", re.M)
KNOWN = tuple(name for name, _ in _ROWS)
"""Every variable Ingot reads, as config.py's table lists them."""
DEFAULTS = {name: default.strip() for name, default in _ROWS}
"""What each means when nobody sets it, as that table says."""


def masked(name: str, value: str) -> str:
    """A value as it may be shown: any URL's password replaced by ***."""
    return without_passwords(value)


@dataclass(frozen=True)
class Settings:
    """What the command line says about configuration.

    Attributes:
      config_file: `--config FILE` (None: DATA_DIR/ingot.toml when it exists).
      overrides: variables set by options (`--db-url`, `--data-dir`), over everything.
    """

    config_file: Path | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)

    def resolve(
        self, env: Mapping[str, str] | None = None
    ) -> tuple[dict[str, str], dict[str, str]]:
        """(the variables in effect, where each came from: option, environment, FILE)."""
        environment = os.environ if env is None else env
        layered = {**environment, **self.overrides}
        path = self.config_file
        if path is None:
            data_dir = _config.StorageConfig.from_env(
                {k: v for k, v in layered.items() if k == "INGOT_DATA_DIR"}
            ).data_dir
            default = data_dir / CONFIG_FILE
            path = default if default.is_file() else None
        from_file = _read(path) if path is not None else {}
        merged = {**from_file, **layered}
        sources = {}
        for name in merged:
            if name in self.overrides:
                sources[name] = "option"
            elif name in environment:
                sources[name] = "environment"
            else:
                sources[name] = str(path)
        return merged, sources


def _read(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("--config", f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError("--config", f"{path} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("--config", f"{path} is not TOML: {error}") from None
    values = {}
    for key, value in data.items():
        if key not in KNOWN:
            raise ConfigError("--config", f"{path}: unknown key {key!r} (ingot config show "
                                          "lists the known ones)")  # fmt: skip
        if isinstance(value, bool):
            values[key] = "true" if value else "false"
        elif isinstance(value, str | int | Decimal):
            values[key] = str(value)
        else:
            raise ConfigError("--config", f"{path}: {key} must be a string or a number")
    return values
