"""What becomes of a participant's proposal, told to its proposer: published, rejected (with the public
reason) or merged into another topic. An organiser's topic has no proposer: nothing is sent.

The proposer travels as a person id only; they are reached at the address the roster knows for them
(their newest registration's, else their subscription's: ``rules.contacts``). Nobody known, or a person
erased since, gets nothing (logged by ids only). Every topic event also keeps the titles it tells
(``store.topics``), which a round's results are named by.
"""

import logging

from services.notification import deliveries, roster, rules, store
from services.notification.rendering import named
from services.notification.rounds import forum_of

log = logging.getLogger(__name__)


def topic_changed(cur, renderer, links, envelope, data):
    """Keep the titles; tell the proposer of an outcome of their proposal."""
    template, topic = envelope["type"], data["topic"]
    store.topics.keep_titles(cur, [topic, *([data["into"]] if "into" in data else [])], envelope["time"])
    if not rules.tells_proposer(template, topic):
        return 0
    found = rules.contacts(store.roster.about_people(cur, [topic["proposer_id"]]))
    person = found.get(str(topic["proposer_id"]))
    if person is None or roster.erased(cur, person, envelope["time"]):
        log.info(
            "topic %s: no address for proposer %s, %s not sent", topic["id"], topic["proposer_id"], template
        )
        return 0
    person = named(person)
    forum = forum_of(cur, topic["forum_id"]) if topic["forum_id"] else None
    context = {"topic": topic, "into": data.get("into"), "reason": data.get("reason"), "forum": forum}
    rendered = renderer.render(template, person["locale"], context | {"person": person})
    return int(deliveries.log_message(cur, envelope, template, person, rendered, topic["forum_id"]))
