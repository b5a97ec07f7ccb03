"""Benchmarks of the whole platform as real processes: ``python -m bench`` (see __main__.py)."""
