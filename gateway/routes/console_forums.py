"""The organiser console: forums: create and edit a forum and its quotas, open, close, hold or cancel it with the reason.

The forms go through the API's schemas (``ForumCreateSchema``, ``ForumUpdateSchema``, ``ForumCancelSchema``)
and the same RPCs as ``/api/v1/forums``; the registration service decides (``InvalidTransition``,
``QuotaInvalid``…) and the page says its refusal. Date-times are typed as the forum's local time
(``<input type="datetime-local">``) in the time zone chosen beside them, and sent as RFC 3339 with that
zone's offset, as the API takes them.

Editing: the API has no version rule, so the form carries one of its own: a short hash of each field of the
forum as the form showed it. Sent back, a field that changed meanwhile (another organiser, another tab)
answers 409 with the form as typed and the fields changed named; the form then holds the new version.
Only the fields the organiser changed are sent (a PATCH), so a change made meanwhile to another field
is kept.
"""

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway.pages import ENV, render
from gateway.routes.console import FORM, HTML, SIGNED_IN, both_languages, page
from gateway.schemas import ForumCancelSchema, ForumCreateSchema, ForumMoveSchema, ForumUpdateSchema
from gateway.schemas.common import STAKEHOLDER_GROUPS
from gateway.schemas.forums import TIMEZONES
from gateway.site import in_lang, lang_of, page_context, set_csrf_cookie, translator
from services.registration.rules import EDITABLE, TRANSITIONS

FORUM_CREATE = ForumCreateSchema()
FORUM_UPDATE = ForumUpdateSchema()
FORUM_CANCEL = ForumCancelSchema()
FORUM_MOVE = ForumMoveSchema()
MOVED = object()  # in a move's arguments: the reason the form gives, once read
MOMENTS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at", "quota_release_at")
VENUE = ("name", "address", "city", "accessibility")
# what the form names its fields, in the page's order (an error summary follows it)
FIELDS = ("title", "slug", "description", "timezone", "starts_at", "ends_at", "registration_opens_at",
          "registration_closes_at", *(f"venue_{key}" for key in VENUE), "capacity",
          *(f"quota_{group}" for group in STAKEHOLDER_GROUPS), "quotas", "quota_release_at", "status", "form")  # fmt: skip
# a forum's fields the edit form shows, each hashed into its version (the service's own list of fields)
VERSIONED = ("title", "slug", "description", "timezone", "starts_at", "ends_at", "registration_opens_at",
             "registration_closes_at", "venue", "capacity", "quotas", "quota_release_at")  # fmt: skip
LOCAL = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,3})?)?")
WHOLE = re.compile(r"-?[0-9]{1,9}")
# The lifecycle as the service holds it: the moves each status allows, in the order the page offers them.
MOVES = {status: [to for to in ("open", "closed", "held", "cancelled") if status in TRANSITIONS[to][0]]
         for status in ("draft", "open", "closed", "held", "cancelled")}  # fmt: skip
ENV.globals |= {"FORUM_MOVES": MOVES, "FORUM_EDITABLE": tuple(EDITABLE)}
REFUSALS = {"SlugTaken": "slug", "QuotaInvalid": "quotas", "CapacityBelowConfirmed": "capacity",
            "InvalidForumChange": "form", "InvalidTransition": "form"}  # fmt: skip
STATUS_OF = {"SlugTaken": 409, "QuotaInvalid": 422, "CapacityBelowConfirmed": 409, "InvalidForumChange": 422,
             "InvalidTransition": 409}  # fmt: skip
EDIT = "/console/forums/{}/edit"
DASHBOARD = "/console/forums/{}"
FORUM_FORM = FORM.format(what="the forum's fields (dates as datetime-local in the chosen timezone), the "
                         "quotas as quota_<group>, and the form's idempotency_key. {more}" + SIGNED_IN)  # fmt: skip
