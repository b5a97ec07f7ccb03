"""A forum's restitution, as the restitution service tells it: who hears that it is published.

``restitution_published`` (version 1, then each later version, an update with its note of what changed)
is told to the forum's confirmed and waitlisted registrants, one message each, and announced to every
confirmed subscriber (a bulk message with one-click unsubscribe); a person who is both gets one email,
the registrant's (``announcements.tell_forum``, as a round's opening). A cancelled registrant is not told:
they left the forum, and hear nothing more of it; as a subscriber they still would. The message gives the
first lines of the summary (``rules.summary_excerpt``), the number of commitments and the public page of
the restitution in the message's language (no token: it is public). ``commitment_updated`` calls for no
email.
"""

from services.notification import announcements, rules


def restitution_published(cur, renderer, links, envelope, data):
    forum_id = data["forum_id"]

    def personal_links(person):
        return {"restitution": links.restitution(forum_id, person["locale"])}

    def marked_links(mark, locale):
        return {"restitution": links.restitution(forum_id, locale)}

    context = rules.restitution_message(data)
    return announcements.tell_forum(
        cur, renderer, envelope, forum_id, context, (), personal_links, marked_links
    )
