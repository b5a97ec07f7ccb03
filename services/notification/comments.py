"""The discussion of restitutions, as the restitution events tell it: a reply told to the author of the
comment it answers, and the comments waiting for moderation kept for the organisers' digest.

``comment_published`` names ``notify_person_id`` when the author of the comment replied to asked to be told
of replies. They travel as a person id only and are reached as a proposer is: at the address the roster
knows for them (``rules.contacts``); nobody known, or a person erased since, gets nothing (logged by ids
only). The message quotes the reply as plain text (escaped in HTML), with the name its author chose to show,
if any, and links to it in the forum's public discussion in the message's language (no token: it is
public). One message per event: a redelivered event is in the inbox already, and the log's key (event,
recipient, template) stops a second row.

A pending ``comment_submitted`` makes the comment wait for moderation; its ``comment_published`` or
``comment_hidden`` settles it, in whichever order they arrive (``store.comments``). The digest that tells
organisers what waits is ``moderation``'s.
"""

import logging

from services.notification import deliveries, roster, rules, store
from services.notification.rendering import named, one_line
from services.notification.rounds import forum_of

log = logging.getLogger(__name__)
TEMPLATE = "comment_replied"


def comment_submitted(cur, renderer, links, envelope, data):
    comment = data["comment"]
    if comment["status"] == "pending":  # published at once (post-moderation): nothing to moderate
        store.comments.submitted(cur, comment["id"], comment["forum_id"], comment["created_at"])
    return 0


def comment_hidden(cur, renderer, links, envelope, data):
    comment = data["comment"]
    store.comments.settled(cur, comment["id"], comment["forum_id"], envelope["time"])
    return 0


def comment_published(cur, renderer, links, envelope, data):
    """The comment waits no more; the author it replies to is told, if they asked."""
    comment, person_id = data["comment"], data["notify_person_id"]
    store.comments.settled(cur, comment["id"], comment["forum_id"], envelope["time"])
    if person_id is None:
        return 0
    person = rules.contacts(store.roster.about_people(cur, [person_id])).get(str(person_id))
    if person is None or roster.erased(cur, person, envelope["time"]):
        log.info("comment %s: no address for person %s, reply not told", comment["id"], person_id)
        return 0
    person = named(person)
    context = {
        "forum": forum_of(cur, comment["forum_id"]),
        "comment": {"author_name": one_line(comment["author_name"] or "") or None},
        "reply": rules.reply_lines(comment["body"]),
        "links": {"comment": links.comment(comment["forum_id"], comment["id"], person["locale"])},
        "person": person,
    }
    rendered = renderer.render(TEMPLATE, person["locale"], context)
    return int(deliveries.log_message(cur, envelope, TEMPLATE, person, rendered, comment["forum_id"]))
