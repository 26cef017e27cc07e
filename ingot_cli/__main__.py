"""`python -m ingot_cli` runs the ingot command."""

from ingot_cli.main import run

run()
