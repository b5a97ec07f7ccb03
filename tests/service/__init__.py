"""Service-tier tests."""