MOVE_FORM = FORM.format(what="the form's idempotency_key. A forum whose status does not allow it is answered "
                        "409 with a page saying so; afterwards, a 303 to the forum's page." + SIGNED_IN)  # fmt: skip


def local_moment(text, zone):
    """A ``datetime-local`` value read in ``zone``: (RFC 3339 with the zone's offset, None), or (None, what
    is wrong: "moment", "years" or "gap", a time the clocks skip that day). Blank: (None, None)."""
    found = LOCAL.fullmatch(text)
    if text == "":
        return None, None
    if found is None:
        return None, "moment"
    if not 1900 <= int(found.group(1)) <= 2999:
        return None, "years"
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        return None, "moment"
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None, "gap"  # at 02:30 on the night clocks go forward: no such time there
    return aware.isoformat(timespec="seconds"), None


def local_input(value, zone_name):
    """An instant (RFC 3339) as a ``datetime-local`` value in the forum's zone; blank for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(ZoneInfo(zone_name))
    return moment.strftime("%Y-%m-%dT%H:%M" + (":%S" if moment.second else ""))


def typed_values(form, creating):
    """What the organiser typed, as typed (given back to them whatever happens)."""
    names = [name for name in FIELDS if name not in ("quotas", "form") and (creating or name != "status")]
    return {name: form.get(name, "").strip() for name in names}


def forum_data(values, creating):
    """The typed values as the API's JSON body, and the fields that cannot be read at all
    ({field: "moment"|"years"|"gap"|"whole"}). Blank optional dates are null (a date cleared); blank
    quotas are none; a blank slug is the one made from the title (creating) or the one it has."""
    problems = {}
    zone = ZoneInfo(values["timezone"]) if values["timezone"] in TIMEZONES else UTC
    data = {"title": values["title"], "description": values["description"], "timezone": values["timezone"]}
    if values["slug"]:
        data["slug"] = values["slug"]
    for name in MOMENTS:
        moment, problem = local_moment(values[name], zone)
        if problem:
            problems[name] = problem
        elif moment or name not in ("starts_at", "ends_at"):
            data[name] = moment
    data["venue"] = {key: values[f"venue_{key}"] for key in VENUE}
    numbers = {"capacity": values["capacity"]} | {
        f"quota_{g}": values[f"quota_{g}"] for g in STAKEHOLDER_GROUPS
    }
    quotas = {}
    for name, text in numbers.items():
        if text == "":
            continue
        if not WHOLE.fullmatch(text):
            problems[name] = "whole"
        elif name == "capacity":
            data["capacity"] = int(text)
        else:
            quotas[name.removeprefix("quota_")] = int(text)
    data["quotas"] = quotas
    if creating:
        data["status"] = values.get("status") or "draft"
    return data, problems


def schema_fields(messages):
    """The form's fields a schema's errors name: ``venue.city`` is ``venue_city``, a quota ``quota_<group>``,
    the quotas' total ``quotas``, an error of the whole body ``form``."""
    named = []
    for key, said in messages.items():
        if key in ("venue", "quotas") and isinstance(said, dict):
            prefix = "venue_" if key == "venue" else "quota_"
            named += [prefix + inner for inner in said if prefix + inner in FIELDS]
        else:
            named.append(key if key in FIELDS else "form")
    return named


def refused_fields(messages, data):
    """``schema_fields``, and those the checks between fields refuse among the fields that passed (which
    marshmallow skips while any field fails): every error is told at once."""
    named = schema_fields(messages)
    passed = {key: value for key, value in data.items() if key not in messages and key != "status"}
    try:
        FORUM_UPDATE.load(passed)
    except ValidationError as exc:
        named += [name for name in schema_fields(exc.messages) if name not in named and name != "form"]
    return named


