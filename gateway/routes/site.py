"""The public site's forum page and its forms (``gateway.site``: languages, CSRF): a forum's details with
the registration form and the "keep me informed" form, both working without JavaScript, answered with a
page that says what happened. The forms go through the same schemas and the same calls as the API, and
count against the same per-client limits (their routes are public ones that change something)."""

import uuid
from datetime import UTC, datetime
from functools import partial

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from gateway.openapi import Doc
from gateway.pages import render
from gateway.schemas import RegistrationCreateSchema, SubscriptionCreateSchema
from gateway.schemas.common import STAKEHOLDER_GROUPS
from gateway.site import both_languages, check_csrf, lang_of, page_context, prefers_english, set_csrf_cookie

REGISTRATION = RegistrationCreateSchema()
SUBSCRIPTION = SubscriptionCreateSchema()
FIELDS = ("first_name", "last_name", "email", "organisation", "stakeholder_group", "accessibility_needs",
          "consent_attend", "consent_updates", "consent_public_list")  # fmt: skip
CONSENTS = ("consent_attend", "consent_updates", "consent_public_list")
FORUM_TIMEOUT = 5
FORUMS_SHOWN = 100
page = partial(Doc, tag="pages", media="text/html", returns="The page")
form = partial(page, pages=(403, 404, 409, 422), returns="The page saying what happened")
FORM_BODY = (
    "An HTML form (application/x-www-form-urlencoded) with the page's CSRF token (csrf) and its "
    "idempotency_key; {what} Answered with a page, in the language of its address."
)


def labels(_):
    return {
        "first_name": _("Prénom"),
        "last_name": _("Nom"),
        "email": _("Adresse électronique"),
        "organisation": _("Organisation"),
        "stakeholder_group": _("Vous venez en tant que"),
        "accessibility_needs": _("Besoins d'accessibilité (accès, interprétation, sous-titrage…)"),
        "consent_attend": _("Je m'inscris pour participer à ce forum et j'accepte que mes nom, adresse et "
                            "organisation soient utilisés pour l'organiser."),
        "consent_updates": _("Je souhaite recevoir les annonces des prochains forums et de leurs restitutions."),
        "consent_public_list": _("J'accepte que mon nom figure sur la liste publique des participants."),
    }  # fmt: skip


