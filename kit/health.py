"""RPC methods every service answers, for readiness checks and benchmarks."""

from kit.quiet import QuietExpectedErrors
from kit.rpc import rpc
from kit.secrets import SecureSettings


class HealthChecks:
    """Mix into a service class that has a ``db`` dependency. It also refuses insecure settings and logs
    expected errors (answers to bad requests) in one line."""

    secure_settings = SecureSettings()
    expected_errors_in_one_line = QuietExpectedErrors()

    @rpc
    def ping(self):
        """Answer at once, touching nothing: the lightest round trip through the broker."""
        return "pong"

    @rpc
    def health(self):
        """'ok' when this service can reach its database (and, by answering, the broker)."""
        with self.db.transaction() as cur:
            cur.execute("SELECT 1")
        return "ok"
