"""The organiser console: the moderation queues, every forum's at once: the topics participants proposed,
and the comments on restitutions that wait for an organiser (pre-moderation). A topic is published,
refused, or merged into another proposal of its forum (a duplicate); a comment published or hidden; each
refusal with a public reason. The proposer's stakeholder group is not shown: the topics service's answer
does not carry it (nor who proposed, by design). The queue then comes back
(303) with a one-line outcome that its address selects from a fixed list (``?done=``), never text it
echoes. A topic or comment someone else moderated meanwhile (another tab, another organiser) is said so
(409), nothing changed."""

import uuid
from functools import partial

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway.pages import render
from gateway.routes.console import FORM, FORUMS_SHOWN, HTML, SIGNED_IN, both_languages, page
from gateway.rpc import together
from gateway.schemas import CommentHideSchema, TopicMergeSchema, TopicRejectSchema
from gateway.site import in_lang, lang_of, page_context, set_csrf_cookie

QUEUE = "/console/moderation"
COMMENTS_SHOWN = 200  # the restitution service answers at most this many pending comments, oldest first
# (kind, action): the form's field (None: none), and the outcome the queue then says (?done=)
ACTIONS = {
    ("topic", "publish"): (None, "topic_published"),
    ("topic", "reject"): ("reason", "topic_rejected"),
    ("topic", "merge"): ("into", "topic_merged"),
    ("comment", "publish"): (None, "comment_published"),
    ("comment", "hide"): ("reason", "comment_hidden"),
}
DONE = tuple(done for _, done in ACTIONS.values())
REASONS = {"topic": TopicRejectSchema(), "comment": CommentHideSchema()}
MERGE = TopicMergeSchema()
GONE = {"InvalidTransition": 409, "TopicNotFound": 404, "CommentNotFound": 404}
ACTED = (
    "Answered with a 303 to the queue, whose ?done= names the outcome. One moderated meanwhile (another "
    "tab, another organiser) is answered 409 with the queue saying so, an unknown one 404; a read-only "
    "token 403."
)
# documented as the other console forms are (the document's operations need a 2xx): the answer is a 303
to_queue = partial(page, returns="303 to the queue, saying in one line what was done")
topic_done = partial(to_queue, raises=("TopicNotFound", "InvalidTransition"), pages=(403, 404, 409))
comment_done = partial(to_queue, raises=("CommentNotFound", "InvalidTransition"), pages=(403, 404, 409))
WITH_REASON = (
    "reason (public, 1 to 1000 characters; blank is refused with the queue again, 422, nothing changed). "
)


