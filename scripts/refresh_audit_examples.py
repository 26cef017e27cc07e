"""Rewrite the worked examples of docs/audit-format.md from the code (after a deliberate change
of the format): every `<!-- example NAME -->` block gets the value tests/core/audit_examples.py
computes. tests/core/test_audit_format_doc.py fails until the document and the code agree.

    python scripts/refresh_audit_examples.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.core.audit_examples import examples  # noqa: E402


def main() -> None:
    """Substitute every example block in place."""
    doc = ROOT / "docs" / "audit-format.md"
    values = examples()

    def block(match: re.Match[str]) -> str:
        name, lang = match.group(1), match.group(2)
        return f"<!-- example {name} -->\n```{lang}\n{values[name].rstrip(chr(10))}\n```"

    text = re.sub(r"<!-- example (\w+) -->\n```(\w*)\n.*?\n```", block, doc.read_text(), flags=re.S)
    doc.write_text(text)
    print(f"{doc}: {len(values)} examples")


if __name__ == "__main__":
    main()
