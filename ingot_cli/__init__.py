"""Ingot's terminal front end: one-shot Typer commands over one command layer."""
