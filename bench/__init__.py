"""Benchmarks of the whole platform as real processes: ``python -m bench`` (see __main__.py)."""

import warnings

# harness.testing imports nameko, which imports eventlet: say it once, before any of them is imported.
warnings.filterwarnings("ignore", message=r"(?s)\s*Eventlet is deprecated")
