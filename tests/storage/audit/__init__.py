"""Tests of ingot_storage.audit."""
