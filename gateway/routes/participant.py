"""A participant's own pages, without JavaScript (``gateway.participant``: the session, the forms' reading):
the emailed link's token opens a session at ``/me/session``, then ``/me`` shows the person's registrations
with their consents to change, cancels one after a confirmation, downloads their export, erases them after
a confirmation, signs them out, and takes their ballot in an open round. Every page asks the same service
RPCs as the API with the session's token; a refusal is a page saying why, with the status the API gives.
"""

import functools
import json
import uuid
from datetime import UTC, datetime
from functools import partial

import eventlet
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from nameko.exceptions import RemoteError
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from gateway import participant
from gateway.errors import by_field
from gateway.openapi import Doc
from gateway.pages import headers, render
from gateway.routes import PRIVATE
from gateway.routes.people import not_a_participant
from gateway.rpc import together
from gateway.schemas import BallotSchema, ConsentsUpdateSchema, EmailSchema
from gateway.schemas.common import STAKEHOLDER_GROUPS
from gateway.site import both_languages, check_csrf, page_context, set_csrf_cookie

EMAIL, CONSENTS, BALLOT = EmailSchema(), ConsentsUpdateSchema(), BallotSchema()
SESSION = "A participant session (the HttpOnly cookie odt_me that GET /me/session sets)"
FORM = "An HTML form (application/x-www-form-urlencoded) with the page's CSRF token (csrf) and its idempotency_key"
doc = partial(Doc, tag="participant pages", media="text/html", returns="The page", raises=("InvalidToken",))
page = partial(doc, pages=(401,), description=f"Needs {SESSION}; without one, 401 and a page to ask a link.")
form = partial(doc, pages=(401, 403), description=f"{FORM}. Needs {SESSION}, else 401 and a page saying so.")


class SessionQuerySchema(Schema):
    """Short enough that any value, percent-encoded, stays within the server's request line."""

    class Meta:
        unknown = EXCLUDE  # what a mail client's link tracker may add

    token = fields.String(validate=[validate.Length(max=participant.MOST), validate.Regexp(participant.TOKEN)],
                          metadata={"description": "The token of the emailed link"})  # fmt: skip
    round = fields.UUID(metadata={"description": "A round to vote in, to be sent to (else /me)"})


SESSION_QUERY = SessionQuerySchema()


def refusals(_):
    """What a service's refusal means on these pages: (status, heading, message)."""
    elsewhere = _("Cette inscription ne figure pas dans votre espace.")
    return {
        "RegistrationNotFound": (404, _("Inscription introuvable"), elsewhere),
        "NotYourRegistration": (403, _("Inscription introuvable"), elsewhere),
        "InvalidTransition": (409, _("Déjà annulée"), _("Cette inscription est déjà annulée.")),
        "RoundNotFound": (404, _("Tour introuvable"), _("Ce tour de priorisation n'existe pas.")),
        "RoundNotOpen": (409, _("Tour clos"), _("Ce tour de priorisation est clos : les votes ne sont plus reçus.")),
        "NotAParticipant": (403, _("Vote impossible"),
                            _("Votre lien ne permet pas de voter : vous n'êtes inscrit·e à aucun forum.")),
    }  # fmt: skip


def session_page(posted=False, page=None):
    """The handler runs with the session's token (``handler(self, request, token, context, **path)``).
    Without a valid session: 401 and the page to ask a link; a refused form: 403; a link revoked since the
    session opened (``InvalidToken``): the session ends; a service's refusal: a page saying why."""

    def decorate(handler):
        @functools.wraps(handler)
        def run(self, request, **values):
            context = page_context(request, self.config["SECRET_KEY"], page)
            if posted and not self._me_csrf_ok(request):
                return self._me_done(request, context, "expired", status=403)
            token = participant.session_token(request, self.config["SECRET_KEY"])
            if token is None:
                return self._me_signin(request, context, "absent", status=401)
            try:
                return handler(self, request, token, context, **values)
            except RemoteError as exc:
                if exc.exc_type == "InvalidToken":
                    answer = self._me_signin(request, context, "ended", status=401)
                    return participant.clear_session(answer, request)
                if exc.exc_type not in refusals(context["_"]):
                    raise
                return self._me_refused(request, context, exc.exc_type)

        return run

    return decorate


