"""Tests of ingot_storage.db."""
