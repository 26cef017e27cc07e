"""Tests of ingot_storage.trading."""