def forum_errors(problems, invalid, data, _):
    """{field: [message]} in the page's order and language: what cannot be read, else what the schema
    refused."""
    said = {
        "moment": _("Indiquez une date et une heure complètes."),
        "years": _("Indiquez une année entre 1900 et 2999."),
        "gap": _("Cette heure n'existe pas ce jour-là dans ce fuseau (passage à l'heure d'été) : choisissez-en une autre."),
        "whole": _("Indiquez un nombre entier, sans espace ni virgule."),
    }  # fmt: skip
    quota = _("Indiquez un nombre entier de places, de 0 à 100 000.")
    fields = {
        "title": _("Indiquez le titre du forum (200 caractères au plus)."),
        "slug": _("De 3 à 80 lettres minuscules sans accent, chiffres ou tirets (pas au début ni à la fin)."),
        "description": _("La présentation du forum : 5 000 caractères au plus."),
        "timezone": _("Choisissez un fuseau horaire dans la liste."),
        "starts_at": _("Indiquez la date et l'heure du début."),
        "ends_at": _("La fin doit venir après le début.") if data.get("starts_at") and data.get("ends_at")
        else _("Indiquez la date et l'heure de la fin."),
        "registration_closes_at": _("La clôture des inscriptions doit venir après leur ouverture."),
        "venue_name": _("Indiquez le nom du lieu (200 caractères au plus)."),
        "venue_address": _("Indiquez l'adresse du lieu (300 caractères au plus)."),
        "venue_city": _("Indiquez la ville (100 caractères au plus)."),
        "venue_accessibility": _("2 000 caractères au plus."),
        "capacity": quota,
        "quotas": _("Plus de places réservées, en tout, que la capacité du forum."),
        "status": _("Choisissez brouillon ou ouvert."),
        "form": _("Indiquez au moins un changement."),
    } | {f"quota_{group}": quota for group in STAKEHOLDER_GROUPS}  # fmt: skip
    moment = _("Indiquez une date et une heure valides, ou laissez vide.")
    found = {name: said[kind] for name, kind in problems.items()}
    found |= {name: fields.get(name, moment) for name in invalid if name not in found}
    return {name: [found[name]] for name in FIELDS if name in found}


def forum_values(forum):
    """The edit form's values for ``forum`` as the service answers it."""
    zone = forum["timezone"]
    values = {name: forum.get(name) or "" for name in ("title", "slug", "description", "timezone")}
    values |= {name: local_input(forum.get(name), zone) for name in MOMENTS}
    values |= {f"venue_{key}": (forum.get("venue") or {}).get(key) or "" for key in VENUE}
    values |= {"capacity": str(forum["capacity"])}
    return values | {f"quota_{g}": str((forum.get("quotas") or {}).get(g, 0)) for g in STAKEHOLDER_GROUPS}


def _fingerprint(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:8]


def _comparable(key, value):
    if key in MOMENTS:
        return datetime.fromisoformat(value).timestamp() if value else None
    if key == "quotas":
        return {group: seats for group, seats in (value or {}).items() if seats}
    if key == "venue":
        return {part: (value or {}).get(part) or "" for part in VENUE}
    return value


def forum_version(forum):
    """The forum's fields as a form shows them, each by a short hash: ``3f2a…-9c01…-…``."""
    return "-".join(_fingerprint(_comparable(key, forum.get(key))) for key in VERSIONED)


def _shown(version):
    shown = (version or "").split("-")
    return dict(zip(VERSIONED, shown, strict=True)) if len(shown) == len(VERSIONED) else {}


def changed_since(version, forum):
    """The fields of ``forum`` that differ from those of ``version`` (all of them for a version that is
    not one)."""
    shown = _shown(version)
    return [key for key in VERSIONED if _fingerprint(_comparable(key, forum.get(key))) != shown.get(key)]


def _inputs(key):
    if key == "venue":
        return [f"venue_{part}" for part in VENUE]
    return [f"quota_{group}" for group in STAKEHOLDER_GROUPS] if key == "quotas" else [key]


