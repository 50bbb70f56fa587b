"""Shared test helpers (importable from every test directory: see tests/conftest.py)."""
