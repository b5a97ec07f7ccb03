"""What the tests and the benchmarks stand on, and nothing a running service needs: fixtures for real
PostgreSQL, RabbitMQ and SMTP (``harness.testing``, a pytest plugin) and the whole platform as real
processes (``harness.stack``). Not part of the installed package (see pyproject.toml)."""
