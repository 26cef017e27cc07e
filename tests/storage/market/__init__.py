"""Tests of ingot_storage.market."""
