"""The participant's forms behind their session (``routes.participant``), without JavaScript: proposing a topic
for a forum, and commenting on a forum's published restitution, on one of the commitments it shows, or replying
to a comment. Each posts to the same RPC as the JSON API with the session's token (``topics.propose``,
``restitution.post_comment``), after the API's schema; bad input is the form again with its errors by field
(422) and nothing sent. A form's page without a session is the page to ask a link (200: the public pages link
here); a form posted without one is a 401, without its CSRF token a 403."""

import functools

import eventlet
from marshmallow import EXCLUDE, Schema, ValidationError
from nameko.exceptions import RemoteError

from gateway import participant
from gateway.errors import by_field
from gateway.routes.participant import form, page, session_page
from gateway.schemas import CommentCreateSchema, TopicCreateSchema
from gateway.schemas.common import Id
from gateway.site import both_languages, page_context

TOPIC, COMMENT = TopicCreateSchema(), CommentCreateSchema()
TOPIC_FIELDS = ("title", "description", "commitment_ref")
COMMENT_FIELDS = ("body", "author_name", "notify_replies")
TOPICS = "/me/forums/<uuid:forum_id>/topics/new"
COMMENTS = "/me/forums/<uuid:forum_id>/comments/new"
SIGN_IN = "Needs a participant session (the cookie GET /me/session sets); without one, the page to ask a link (200)."


class CommentAboutSchema(Schema):
    """What the comment is about, in the form's address: the restitution itself when neither is given."""

    class Meta:
        unknown = EXCLUDE

    commitment = Id(metadata={"description": "A commitment the restitution shows"})
    parent = Id(metadata={"description": "A published comment to reply to (not itself a reply)"})


ABOUT = CommentAboutSchema()


class Refused(Exception):
    """A refusal of the forms themselves, answered like a service's (``forms_refusals``): the address names
    a commitment or comment that the restitution does not show, or one that takes no reply."""

    def __init__(self, exc_type):
        super().__init__(exc_type)
        self.exc_type = exc_type


def forms_refusals(_):
    """What a service's refusal means on these forms: (status, heading, message)."""
    return {
        "ForumNotFound": (404, _("Ce forum est introuvable"), _("Ce forum n'existe pas.")),
        "InvalidTransition": (409, _("Forum terminé"), _("Ce forum a eu lieu ou est annulé : il ne reçoit plus de sujets.")),
        "NotAParticipant": (403, _("Participation impossible"),
                            _("Seules les personnes inscrites à un forum ou abonnées proposent des sujets et commentent. "
                              "Si vous venez de vous inscrire, réessayez dans une minute.")),
        "RestitutionNotFound": (404, _("Restitution introuvable"),
                                _("La restitution de ce forum n'est pas encore publiée.")),
        "CommentNotAllowed": (409, _("Commentaire impossible"),
                              _("On répond à un commentaire publié qui n'est pas lui-même une réponse, sur une "
                                "restitution publiée.")),
        "NotInRestitution": (404, _("Introuvable dans cette restitution"),
                             _("Cet engagement ou ce commentaire ne figure pas dans la restitution de ce forum.")),
        "MalformedAddress": (400, _("Introuvable dans cette restitution"),
                             _("Cet engagement ou ce commentaire ne figure pas dans la restitution de ce forum.")),
    }  # fmt: skip