def merged(values, data, version, forum):
    """The form after a conflict: a field changed meanwhile that the organiser left as it was shown takes
    its new value; one they changed too keeps what they typed. (values, the fields changed meanwhile)."""
    shown, now = _shown(version), forum_values(forum)
    meanwhile = changed_since(version, forum)
    for key in meanwhile:
        if key in data and shown and _fingerprint(_comparable(key, data[key])) == shown[key]:
            values = values | {name: now[name] for name in _inputs(key)}
    return values, meanwhile


def forum_changes(data, forum):
    """The fields of ``data`` (the API's JSON) that differ from ``forum``: what a PATCH sends."""
    return {
        key: value
        for key, value in data.items()
        if _comparable(key, value) != _comparable(key, forum.get(key))
    }


class ConsoleForumRoutes:
    @both_languages("GET", "/console/forums/new", page("The form for a new forum", description=SIGNED_IN))
    def console_forum_new(self, request):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        values = {"timezone": "Europe/Paris", "status": "draft"} | {
            f"quota_{g}": "0" for g in STAKEHOLDER_GROUPS
        }
        return self._console_forums_form(request, organiser, None, values)

    @both_languages(
        "POST",
        "/console/forums/new",
        page(
            "Create a forum from the console",
            returns="Created: a 303 to the forum's page in the console",
            pages=(403, 409, 422),
            description=FORUM_FORM.format(more="Bad input is answered 422 (a refusal of the service 409 "
                                          "or 422) with the form as typed, each error by its field."),
        ),
    )  # fmt: skip
    def console_forum_create(self, request):
        organiser, answer = self._console_posted(request, "/console/forums/new")
        if answer:
            return answer
        values = typed_values(request.form, creating=True)
        data, problems = forum_data(values, creating=True)
        try:
            data = FORUM_CREATE.dump(FORUM_CREATE.load(data))
        except ValidationError as exc:
            invalid = refused_fields(exc.messages, data)
        else:
            invalid = []
        if problems or invalid:
            errors = forum_errors(problems, invalid, data, self._console_forums_words(request))
            return self._console_forums_form(request, organiser, None, values, errors, 422)
        try:
            forum = self.registration.create_forum(data)
        except RemoteError as exc:
            return self._console_forums_refused_form(request, organiser, None, values, exc)
        return self._console_forums_to(request, DASHBOARD.format(forum["id"]))

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/edit",
        page(
            "The form that changes a forum, filled with what it is",
            pages=(404, 409),
            description="A forum held or cancelled is answered 409: it can no longer be changed." + SIGNED_IN,
        ),
    )
    def console_forum_edit(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        forum = self._console_forum(str(forum_id))
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        if forum["status"] not in EDITABLE:
            return self._console_forums_refusal(request, organiser, forum, "edit")
        return self._console_forums_form(request, organiser, forum, forum_values(forum))

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/edit",
        page(
            "Change a forum from the console (registrants are told of a new date or venue)",
            returns="Changed (or nothing to change): a 303 to the forum's page in the console",
            pages=(403, 404, 409, 422),
            description=FORUM_FORM.format(more="And version, as the form gave it: a forum changed since is "
                                          "answered 409 with the form as typed and the fields changed named. "
                                          "Only the fields that differ from the forum are sent."),
        ),
    )  # fmt: skip
    def console_forum_update(self, request, forum_id):
        organiser, answer = self._console_posted(request, EDIT.format(forum_id))
        if answer:
            return answer
        forum = self._console_forum(str(forum_id))
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        values = typed_values(request.form, creating=False)
        data, problems = forum_data(values, creating=False)
        try:
            data = FORUM_UPDATE.dump(FORUM_UPDATE.load(data))
        except ValidationError as exc:
            invalid = refused_fields(exc.messages, data)
        else:
            invalid = []
        if problems or invalid:
            errors = forum_errors(problems, invalid, data, self._console_forums_words(request))
            return self._console_forums_form(request, organiser, forum, values, errors, 422,
                                             version=request.form.get("version", ""))  # fmt: skip
        values, meanwhile = merged(values, data, request.form.get("version"), forum)
        if meanwhile:
            return self._console_forums_form(
                request, organiser, forum, values, status=409, meanwhile=meanwhile
            )
        changes = forum_changes(data, forum)
        if changes:
            try:
                self.registration.update_forum(forum["id"], changes)
            except RemoteError as exc:
                return self._console_forums_refused_form(request, organiser, forum, values, exc)
        return self._console_forums_to(request, DASHBOARD.format(forum["id"]))

    @both_languages("POST", "/console/forums/<uuid:forum_id>/open",
                    page("Open a forum's registration from the console", pages=(403, 404, 409),
                         returns="Done: a 303 to the forum's page in the console", description=MOVE_FORM))  # fmt: skip
    def console_forum_open(self, request, forum_id):
        return self._console_forums_move(request, forum_id, "open", self.registration.open_forum, MOVED)

    @both_languages("POST", "/console/forums/<uuid:forum_id>/close",
                    page("Close a forum's registration from the console", pages=(403, 404, 409),
                         returns="Done: a 303 to the forum's page in the console", description=MOVE_FORM))  # fmt: skip
    def console_forum_close(self, request, forum_id):
        return self._console_forums_move(request, forum_id, "closed", self.registration.close_forum, MOVED)

    @both_languages("POST", "/console/forums/<uuid:forum_id>/hold",
                    page("Record from the console that a forum took place", pages=(403, 404, 409),
                         returns="Done: a 303 to the forum's page in the console", description=MOVE_FORM))  # fmt: skip
    def console_forum_hold(self, request, forum_id):
        return self._console_forums_move(request, forum_id, "held", self.registration.hold_forum, MOVED)

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/cancel",
        page("The page that asks to confirm a forum's cancellation, and why", pages=(404, 409),
             description="A forum whose status does not allow it is answered 409." + SIGNED_IN),
    )  # fmt: skip
    def console_forum_cancel_form(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        forum = self._console_forum(str(forum_id))
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        if "cancelled" not in MOVES[forum["status"]]:
            return self._console_forums_refusal(request, organiser, forum, "cancelled")
        return self._console_forums_cancel(request, organiser, forum, "")

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/cancel",
        page(
            "Cancel a forum from the console: every registration is cancelled and told why",
            returns="Cancelled: a 303 to the forum's page in the console",
            pages=(403, 404, 409, 422),
            description=FORM.format(what="reason (told to everyone registered) and the form's idempotency_key. "
                                    "Without a reason, 422 and the page again; a forum whose status does not "
                                    "allow it, 409." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_forum_cancel(self, request, forum_id):
        organiser, answer = self._console_posted(request, f"/console/forums/{forum_id}/cancel")
        if answer:
            return answer
        forum = self._console_forum(str(forum_id))
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        typed = request.form.get("reason", "").strip()
        try:
            reason = FORUM_CANCEL.load({"reason": typed})["reason"]
        except ValidationError:
            _ = self._console_forums_words(request)
            error = _(
                "Indiquez le motif de l'annulation (1 000 caractères au plus) : chaque inscrit·e le recevra."
            )
            return self._console_forums_cancel(request, organiser, forum, typed, error)
        return self._console_forums_move(
            request, forum_id, "cancelled", self.registration.cancel_forum, reason, organiser=organiser
        )

    def _console_forums_move(self, request, forum_id, target, call, *args, organiser=None):
        """The move, then a 303 to the forum's page; a refusal of the service says what the forum is now.
        ``MOVED`` among ``args`` stands for the form's optional reason (kept in the audit trail)."""
        if organiser is None:
            organiser, answer = self._console_posted(request, DASHBOARD.format(forum_id))
            if answer:
                return answer
        if MOVED in args:
            try:
                reason = FORUM_MOVE.load({"reason": request.form.get("reason", "").strip()})["reason"] or None
            except ValidationError:
                _ = self._console_forums_words(request)
                context = page_context(request, self.config["SECRET_KEY"], DASHBOARD.format(forum_id))
                return render("message.html", status=422, heading=_("Motif refusé"),
                              message=_("Un motif tient en 1 000 caractères au plus, sans caractère de contrôle."),
                              **context)  # fmt: skip
            args = tuple(reason if arg is MOVED else arg for arg in args)
        try:
            call(str(forum_id), *args)
        except RemoteError as exc:
            if exc.exc_type == "InvalidTransition":
                forum = self._console_forum(str(forum_id))
                if forum is not None:
                    return self._console_forums_refusal(request, organiser, forum, target)
            if exc.exc_type in ("InvalidTransition", "ForumNotFound"):
                return self._page(request, "not_found.html", organiser, status=404, what="forum")
            raise
        return self._console_forums_to(request, DASHBOARD.format(forum_id))

    def _console_forums_form(self, request, organiser, forum, values, errors=None, status=200, version=None,
                             meanwhile=None):  # fmt: skip
        here = EDIT.format(forum["id"]) if forum else "/console/forums/new"
        return self._console_forums_page(
            request, "console_forum_form.html", organiser, here, status, forum=forum, values=values,
            errors=errors or {}, version=version or (forum_version(forum) if forum else ""), meanwhile=meanwhile,
            timezones=TIMEZONES, groups=STAKEHOLDER_GROUPS, fields=FIELDS,
        )  # fmt: skip

    def _console_forums_refused_form(self, request, organiser, forum, values, exc):
        """The form again with the service's refusal by the field it concerns."""
        if exc.exc_type not in REFUSALS:
            raise exc
        _ = self._console_forums_words(request)
        said = {
            "SlugTaken": _("Un autre forum a déjà cette adresse : choisissez-en une autre."),
            "QuotaInvalid": _("Ces places réservées ne tiennent pas : leur total dépasse la capacité, ou un "
                              "groupe a déjà plus d'inscrits confirmés que ce que vous lui réservez."),
            "CapacityBelowConfirmed": _("Plus de personnes sont déjà confirmées que cette capacité : "
                                        "indiquez-en une plus grande."),
            "InvalidForumChange": _("Ces dates ne tiennent pas ensemble : la fin doit suivre le début, et "
                                    "l'ouverture des inscriptions précéder leur clôture (par défaut, le début "
                                    "du forum)."),
            "InvalidTransition": _("Ce forum est tenu ou annulé : il ne peut plus être modifié."),
        }  # fmt: skip
        errors = {REFUSALS[exc.exc_type]: [said[exc.exc_type]]}
        return self._console_forums_form(request, organiser, forum, values, errors, STATUS_OF[exc.exc_type],
                                         version=request.form.get("version", ""))  # fmt: skip

    def _console_forums_refusal(self, request, organiser, forum, target):
        """409: the forum's status does not allow the move (it changed since the page was shown)."""
        return self._console_forums_page(request, "console_forum_cancel.html", organiser,
                                         DASHBOARD.format(forum["id"]), 409, forum=forum, refused=target)  # fmt: skip

    def _console_forums_cancel(self, request, organiser, forum, reason, error=None):
        return self._console_forums_page(
            request, "console_forum_cancel.html", organiser, f"/console/forums/{forum['id']}/cancel",
            422 if error else 200, forum=forum, reason=reason, error=error, refused=None,
        )  # fmt: skip

    def _console_forums_page(self, request, template, organiser, here, status, **values):
        """A page of this area; ``here``: the (French) page the language switcher leads to."""
        context = page_context(request, self.config["SECRET_KEY"], here)
        answer = render(template, status=status, organiser=organiser, idempotency_key=str(uuid.uuid4()), **values,
                        **context)  # fmt: skip
        return set_csrf_cookie(answer, request, context)

    def _console_forums_words(self, request):
        return translator(lang_of(request))

    def _console_forums_to(self, request, where):
        where = in_lang(where, lang_of(request))
        return Response(
            status=303, headers={"Location": where, "Cache-Control": "no-store"}, content_type=HTML
        )
