"""A forum's prioritisation rounds, as the topics events tell them: who is called to vote, and the results.

``round_opened`` is told to the forum's registrants (confirmed or waitlisted, each with their own link to
vote) and announced to every confirmed subscriber (a bulk message, with one-click unsubscribe and the
subscriber's own link to vote, see ``announcements``); a person who is both gets one email, the
registrant's. ``round_closing_soon`` goes the same way to those who have not voted. ``round_closed``
gives the agenda to those who voted, with a link to the public results in their language. The topics'
titles are kept (``store.topics``) from the opening, since the results name topics by id only.

The link to vote opens the person's session on the site with their management token (``/me/session``,
which takes the token off the address) and leads to the round's ballot: the topics API recognises a
participant by that token. A person is reached at the address the
roster knows for them (``rules.contacts``); a voter it does not know, or erased, gets nothing.
"""

import logging

from services.notification import announcements, deliveries, roster, rules, store
from services.notification.incoming import FORUM
from services.notification.rendering import named

log = logging.getLogger(__name__)


def forum_of(cur, forum_id):
    """The newest copy of the forum this service knows, or None (its events not seen yet)."""
    row = store.roster.newest_forum(cur, forum_id)
    return FORUM.load(row["forum"]) if row else None


def round_context(data, forum):
    timezone = forum["timezone"] if forum else rules.DEFAULT_TIMEZONE
    block = {"id": data["round_id"], "method": data["method"], "timezone": timezone}
    return {"forum": forum, "round": block | {"closes_at": data.get("closes_at")}}


def call(cur, renderer, links, envelope, data, context, voters=()):
    """Tell the forum's registrants who have not voted, each with their link to vote, then announce to the
    subscribers not told yet, with theirs (``announcements.tell_forum``)."""
    forum_id, round_id = data["forum_id"], data["round_id"]

    def personal_links(person):
        return {"vote": links.vote(round_id, person) if person["person_id"] else None}

    def marked_links(mark, locale):
        return {"vote": links.session(mark["token"], locale, round_id)}

    return announcements.tell_forum(
        cur, renderer, envelope, forum_id, context, voters, personal_links, marked_links
    )


def round_opened(cur, renderer, links, envelope, data):
    store.topics.keep_titles(cur, data["topics"], envelope["time"])
    context = round_context(data, forum_of(cur, data["forum_id"]))
    context["topics"] = [topic["title"] for topic in data["topics"]]
    return call(cur, renderer, links, envelope, data, context)


def round_closing_soon(cur, renderer, links, envelope, data):
    context = round_context(data, forum_of(cur, data["forum_id"]))
    context["hours_left"] = rules.hours_left(data["closes_at"], envelope["time"])
    return call(cur, renderer, links, envelope, data, context, data["voters"])


def round_closed(cur, renderer, links, envelope, data):
    """The agenda to each voter the roster knows (and who was not erased since)."""
    agenda = data["results"]["agenda"]
    context = round_context(data, forum_of(cur, data["forum_id"]))
    context["agenda"] = rules.agenda_titles(agenda, store.topics.titles(cur, agenda))
    found = rules.contacts(store.roster.about_people(cur, data["voters"]))
    logged = 0
    for voter in data["voters"]:
        person = found.get(str(voter))
        if person is None or roster.erased(cur, person, envelope["time"]):
            log.info("round %s: no address for voter %s, results not sent", data["round_id"], voter)
            continue
        person = named(person)
        own = {"person": person, "links": {"results": links.results(data["round_id"], person["locale"])}}
        rendered = renderer.render("round_closed", person["locale"], context | own)
        logged += deliveries.log_message(cur, envelope, "round_closed", person, rendered, data["forum_id"])
    return logged