class SiteRoutes:
    @both_languages(
        "GET",
        "/",
        page(
            "The series' home: what the forums are for, the upcoming and past forums, how to take part",
            description="At / (not /en/), a browser whose Accept-Language prefers English to French is sent "
            "to /en/ (302); /?lang=fr stays in French.",
        ),
    )
    def home(self, request):
        if request.path == "/" and prefers_english(request):
            return Response(status=302, headers={"Location": "/en/", "Vary": "Accept-Language"})
        context = page_context(request, self.config["SECRET_KEY"])
        forums = self.registration.kept.list_forums("all", FORUMS_SHOWN, None, False)["items"]
        now = datetime.now(UTC)
        upcoming = sorted(
            (f for f in forums if moment(f["ends_at"]) >= now), key=lambda f: moment(f["starts_at"])
        )
        past = sorted((f for f in forums if moment(f["ends_at"]) < now), key=lambda f: moment(f["starts_at"]))
        past.reverse()
        answer = render("forums.html", forums=upcoming, past=past, **context)
        answer.headers["Vary"] = "Accept-Language"
        return set_csrf_cookie(answer, request, context)

    @both_languages(
        "GET", "/forums/<ref:forum_ref>", page("A forum's page: details, registration form", pages=(404,))
    )
    def forum_page(self, request, forum_ref):
        return self._forum_page(request, forum_ref)

    @both_languages(
        "POST",
        "/forums/<ref:forum_ref>/register",
        form(
            "Register from the forum's page", description=FORM_BODY.format(what="the registration's fields.")
        ),
    )
    def register_form(self, request, forum_ref):
        context = page_context(request, self.config["SECRET_KEY"], f"/forums/{forum_ref}")
        refused = self._refused_form(request, context)
        if refused:
            return refused
        forum = self._forum(forum_ref)
        if forum is None:
            return render("not_found.html", status=404, what="forum", **context)
        values = {name: request.form.get(name, "").strip() for name in FIELDS if name not in CONSENTS}
        values |= {name: request.form.get(name) == "yes" for name in CONSENTS}
        try:
            data = REGISTRATION.dump(REGISTRATION.load(submitted(values, lang_of(request))))
        except ValidationError as exc:
            errors = errors_of(exc.messages, context["_"])
            return self._forum_page(request, forum["id"], forum, values, errors, 422)
        try:
            registration = self.registration.register(forum["id"], data)
        except RemoteError as exc:
            if exc.exc_type == "AlreadyRegistered":
                return self._outcome(context, "already", forum, values["email"])
            if exc.exc_type == "RegistrationClosed":
                errors = {"register": [context["_"]("Les inscriptions à ce forum sont fermées.")]}
                return self._forum_page(request, forum["id"], None, values, errors, 409)
            raise
        return self._outcome(context, registration["status"], forum, values["email"], registration)

    @both_languages(
        "POST",
        "/subscribe",
        form("Ask to be kept informed, from a page", description=FORM_BODY.format(what="email.")),
    )
    def subscribe_form(self, request):
        context = page_context(request, self.config["SECRET_KEY"], "/")
        refused = self._refused_form(request, context)
        if refused:
            return refused
        email = request.form.get("email", "").strip()
        try:
            data = SUBSCRIPTION.dump(SUBSCRIPTION.load({"email": email, "locale": context["lang"]}))
        except ValidationError:
            heading = context["_"]("Adresse à corriger")
            message = context["_"](
                "Cette adresse électronique n'est pas valide : revenez en arrière et corrigez-la."
            )
            return render("message.html", status=422, heading=heading, message=message, **context)
        self.registration.subscribe(data)
        return self._outcome(context, "subscribed", None, email)

    def _forum_page(self, request, forum_ref, forum=None, values=None, errors=None, status=200):
        context = page_context(request, self.config["SECRET_KEY"], f"/forums/{forum_ref}")
        forum = forum or self._forum(forum_ref)
        if forum is None:
            return set_csrf_cookie(
                render("not_found.html", status=404, what="forum", **context), request, context
            )
        topics = self._topics(forum["id"])
        answer = render(
            "forum.html",
            status=status,
            forum=forum,
            topics=topics,
            groups=STAKEHOLDER_GROUPS,
            values=values or {},
            errors=errors,
            fields=FIELDS,
            labels=labels(context["_"]),
            idempotency_key=str(uuid.uuid4()),
            **context,
        )
        return set_csrf_cookie(answer, request, context)

    def _outcome(self, context, outcome, forum, email, registration=None):
        _ = context["_"]
        heading = {
            "confirmed": _("Inscription confirmée"),
            "waitlisted": _("Vous êtes sur la liste d'attente"),
            "already": _("Vérifiez votre boîte de réception"),
            "subscribed": _("Vérifiez votre boîte de réception"),
        }[outcome]
        position = (registration or {}).get("waitlist_position")
        return render("registered.html", heading=heading, outcome=outcome, forum=forum, email=email,
                      position=position, **context)  # fmt: skip

    def _refused_form(self, request, context):
        try:
            check_csrf(request, self.config["SECRET_KEY"])
        except Forbidden:
            heading = context["_"]("Formulaire expiré")
            message = context["_"](
                "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et envoyez-le de nouveau."
            )
            return render("message.html", status=403, heading=heading, message=message, **context)
        return None

    def _forum(self, forum_ref):
        try:
            return self.registration.kept.get_forum(forum_ref, False, timeout=FORUM_TIMEOUT)
        except RemoteError as exc:
            if exc.exc_type == "ForumNotFound":
                return None
            raise

    def _topics(self, forum_id):
        """The forum's published topics; none when the topics service cannot say (the page goes on)."""
        try:
            return self.topics.kept.list_topics(forum_id, timeout=FORUM_TIMEOUT)["items"]
        except Exception:  # noqa: BLE001 - topics down or slow: the page without them
            return []


def moment(text):
    return datetime.fromisoformat(text)


def submitted(values, lang):
    """The form's fields as the API's JSON would give them (blank optional fields left out)."""
    data = {
        name: value for name, value in values.items() if value != "" or name in ("first_name", "last_name")
    }
    return data | {"locale": lang}


def errors_of(messages, _):
    """The schema's errors as a person reads them: what to do, per field, in the page's language."""
    said = field_messages(_)
    order = sorted(messages, key=lambda field: FIELDS.index(field) if field in FIELDS else len(FIELDS))
    return {field: [said.get(field, " ".join(map(str, messages[field])) if isinstance(messages[field], list)
                             else str(messages[field]))]
            for field in order if field != "locale"}  # fmt: skip


def field_messages(_):
    return {
        "first_name": _("Indiquez votre prénom (100 caractères au plus)."),
        "last_name": _("Indiquez votre nom (100 caractères au plus)."),
        "email": _("Indiquez une adresse électronique valide, par exemple nom@exemple.fr."),
        "organisation": _("200 caractères au plus."),
        "stakeholder_group": _("Choisissez à quel titre vous venez."),
        "accessibility_needs": _("2 000 caractères au plus."),
        "consent_attend": _("Cochez cette case pour vous inscrire : elle dit que vous venez."),
    }
