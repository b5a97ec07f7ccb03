"""The organisers' moderation digest: which comments on restitutions wait for their decision.

``ORGANISER_EMAILS`` (comma-separated) says who receives it; each address is checked when the service
starts (a wrong one stops it from starting), and with none there is no digest (said once, at start).
``MODERATION_DIGEST_SECONDS`` (3600 by default) is the least time between two digests.

A timer looks every 30 seconds. A digest goes when some waiting comment was never told in one and the last
digest is old enough: one message to each address, saying per forum how many comments wait, how many of them
are new, since when the oldest waits, the forum's public discussion and the organisers' API route of its
waiting comments. No comment's text and nobody's identity: a pending comment is not public. A comment still
waiting is not told again (a later digest counts it among those waiting, not among the new ones).

Everything happens in one transaction: an advisory lock taken without waiting (a replica making a digest now
makes the others skip their turn), the new comments marked as told, the messages written to the delivery
log. A crash before the commit leaves all as it was (the next turn tells the same comments); after it, the
messages are in the log and go at least once, as every email. The digest's event id comes from the comments
it tells (``rules.digest_event_id``).
"""

import logging

from nameko.extensions import DependencyProvider

from services.notification import deliveries, rules, store
from services.notification.rendering import one_line
from services.notification.rounds import forum_of

log = logging.getLogger(__name__)
TEMPLATE = "moderation_digest"
LOCALE = "fr"  # organisers are addressed by no person's choice: the platform's language


def send(cur, renderer, links, settings):
    """Write the digest to the log if one is owed; how many messages were logged (0: none owed)."""
    if not settings.addresses or not store.comments.lock_digest(cur):
        return 0
    last = store.comments.last_digest(cur)
    if not rules.digest_due(last["at"], last["now"], settings.seconds):
        return 0
    told = store.comments.claim_new(cur)
    if not told:
        return 0
    forums = rules.digest_forums(store.comments.waiting(cur), told)
    context = {
        "digest": rules.digest_totals(forums),
        "waiting_forums": [forum_line(cur, links, forum) for forum in forums],
    }
    rendered = renderer.render(TEMPLATE, LOCALE, context)
    envelope = {"id": rules.digest_event_id([row["comment_id"] for row in told])}
    logged = 0
    for address in settings.addresses:
        organiser = {"email": address, "first_name": "", "last_name": "", "locale": LOCALE}
        logged += deliveries.log_message(cur, envelope, TEMPLATE, organiser, rendered)
    log.info("moderation digest: %d new comments told to %d addresses", len(told), logged)
    return logged


def forum_line(cur, links, forum):
    """A forum's line, named by this service's copy of the forum (by its id if it has none)."""
    copy = forum_of(cur, forum["forum_id"])
    return forum | {
        "title": one_line(copy["title"]) if copy else None,
        "timezone": copy["timezone"] if copy else rules.DEFAULT_TIMEZONE,
        "page": links.discussion(forum["forum_id"], LOCALE),
        "pending": links.pending_comments(forum["forum_id"]),
    }


class DigestSettings(DependencyProvider):
    """``addresses`` and ``seconds`` of the moderation digest, read and checked once, at start."""

    def setup(self):
        config = self.container.config
        self.addresses = rules.organiser_addresses(config.get("ORGANISER_EMAILS"))
        self.seconds = float(config.get("MODERATION_DIGEST_SECONDS", rules.DEFAULT_DIGEST_SECONDS))
        if not self.addresses:
            log.info("ORGANISER_EMAILS is empty: no moderation digest will be sent")

    def get_dependency(self, worker_ctx):
        return self
