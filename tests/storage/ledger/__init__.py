"""Tests of ingot_storage.ledger."""