def forms_session(posted=False, about=False):
    """``session_page`` with this module's refusals; a form's page asked without a session is the page to
    ask a link, answered 200 as ``/me`` is (public pages link to these forms). ``about``: the address names
    what the form is about (``ABOUT``): a malformed one is a 400 before anything else, session or not."""

    def decorate(handler):
        @functools.wraps(handler)
        def refused_here(self, request, token, context, **values):
            try:
                return handler(self, request, token, context, **values)
            except (RemoteError, Refused) as exc:
                said = forms_refusals(context["_"]).get(exc.exc_type)
                if said is None:
                    raise
                status, heading, message = said
                return self._me_done(request, context, "refused", status, heading=heading, message=message)

        checked = session_page(posted=posted)(refused_here)

        @functools.wraps(handler)
        def run(self, request, **values):
            if about and ABOUT.validate(request.args.to_dict()):
                context = page_context(request, self.config["SECRET_KEY"])
                status, heading, message = forms_refusals(context["_"])["MalformedAddress"]
                return self._me_done(request, context, "refused", status, heading=heading, message=message)
            if not posted and participant.session_token(request, self.config["SECRET_KEY"]) is None:
                return self._me_signin(request, page_context(request, self.config["SECRET_KEY"]), "absent")
            return checked(self, request, **values)

        return run

    return decorate


class ParticipantFormRoutes:
    @both_languages(
        "GET",
        TOPICS,
        page(
            "Propose a topic for a forum: the form",
            pages=(404,),
            raises=("InvalidToken", "ForumNotFound"),
            description=SIGN_IN,
        ),
    )
    @forms_session()
    def participant_topic_form(self, request, token, context, forum_id):
        forum = self.registration.get_forum(str(forum_id))
        return self._me_page(request, context, "me_topic_new.html", forum=forum, values={}, errors={})

    @both_languages(
        "POST",
        TOPICS,
        form("Propose a topic for a forum from the form: it awaits moderation", pages=(401, 403, 404, 409, 422),
             raises=("InvalidToken", "ForumNotFound", "InvalidTransition", "NotAParticipant")),
    )  # fmt: skip
    @forms_session(posted=True)
    def participant_topic_post(self, request, token, context, forum_id):
        values = {name: request.form.get(name, "").strip() for name in TOPIC_FIELDS}
        forum = eventlet.spawn(self.registration.get_forum, str(forum_id))
        try:
            data = TOPIC.dump(TOPIC.load({k: v for k, v in values.items() if v or k == "title"}))
        except ValidationError as exc:
            errors = forms_errors(exc.messages, topic_messages(context["_"]), TOPIC_FIELDS)
            return self._me_page(request, context, "me_topic_new.html", 422, forum=forum.wait(), values=values,
                                 errors=errors)  # fmt: skip
        topic = self.topics.propose(str(forum_id), data, token)
        return self._me_page(request, context, "me_topic_sent.html", forum=forum.wait(), topic=topic)

    @both_languages(
        "GET",
        COMMENTS,
        page("Comment on a forum's restitution, one of its commitments, or reply to a comment: the form",
             query=CommentAboutSchema, pages=(400, 404, 409), raises=("InvalidToken", "RestitutionNotFound"),
             description=SIGN_IN + " The commitment or comment named must be one the restitution shows (else 404)."),
    )  # fmt: skip
    @forms_session(about=True)
    def participant_comment_form(self, request, token, context, forum_id):
        about = self._forms_about(request, str(forum_id))
        return self._forms_comment_page(request, context, about, {"notify_replies": False}, {})

    @both_languages(
        "POST",
        COMMENTS,
        form("Comment, or reply, from the form: published, or pending under pre-moderation", query=CommentAboutSchema,
             pages=(400, 401, 403, 404, 409, 422),
             raises=("InvalidToken", "NotAParticipant", "ForumNotFound", "RestitutionNotFound", "CommentNotAllowed",
                     "CommentInvalid")),
    )  # fmt: skip
    @forms_session(posted=True, about=True)
    def participant_comment_post(self, request, token, context, forum_id):
        forum_id = str(forum_id)
        asked = forms_asked(request)
        values = {name: request.form.get(name, "").strip() for name in ("body", "author_name")}
        values["notify_replies"] = request.form.get("notify_replies") == "yes"
        data = {"body": values["body"], "notify_replies": values["notify_replies"]}
        data |= {"author_name": values["author_name"]} if values["author_name"] else {}
        data |= {"commitment_id": asked.get("commitment"), "parent_id": asked.get("parent")}
        messages = comment_messages(context["_"])
        try:
            comment = self.restitution.post_comment(forum_id, token, COMMENT.dump(COMMENT.load(data)))
        except ValidationError as exc:
            errors = forms_errors(exc.messages, messages, COMMENT_FIELDS)
        except RemoteError as exc:
            if exc.exc_type != "CommentInvalid":
                raise
            errors = forms_errors(by_field(exc.value), messages, COMMENT_FIELDS)
        else:
            forum = self._forms_forum(forum_id)
            return self._me_page(request, context, "me_comment_sent.html", forum=forum, comment=comment)
        about = self._forms_about(request, forum_id)
        return self._forms_comment_page(request, context, about, values, errors, 422)

    # what the forms have in common
    def _forms_about(self, request, forum_id):
        """The restitution, the forum's moderation, and the commitment or comment the form is about, in one
        call to the restitution service
        (``NotInRestitution`` when the address names one the restitution does not show)."""
        asked = forms_asked(request)
        found = self.restitution.page(forum_id)  # one call: the version, its discussion and moderation
        shown = found["restitution"]
        commitments = {c["id"]: c for c in shown["commitments"] + shown.get("earlier_commitments", [])}
        parent = None
        if asked.get("parent"):
            parent = next((c for c in found["discussion"] if c["id"] == asked["parent"]), None)
            if parent is None or parent["status"] != "published" or parent["parent_id"]:
                raise Refused("NotInRestitution" if parent is None else "CommentNotAllowed")
        commitment_id = parent["commitment_id"] if parent else asked.get("commitment")
        if commitment_id and commitment_id not in commitments:
            raise Refused("NotInRestitution")
        return {"restitution": shown, "moderation": found["moderation"], "parent": parent,
                "commitment": commitments.get(commitment_id), "asked": asked}  # fmt: skip

    def _forms_comment_page(self, request, context, about, values, errors, status=200):
        query = "&".join(f"{name}={value}" for name, value in about["asked"].items())
        action = context["link"](f"/me/forums/{about['restitution']['forum']['id']}/comments/new")
        return self._me_page(request, context, "me_comment_new.html", status, **about, values=values, errors=errors,
                             action=action + (f"?{query}" if query else ""))  # fmt: skip

    def _forms_forum(self, forum_id):
        try:
            return self.registration.get_forum(forum_id, timeout=2)
        except Exception:  # noqa: BLE001 - the forum's title is a nicety: the comment is taken all the same
            return None


