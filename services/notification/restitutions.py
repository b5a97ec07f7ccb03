"""A forum's restitution, as the restitution service tells it: who hears that it is published.

``restitution_published`` (version 1, then each later version, an update with its note of what changed)
is told to the forum's confirmed and waitlisted registrants, one message each, and announced to every
confirmed subscriber (a bulk message with one-click unsubscribe); a person who is both gets one email,
the registrant's (``announcements.tell_forum``, as a round's opening). A cancelled registrant is not told:
they left the forum, and hear nothing more of it; as a subscriber they still would. The message gives the
first lines of the summary (``rules.summary_excerpt``), the number of commitments and the public page of
the restitution (no token: it is public). ``commitment_updated`` calls for no email.
"""

from services.notification import announcements, rules


def restitution_published(cur, renderer, links, envelope, data):
    context = rules.restitution_message(data) | {
        "links": {"restitution": links.restitution(data["forum_id"])}
    }
    return announcements.tell_forum(cur, renderer, envelope, data["forum_id"], context)
