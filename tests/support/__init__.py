"""Test-only helpers that do not use the code under test (oracles)."""
