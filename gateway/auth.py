"""Who may call what.

Organisers carry a bearer token from ORGANISER_TOKEN (comma-separated for several). A participant has
no account: the bearer token is the one from their emailed link, passed on to the service that minted
it, which alone can tell whether it is valid. The public carries nothing.
"""

import hmac

from nameko.extensions import DependencyProvider

from gateway.errors import Forbidden, Unauthenticated

MAX_TOKEN = 2048  # far above any token we mint; anything longer is not worth a round trip


class Callers:
    def __init__(self, tokens):
        self.tokens = tokens

    @staticmethod
    def bearer(request):
        """The bearer token of the request, or None."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if len(token) > MAX_TOKEN:
            raise Unauthenticated("This token is not valid.")
        return token

    def _is_organiser_token(self, token):
        given = token.encode()
        # compare against every token, so the time taken says nothing about which one was close
        return any([hmac.compare_digest(given, known) for known in self.tokens])

    def is_organiser(self, request):
        """For public routes where organisers see more (drafts); any other token counts as public."""
        token = self.bearer(request)
        return token is not None and self._is_organiser_token(token)

    def organiser(self, request):
        """Organisers only: 401 without a token, 403 with any other token (a participant's)."""
        token = self.bearer(request)
        if token is None:
            raise Unauthenticated("An organiser bearer token is required.")
        if not self._is_organiser_token(token):
            raise Forbidden("This token is not an organiser token.")

    def person(self, request):
        """The participant's token, for routes that act as the person; organisers are not a person."""
        token = self.bearer(request)
        if token is None:
            raise Unauthenticated("The bearer token from your emailed link is required.")
        if self._is_organiser_token(token):
            raise Forbidden("This route acts for a person: use the token from their link.")
        return token

    def organiser_or_person(self, request):
        """None for an organiser, else the participant's token (checked by the service)."""
        token = self.bearer(request)
        if token is None:
            raise Unauthenticated("An organiser token or the token from your emailed link is required.")
        return None if self._is_organiser_token(token) else token


class BearerTokens(DependencyProvider):
    def setup(self):
        raw = str(self.container.config.get("ORGANISER_TOKEN") or "")
        self.callers = Callers([token.strip().encode() for token in raw.split(",") if token.strip()])

    def get_dependency(self, worker_ctx):
        return self.callers
