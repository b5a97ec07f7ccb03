"""End-to-end tests: the whole platform as real processes (see conftest.py)."""
