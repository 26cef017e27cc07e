"""What a session needs before it trades, checked before it trades.

A command that trades and then fails on something it could have checked first (a signing key
other users can read, a data directory that cannot hold the spill) leaves a committed order
behind an error: a wrapper that retries the command places the order twice. So everything a
trading session will need later is checked here, before the book's lock is taken: the mode,
the directories it writes (spill, external checkpoints) and the audit signing key.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingot_core.engine.outcomes import TradingMode, refuse_unavailable_mode
from ingot_storage.audit.trail import AuditTrail
from ingot_storage.errors import ConfigError

__all__ = ["check_before_trading", "writable_directory"]


def writable_directory(path: Path, variable: str) -> None:
    """Create `path` if needed and make sure this process can write in it; ConfigError
    naming `variable` otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ConfigError(variable, f"cannot create {path}: {error.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(variable, f"cannot write in {path}")


def check_before_trading(mode: str, audit: AuditTrail, spill_file: Path) -> None:
    """Raise (LiveTradingUnavailable, ConfigError) for anything that would stop a trading
    session after it committed: nothing is traded until this passes."""
    refuse_unavailable_mode(TradingMode(mode))
    writable_directory(spill_file.parent, "INGOT_DATA_DIR")
    key_variable = "INGOT_AUDIT_KEY" if audit.config.audit_key else "INGOT_DATA_DIR"
    writable_directory(audit.external.path.parent, "INGOT_DATA_DIR")
    writable_directory(audit.key_path.parent, key_variable)
    _ = audit.signer  # loads the key (creating it on first use), refusing a bad one