class ParticipantRoutes:
    @both_languages(
        "GET",
        "/me/session",
        doc(
            "Open my session from my emailed link, then go to my page (an address without the token)",
            query=SessionQuerySchema,
            status=303,
            headers=("Location",),
            returns="To /me (or the round's ballot), with the session cookie set",
            pages=(200, 400, 401),
            description="The token is checked by the registration service and kept in an HttpOnly, "
            "SameSite=Lax cookie signed with the platform's key, for two hours. A forged, expired or revoked "
            "token: 401 (a malformed one or round: 400) and a page saying the link is not valid, with the form to ask "
            "a new one. "
            "Without a token: 200 and the page to ask a link (as /me without a session).",
        ),
    )
    def participant_session(self, request):
        context = page_context(request, self.config["SECRET_KEY"], "/me")
        try:
            asked = SESSION_QUERY.load(request.args.to_dict())
        except ValidationError:
            return self._me_signin(request, context, "invalid", status=400)
        token = asked.get("token")
        if not token:
            return self._me_signin(request, context, "absent")
        try:
            self.registration.me(token)
        except RemoteError as exc:
            if exc.exc_type != "InvalidToken":
                raise
            return self._me_signin(request, context, "invalid", status=401)
        target = context["link"](f"/me/rounds/{asked['round']}" if asked.get("round") else "/me")
        note = f'<!doctype html><title>/me</title><a href="{target}">{target}</a>'
        sent = {"Location": target, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
        answer = Response(
            note, status=303, headers=headers("none") | sent, content_type="text/html; charset=utf-8"
        )
        return participant.set_session(answer, request, participant.seal(self.config["SECRET_KEY"], token))

    @both_languages("GET", "/me", doc("My page: my registrations, consents and data", raises=()))
    def participant_home(self, request):
        context = page_context(request, self.config["SECRET_KEY"])
        token = participant.session_token(request, self.config["SECRET_KEY"])
        if token is None:
            return self._me_signin(request, context, "absent")
        try:
            return self._me_home(request, context, token)
        except RemoteError as exc:
            if exc.exc_type != "InvalidToken":
                raise
            return participant.clear_session(self._me_signin(request, context, "ended"), request)

    @both_languages(
        "POST",
        "/me/link",
        doc("Ask for my link by email", raises=(), pages=(403, 422),
            description=f"{FORM}; email. The same answer whether or not the address is known."),
    )  # fmt: skip
    def participant_ask_link(self, request):
        context = page_context(request, self.config["SECRET_KEY"], "/me")
        if not self._me_csrf_ok(request):
            return self._me_done(request, context, "expired", status=403)
        email = request.form.get("email", "").strip()
        try:
            data = EMAIL.dump(EMAIL.load({"email": email}))
        except ValidationError:
            message = context["_"]("Indiquez une adresse électronique valide, par exemple nom@exemple.fr.")
            return self._me_signin(request, context, "absent", 422, email=email, error=message)
        self.registration.request_management_link(data["email"])
        return self._me_done(request, context, "asked")

    @both_languages(
        "POST",
        "/me/registrations/<uuid:registration_id>/consents",
        form("Change my consents for a registration",
             raises=("InvalidToken", "RegistrationNotFound", "NotYourRegistration")),
    )  # fmt: skip
    @session_page(posted=True, page="/me")
    def participant_consents(self, request, token, context, registration_id):
        consents = CONSENTS.dump(CONSENTS.load(participant.consents_of(request.form)))
        self.registration.update_consents(token, str(registration_id), consents)
        return self._me_home(request, context, token, notice=context["_"]("Vos choix sont enregistrés."))

    @both_languages(
        "GET",
        "/me/registrations/<uuid:registration_id>/cancel",
        page("Cancel a registration: the confirmation step", pages=(401, 404)),
    )
    @session_page()
    def participant_cancel_page(self, request, token, context, registration_id):
        registration = self._me_registration(token, registration_id)
        if registration is None:
            return self._me_refused(request, context, "RegistrationNotFound")
        if registration["status"] == "cancelled":
            return self._me_refused(request, context, "InvalidTransition")
        return self._me_page(request, context, "me_confirm.html", action="cancel", registration=registration)

    @both_languages(
        "POST",
        "/me/registrations/<uuid:registration_id>/cancel",
        form("Cancel a registration (after its confirmation page)", pages=(401, 403, 404, 409),
             raises=("InvalidToken", "RegistrationNotFound", "NotYourRegistration", "InvalidTransition")),
    )  # fmt: skip
    @session_page(posted=True)
    def participant_cancel(self, request, token, context, registration_id):
        cancelled = self.registration.cancel_registration(str(registration_id), token)
        return self._me_done(request, context, "cancelled", registration=cancelled)

    @both_languages(
        "GET",
        "/me/export",
        doc("Download everything held about me (the JSON export of GET /api/v1/people/me)", media="application/json",
            answer="PersonExport", returns="The export, as an attachment", headers=("Content-Disposition",),
            pages=(401,), description=f"Needs {SESSION}; without one, 401 and a page to ask a link."),
    )  # fmt: skip
    @session_page()
    def participant_export(self, request, token, context):
        asked = (self.registration.me, self.topics.my_data, self.restitution.my_comments)
        (held, failed), *parts = together(*(partial(ask, token) for ask in asked))  # as /api/v1/people/me
        for _, part_failed in [(held, failed), *parts]:
            if part_failed and not not_a_participant(part_failed):
                raise part_failed
        (topics, _), (restitution, _) = parts
        return Response(
            json.dumps(held | {"topics": topics, "restitution": restitution}, ensure_ascii=False),
            headers=PRIVATE | {"Content-Disposition": 'attachment; filename="opendetat-my-data.json"',
                               "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"},
            content_type="application/json",
        )  # fmt: skip

    @both_languages("GET", "/me/erase", page("Erase me: the confirmation step"))
    @session_page()
    def participant_erase_page(self, request, token, context):
        held = self.registration.me(token)
        return self._me_page(request, context, "me_confirm.html", action="erase", held=held)

    @both_languages(
        "POST",
        "/me/erase",
        form("Erase me: my registrations cancelled and anonymised, my subscriptions ended"),
    )
    @session_page(posted=True)
    def participant_erase(self, request, token, context):
        self.registration.erase_me(token)
        return participant.clear_session(self._me_done(request, context, "erased"), request)

    @both_languages(
        "POST",
        "/me/sign-out",
        doc("Sign out: the session cookie is cleared", raises=(), pages=(403,), description=FORM + "."),
    )
    def participant_sign_out(self, request):
        context = page_context(request, self.config["SECRET_KEY"], "/me")
        if not self._me_csrf_ok(request):
            return self._me_done(request, context, "expired", status=403)
        return participant.clear_session(self._me_done(request, context, "signed_out"), request)

    @both_languages(
        "GET",
        "/me/rounds/<uuid:round_id>",
        page("My ballot in a prioritisation round, as a form", pages=(401, 403, 404),
             raises=("InvalidToken", "RoundNotFound", "NotAParticipant")),
    )  # fmt: skip
    @session_page()
    def participant_round(self, request, token, context, round_id):
        return self._me_ballot_page(request, context, token, str(round_id))

    @both_languages(
        "POST",
        "/me/rounds/<uuid:round_id>",
        form("Cast my ballot from the form", pages=(401, 403, 404, 409, 422),
             raises=("InvalidToken", "RoundNotFound", "NotAParticipant", "RoundNotOpen", "BallotInvalid",
                     "GroupRequired")),
    )  # fmt: skip
    @session_page(posted=True)
    def participant_vote(self, request, token, context, round_id):
        round_id = str(round_id)
        found = self.topics.get_round(round_id)
        body, errors = participant.ballot_of(found["method"], found["topic_ids"], request.form)
        if not errors:
            try:
                ballot = BALLOT.dump(BALLOT.load(body))
                content = {name: ballot[name] for name in ("choices", "points", "ranking") if name in ballot}
                taken = self.topics.cast_ballot(round_id, token, content, ballot.get("stakeholder_group"))
            except ValidationError as exc:
                errors = dict(exc.messages)
            except RemoteError as exc:
                if exc.exc_type not in ("BallotInvalid", "GroupRequired"):
                    raise
                errors = by_field(exc.value)
        if errors:
            values = {key: request.form.getlist(key) if key == "choices" else request.form.get(key)
                      for key in request.form}  # fmt: skip
            return self._me_ballot_page(request, context, token, round_id, found, values, errors, 422)
        titles = self._titles(found["forum_id"], found["topic_ids"])
        return self._me_page(request, context, "me_voted.html", round=found, taken=taken, titles=titles)

    # what the pages have in common
    def _me_page(self, request, context, template, status=200, **values):
        values.setdefault("idempotency_key", str(uuid.uuid4()))
        return set_csrf_cookie(render(template, status=status, **context, **values), request, context)

    def _me_csrf_ok(self, request):
        try:
            check_csrf(request, self.config["SECRET_KEY"])
        except Forbidden:
            return False
        return True

    def _me_signin(self, request, context, reason, status=200, email="", error=None):
        return self._me_page(
            request, context, "me_signin.html", status, reason=reason, email=email, error=error
        )

    def _me_done(self, request, context, outcome, status=200, **values):
        return self._me_page(request, context, "me_done.html", status, outcome=outcome, **values)

    def _me_refused(self, request, context, exc_type):
        status, heading, message = refusals(context["_"])[exc_type]
        return self._me_done(request, context, "refused", status, heading=heading, message=message)

    def _me_home(self, request, context, token, notice=None):
        proposals = eventlet.spawn(self._me_proposals, token)  # meanwhile, the topics service
        held = self.registration.me(token)
        keys = {registration["id"]: str(uuid.uuid4()) for registration in held["registrations"]}
        return self._me_page(request, context, "me.html", held=held, notice=notice, keys=keys,
                             proposals=proposals.wait(), sign_out_key=str(uuid.uuid4()))  # fmt: skip

    def _me_proposals(self, token):
        """My topic proposals: none for a person the topics service does not know yet; None when it does not
        answer (the page says the list is missing, and the rest of it stands)."""
        try:
            return self.topics.my_data(token, timeout=3)["proposals"]
        except Exception as exc:  # noqa: BLE001 - the list is a part of the page, not the page
            return [] if not_a_participant(exc) else None

    def _me_registration(self, token, registration_id):
        held = self.registration.me(token)
        return next((r for r in held["registrations"] if r["id"] == str(registration_id)), None)

    def _me_ballot_page(
        self, request, context, token, round_id, found=None, values=None, errors=None, status=200
    ):
        found = found or self.topics.get_round(round_id)
        forum = eventlet.spawn(self._me_forum, found["forum_id"])
        mine = self.topics.my_data(token)
        now = datetime.now(UTC)
        is_open = found["status"] == "open" and datetime.fromisoformat(found["closes_at"]) > now
        current = next((b["content"] for b in reversed(mine["ballots"]) if b["round_id"] == round_id), None)
        if values is None:
            values = participant.form_values(found["method"], current)
        return self._me_page(
            request, context, "me_vote.html", status, round=found, forum=forum.wait(), is_open=is_open,
            titles=self._titles(found["forum_id"], found["topic_ids"]) if is_open else {}, values=values,
            errors=errors or {},
            current=current, need_group=mine["stakeholder_group"] is None, groups=STAKEHOLDER_GROUPS,
        )  # fmt: skip

    def _me_forum(self, forum_id):
        try:
            return self.registration.get_forum(forum_id, timeout=2)
        except Exception:  # noqa: BLE001 - the forum's title is a nicety: the ballot goes on without it
            return None
