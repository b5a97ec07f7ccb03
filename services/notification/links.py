"""Links minted where an email is rendered (no token ever travels on the bus).

A link to a page of the site leads to the page in the message's language: French at ``/…``, English at
``/en/…`` (the gateway's ``gateway.site``); the open data, the API and the one-click unsubscribe have one
address whatever the language.

The settings come from the container's config (``PUBLIC_BASE_URL``, ``SECRET_KEY``), read once at setup.
A link is a secret: it goes into the rendered email (and so into the delivery log's body) and nowhere
else, never into a log line or an event.
"""

from nameko.extensions import DependencyProvider

from kit import tokens


class Links:
    def __init__(self, base_url, secret):
        self.base_url = base_url
        self.secret = secret

    def manage(self, person):
        """The person's management link, or None for an event that does not say who the person is: their
        page on the site (``/me``), in the message's language, reached through ``session``."""
        if not person.get("person_id"):
            return None
        return self.session(self.manage_token(person["person_id"], person.get("token_version") or 0),
                            person.get("locale"))  # fmt: skip

    def manage_token(self, person_id, token_version=0):
        """The person's management token alone (the topics API recognises a participant by it too)."""
        return tokens.mint(self.secret, "manage", person_id, token_version)

    def session(self, token, locale=None, round_id=None):
        """The site's ``/me/session`` (``/en/me/session`` in English) with ``token``: it opens the person's
        session with it, answers a redirection to ``/me`` (or to the round's ballot) without the token in
        the address, and works without JavaScript. A token in a query is sent to the server: the gateway
        keeps it out of its logs and the redirection out of ``Referer``."""
        round_query = f"&round={round_id}" if round_id else ""  # a token and an id need no escaping
        return self.page(f"/me/session?token={token}{round_query}", locale)

    def vote(self, round_id, person):
        """The person's link to vote in the round: their session, leading to the round's ballot."""
        token = self.manage_token(person["person_id"], person.get("token_version") or 0)
        return self.session(token, person.get("locale"), round_id)

    def page(self, path, locale=None):
        """The site's page at ``path`` (its French address) in ``locale``: ``/en`` + path in English."""
        prefix = "/en" if (locale or "").startswith("en") else ""
        return f"{self.base_url.rstrip('/')}{prefix}{path}"

    def results(self, round_id, locale=None):
        """The public page of a closed round's results (no token: anyone may read them)."""
        return self.page(f"/rounds/{round_id}/results", locale)

    def restitution(self, forum_id, locale=None):
        """The public page of a forum's restitution, its newest version (no token: anyone may read it)."""
        return self.page(f"/restitutions/{forum_id}", locale)

    def comment(self, forum_id, comment_id, locale=None):
        """A comment in the public discussion of its forum's restitution."""
        return f"{self.restitution(forum_id, locale)}#comment-{comment_id}"

    def discussion(self, forum_id, locale=None):
        """The public discussion of a forum's restitution, where organisers read and moderate comments."""
        return f"{self.restitution(forum_id, locale)}#comments"

    def pending_comments(self, forum_id):
        """The organisers' API route of the forum's comments waiting (an organiser token opens it)."""
        return f"{self.base_url.rstrip('/')}/api/v1/comments/pending?forum_id={forum_id}"

    def confirm_subscription(self, subscription_id, token_version=0, locale=None):
        """Minted with the person's token version, like every link of theirs: a revocation ends it too. The
        confirmation page in the message's language."""
        return tokens.link(
            self.page("", locale), self.secret, "confirm_subscription", subscription_id, token_version
        )

    def unsubscribe(self, subscription_id, token_version=0):
        """The one-click unsubscribe link of an announcement (RFC 8058), with the subscriber's newest token
        version known here (an older one is refused once the person revoked their links)."""
        return tokens.link(self.base_url, self.secret, "unsubscribe", subscription_id, token_version)

    def home(self):
        """The public page listing the forums open for registration."""
        return self.base_url.rstrip("/") + "/"


class LinkMinter(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.links = Links(config["PUBLIC_BASE_URL"], config["SECRET_KEY"])

    def get_dependency(self, worker_ctx):
        return self.links