class ConsoleModerationRoutes:
    @both_languages(
        "GET",
        QUEUE,
        page(
            "The moderation queues, every forum's: proposed topics and comments waiting, oldest first",
            description="?done= one of " + ", ".join(DONE) + ": the outcome of the last action, said in "
            "one line." + SIGNED_IN,
        ),
    )
    def console_moderation(self, request):
        organiser, answer = self._console_signed_in(request)
        if organiser is None:
            return answer
        done = request.args.get("done")
        return self._moderation_page(request, organiser, done=done if done in DONE else None)

    @both_languages(
        "POST",
        QUEUE + "/topics/<uuid:topic_id>/publish",
        topic_done("Publish a proposed topic from the console", description=FORM.format(what=ACTED)),
    )
    def console_moderation_publish_topic(self, request, topic_id):
        return self._moderation_act(request, "topic", "publish", str(topic_id))

    @both_languages(
        "POST",
        QUEUE + "/topics/<uuid:topic_id>/reject",
        topic_done(
            "Refuse a proposed topic from the console, with a public reason",
            description=FORM.format(what=WITH_REASON + ACTED),
            pages=(403, 404, 409, 422),
        ),
    )
    def console_moderation_reject_topic(self, request, topic_id):
        return self._moderation_act(request, "topic", "reject", str(topic_id))

    @both_languages(
        "POST",
        QUEUE + "/topics/<uuid:topic_id>/merge",
        topic_done(
            "Merge a proposed topic, a duplicate, into another proposal, from the console",
            description=FORM.format(what="into (the id of the topic it joins; not itself: 422). " + ACTED),
            pages=(403, 404, 409, 422),
        ),
    )
    def console_moderation_merge_topic(self, request, topic_id):
        return self._moderation_act(request, "topic", "merge", str(topic_id))

    @both_languages(
        "POST",
        QUEUE + "/comments/<uuid:comment_id>/publish",
        comment_done(
            "Publish a comment waiting for moderation, from the console", description=FORM.format(what=ACTED)
        ),
    )
    def console_moderation_publish_comment(self, request, comment_id):
        return self._moderation_act(request, "comment", "publish", str(comment_id))

    @both_languages(
        "POST",
        QUEUE + "/comments/<uuid:comment_id>/hide",
        comment_done(
            "Hide a comment waiting for moderation, from the console, with a public reason",
            description=FORM.format(what=WITH_REASON + ACTED),
            pages=(403, 404, 409, 422),
        ),
    )
    def console_moderation_hide_comment(self, request, comment_id):
        return self._moderation_act(request, "comment", "hide", str(comment_id))

    def _moderation_act(self, request, kind, action, item_id):
        """The action on the topic or comment, then the queue again (303); or the queue saying what stopped
        it (a field to correct, or the item moderated meanwhile), nothing changed."""
        organiser, answer = self._console_posted(request, QUEUE)
        if organiser is None:
            return answer
        field, done = ACTIONS[kind, action]
        value = None
        if field:
            value, problem = _moderation_field(kind, field, request.form.get(field, ""), item_id)
            if problem:
                invalid = {"field": f"{field}-{kind}-{item_id}", "value": value, "problem": problem}
                return self._moderation_page(request, organiser, status=422, invalid=invalid)
        try:
            self._moderation_call(kind, action, item_id, value)
        except RemoteError as exc:
            if exc.exc_type not in GONE:
                raise
            gone = {"kind": kind, "moderated": exc.exc_type == "InvalidTransition"}
            return self._moderation_page(request, organiser, status=GONE[exc.exc_type], gone=gone)
        where = in_lang(QUEUE, lang_of(request)) + "?done=" + done
        return Response(
            status=303, headers={"Location": where, "Cache-Control": "no-store"}, content_type=HTML
        )

    def _moderation_call(self, kind, action, item_id, value):
        calls = {
            ("topic", "publish"): lambda: self.topics.publish_topic(item_id),
            ("topic", "reject"): lambda: self.topics.reject_topic(item_id, value),
            ("topic", "merge"): lambda: self.topics.merge_topic(item_id, value),
            ("comment", "publish"): lambda: self.restitution.approve_comment(item_id),
            ("comment", "hide"): lambda: self.restitution.hide_comment(item_id, value),
        }
        return calls[kind, action]()

    def _moderation_page(self, request, organiser, status=200, **values):
        """The queues (one call per service, in parallel); forum titles are a convenience: without the
        registration service, the forums are named by their id and the page goes on."""
        asked = {
            "forums": partial(self.registration.list_forums, "all", FORUMS_SHOWN, None, True),
            "topics": partial(self.topics.moderation_queue, None),
            "comments": partial(self.restitution.pending_comments, None),
        }
        answers = together(**asked)
        for name in ("topics", "comments"):
            if answers[name][1]:
                raise answers[name][1]
        forums = answers["forums"][0]
        titles = {forum["id"]: forum["title"] for forum in forums["items"]} if forums else {}
        comments = answers["comments"][0]["items"]
        context = page_context(request, self.config["SECRET_KEY"], QUEUE)
        answer = render("console_moderation.html", status=status, organiser=organiser,
                        idempotency_key=str(uuid.uuid4()), topics=answers["topics"][0]["items"],
                        comments=comments, titles=titles, more_comments=len(comments) >= COMMENTS_SHOWN,
                        **values, **context)  # fmt: skip
        return set_csrf_cookie(answer, request, context)


def _moderation_field(kind, field, typed, item_id):
    """(the value, None) as the API takes it; else (what was typed, the problem): ``missing`` or
    ``invalid`` (a reason too long, control characters), ``into`` (not a topic id, or the topic itself)."""
    typed = typed.strip()
    if field == "into":
        try:
            into = str(MERGE.load({"into": typed})["into"])
        except ValidationError:
            return typed, "into"
        return (into, None) if into != item_id else (typed, "into")
    if not typed:
        return typed, "missing"
    try:
        REASONS[kind].load({"reason": typed})
    except ValidationError:
        return typed, "invalid"
    return typed, None
