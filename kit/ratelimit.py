"""Abuse limits that hold however many replicas run: counted in Redis by the ``limits`` library.

Two kinds, each a list of rules in ``limits`` notation (``30/minute;300/hour``), empty for none:
- ``RATE_LIMIT_CLIENT_WRITES``: what one client (an IP address) may send to the gateway's public and
  participant routes that change something or send an email; past it the gateway answers 429 with
  ``Retry-After``. Organiser routes are not limited (their tokens are accountable).
- ``RATE_LIMIT_ADDRESS_EMAILS``: how many emails that someone else can ask for (a management link, a
  subscription to confirm, "you are already registered") one address receives; past it the request is
  answered exactly as before, but nothing is sent, so the answer tells nothing.
Counts use a moving window, keyed by rule and a SHA-256 of the client or address (no address is stored
in Redis), under ``RATE_LIMIT_PREFIX``. If Redis cannot be reached, requests are let through and a
warning is logged: abuse limits must not take the platform down with them.
"""

import hashlib
import logging
import time

from limits import parse_many
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from nameko.extensions import DependencyProvider, SharedExtension

log = logging.getLogger(__name__)
CLIENT_WRITES, ADDRESS_EMAILS = "RATE_LIMIT_CLIENT_WRITES", "RATE_LIMIT_ADDRESS_EMAILS"
REDIS_TIMEOUT = 1.0
WARN_EVERY = 60.0


def digest(value):
    return hashlib.sha256(str(value).strip().lower().encode()).hexdigest()


class Limits:
    """``wait(rule, who)`` counts one request of ``who`` under ``rule``: None when it is allowed, else the
    seconds until it would be."""

    def __init__(self, redis_url, prefix, rules):
        options = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}
        self.storage = RedisStorage(redis_url, key_prefix=prefix, wrap_exceptions=True, **options)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.rules = {name: parse_many(spec) for name, spec in rules.items() if str(spec or "").strip()}
        self.warned_at = 0.0

    @classmethod
    def from_config(cls, config, *names):
        rules = {name: config.get(name, "") for name in names}
        url = config.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        return cls(url, config.get("RATE_LIMIT_PREFIX", "opendetat"), rules)

    def wait(self, rule, who):
        key = digest(who)
        try:
            for item in self.rules.get(rule, ()):
                if not self.limiter.hit(item, rule, key):
                    reset = self.limiter.get_window_stats(item, rule, key).reset_time
                    return max(1.0, reset - time.time())
        except StorageError as exc:
            if time.monotonic() - self.warned_at > WARN_EVERY:
                self.warned_at = time.monotonic()
                log.warning(
                    "rate limits not applied: Redis unreachable (%s)", type(exc.storage_error).__name__
                )
        return None

    def allows(self, rule, who):
        return self.wait(rule, who) is None


class ClientLimits(SharedExtension):
    """The gateway's per-client limit, shared by its HTTP entrypoints."""

    def setup(self):
        config = self.container.config
        self.limits = Limits.from_config(config, CLIENT_WRITES)
        self.trusted_proxies = int(config.get("TRUSTED_PROXIES", 0) or 0)

    def client(self, request):
        """The client's address: the peer, or with ``TRUSTED_PROXIES=n`` the address the n-th proxy
        (counted from ours) saw, from ``X-Forwarded-For``; a client cannot pick its own."""
        if self.trusted_proxies:
            hops = [
                hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()
            ]
            if len(hops) >= self.trusted_proxies:
                return hops[-self.trusted_proxies]
        return request.remote_addr or "unknown"

    def wait(self, request):
        return self.limits.wait(CLIENT_WRITES, self.client(request))


class AddressLimits(DependencyProvider):
    """A service's per-address email limit: ``allows(address)``."""

    def setup(self):
        self.limits = Limits.from_config(self.container.config, ADDRESS_EMAILS)

    def get_dependency(self, worker_ctx):
        return self

    def allows(self, address):
        return self.limits.allows(ADDRESS_EMAILS, address)
