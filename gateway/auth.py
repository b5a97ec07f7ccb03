"""Who may call what: organisers carry a bearer token; everyone else is the public."""

import hmac

from nameko.extensions import DependencyProvider

from gateway.errors import Forbidden, Unauthenticated


class OrganiserTokens(DependencyProvider):
    """Checks ``Authorization: Bearer <token>`` against ORGANISER_TOKEN (comma-separated for several)."""

    def setup(self):
        raw = str(self.container.config.get("ORGANISER_TOKEN") or "")
        self.tokens = [token.strip().encode() for token in raw.split(",") if token.strip()]

    def get_dependency(self, worker_ctx):
        return self.require

    def require(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("An organiser bearer token is required.")
        given = token.strip().encode()
        # compare against every token, so the time taken says nothing about which one was close
        if not any([hmac.compare_digest(given, known) for known in self.tokens]):
            raise Forbidden("This token is not an organiser token.")
