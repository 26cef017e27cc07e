"""Tests of ingot_storage.sources."""
