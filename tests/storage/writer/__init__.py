"""Tests of ingot_storage.writer."""
