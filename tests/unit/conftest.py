"""Unit tier: pure functions and schemas only; no broker, no database, no network."""
