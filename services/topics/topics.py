"""Proposals and their moderation. A participant's proposal waits for an organiser; an organiser's is
published at once. Each use case reads through ``store``, decides, writes, then emits."""

from services.topics import store
from services.topics.errors import ForumNotFound, InvalidTransition, TopicNotFound
from services.topics.people import participant
from services.topics.views import topic_event_block, topic_view

FINAL_FORUMS = ("held", "cancelled")


def forum_for_topics(tx, forum_id):
    forum = store.forums.read(tx.cur, forum_id)
    if forum is None:
        raise ForumNotFound(f"no forum {forum_id}")
    return forum


def propose(tx, forum_id, data, token=None):
    """A topic for the forum (``forum_id`` None: the series backlog); ``token`` None: an organiser's."""
    if forum_id is not None and forum_for_topics(tx, forum_id)["status"] in FINAL_FORUMS:
        raise InvalidTransition("this forum has ended: propose the topic for the backlog or a coming forum")
    if token is None:
        topic = store.topics.insert(tx.cur, forum_id, data, "organiser", None, "published", tx.now)
        tx.emit("topic_published", {"topic": topic_event_block(topic)})
        tx.record("topic_published", topic["id"], {"title": topic["title"]})
    else:
        person = participant(tx, token)
        topic = store.topics.insert(
            tx.cur, forum_id, data, "participant", person["person_id"], "proposed", tx.now
        )
        tx.emit("topic_proposed", {"topic": topic_event_block(topic)})
    return topic_view(topic)


def moderated(tx, topic_id):
    topic = store.topics.read(tx.cur, topic_id, lock=True)
    if topic is None:
        raise TopicNotFound(f"no topic {topic_id}")
    if topic["status"] != "proposed":
        raise InvalidTransition(f"this topic is {topic['status']}: only a proposed topic is moderated")
    return topic


def publish(tx, topic_id):
    moderated(tx, topic_id)
    topic = store.topics.publish(tx.cur, topic_id, tx.now)
    tx.emit("topic_published", {"topic": topic_event_block(topic)})
    tx.record("topic_published", topic_id, {"title": topic["title"]})
    return topic_view(topic)


def reject(tx, topic_id, reason):
    moderated(tx, topic_id)
    topic = store.topics.reject(tx.cur, topic_id, reason, tx.now)
    tx.emit("topic_rejected", {"topic": topic_event_block(topic), "reason": reason})
    tx.record("topic_rejected", topic_id, {"reason": reason})
    return topic_view(topic)


def listing(tx, forum_id):
    """The forum's published topics, in publication order."""
    forum_for_topics(tx, forum_id)
    return {"items": [topic_view(row) for row in store.topics.of_forum(tx.cur, forum_id, "published")]}


def moderation_queue(tx, forum_id=None):
    """Proposals awaiting an organiser, oldest first."""
    return {"items": [topic_view(row) for row in store.topics.awaiting_moderation(tx.cur, forum_id)]}