def forms_asked(request):
    """The commitment or comment the form is about, from its address; a malformed one: none found."""
    try:
        return {key: str(value) for key, value in ABOUT.load(request.args.to_dict()).items()}
    except ValidationError:
        raise Refused("NotInRestitution") from None


def forms_errors(messages, said, order):
    """The schema's (or the service's) errors as a person reads them, per field of the form, in its order;
    an error on a field the form does not show (the address's commitment or comment) is the body's."""
    errors = {}
    for field, problem in messages.items():
        shown = field if field in order else order[0]
        default = " ".join(map(str, problem)) if isinstance(problem, list) else str(problem)
        errors.setdefault(shown, []).append(said.get(field, default))
    return {field: errors[field] for field in order if field in errors}


def topic_messages(_):
    return {
        "title": _("Indiquez un titre (200 caractères au plus, sur une ligne)."),
        "description": _("La description : 5 000 caractères au plus."),
        "commitment_ref": _("50 caractères au plus, par exemple FRA0042."),
    }


def comment_messages(_):
    return {
        "body": _("Écrivez votre commentaire (5 000 caractères au plus)."),
        "author_name": _("80 caractères au plus, sur une ligne."),
        "commitment_id": _("Cet engagement ne peut pas être commenté ici."),
        "parent_id": _("On ne répond pas à ce commentaire."),
    }
