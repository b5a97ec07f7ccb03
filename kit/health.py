"""RPC methods every service answers, for readiness checks and benchmarks."""

from nameko.rpc import rpc

from kit.secrets import SecureSettings


class HealthChecks:
    """Mix into a service class that has a ``db`` dependency. It also refuses insecure settings."""

    secure_settings = SecureSettings()

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
