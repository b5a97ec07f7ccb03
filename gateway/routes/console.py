"""The organiser console (``gateway.console``: its session): sign in with an organiser token or by a link
emailed to an address of ORGANISER_EMAILS, the forums, one forum's registrations, waiting list and
emails, and checking people in at the door by their code.
Pages in French and English that work without JavaScript, calling the same RPCs as the API, as the
organiser the session names (the services' audit trail records who did it)."""

import uuid
from functools import partial
from urllib.parse import quote

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from gateway import console
from gateway.errors import ApiError
from gateway.errors import Forbidden as NotAllowed
from gateway.http import ApiHandler
from gateway.openapi import Doc
from gateway.pages import render
from gateway.rpc import together
from gateway.schemas import CheckInSchema, EmailSchema
from gateway.site import check_csrf, in_lang, lang_of, page_context, set_csrf_cookie
from kit.organiser_tokens import digest

CHECK_IN = CheckInSchema()
EMAIL = EmailSchema()
FORUMS_SHOWN = 100
WAITING_SHOWN = 100
HTML = "text/html; charset=utf-8"
page = partial(Doc, tag="console", media="text/html", returns="The page")
SIGNED_IN = (
    " Without a console session (sign in at /console/sign-in), a 303 to the sign-in page, which comes "
    "back here once signed in."
)
FORM = "An HTML form (application/x-www-form-urlencoded) with the page's CSRF token (csrf); {what}"


class ConsoleHandler(ApiHandler):
    """The console's routes: a request with a well-signed, unexpired session is an organiser's and, like
    theirs on the API, not counted against the client's limit (a door checks hundreds in); a sign-in,
    or anything without a session, counts."""

    def setup(self):
        super().setup()
        self.secret = self.container.config["SECRET_KEY"]

    def limited(self, request):
        if console.opened(self.secret, request.cookies.get(console.SESSION_COOKIE)):
            return False
        return super().limited(request)


def both_languages(method, path, doc):
    """The console's route in French at ``path`` and in English at ``/en`` + ``path``."""
    route = ConsoleHandler.decorator
    return lambda handler: route(method, path, doc=doc)(route(method, "/en" + path, doc=doc)(handler))


class ConsoleRoutes:
    @both_languages(
        "GET",
        "/console/sign-in",
        page(
            "The organiser console's sign-in form",
            description="?next= a page of the console to go to once signed in (a path under /console).",
        ),
    )
    def console_sign_in_form(self, request):
        return self._sign_in_page(request)

    @both_languages(
        "POST",
        "/console/sign-in",
        page(
            "Sign in to the console with an organiser token",
            returns="Signed in: the session cookie, and a page leading on to the page asked for (or the forums)",
            pages=(401, 403),
            description=FORM.format(what="token (an organiser token) and next (a page of the console). "
                                    "A wrong or revoked token is answered with the form again (401), a "
                                    "participant's link token too (403): no session is opened."),
        ),
    )  # fmt: skip
    def console_sign_in(self, request):
        refused = self._console_refused(request)
        if refused:
            return refused
        token = request.form.get("token", "").strip()
        try:
            self.auth.organiser(console.as_bearer(token))  # as the API judges a bearer token
        except ApiError as exc:
            return self._sign_in_page(request, exc.status)
        secret = self.config["SECRET_KEY"]
        value = console.seal(secret, *console.identity(secret, self.auth.bootstrap, digest(token)))
        onward = console.safe_next(request.form.get("next")) or in_lang("/console", lang_of(request))
        return console.set_session(self._sign_in_page(request, onward=onward), request, value)

    @both_languages(
        "POST",
        "/console/sign-in/link",
        page(
            "Ask for a sign-in link by email (an address of ORGANISER_EMAILS)",
            returns="The sign-in page again, saying that a link is on its way if the address is an organiser's",
            pages=(403, 422),
            description=FORM.format(what="email. The same answer whether or not the address is on the list "
                                    "(only a listed one gets an email, valid 15 minutes and once, at most "
                                    "as often as the per-address limit allows); an address that is not "
                                    "one is answered with the form again (422)."),
        ),
    )  # fmt: skip
    def console_sign_in_link(self, request):
        refused = self._console_refused(request)
        if refused:
            return refused
        typed = request.form.get("email", "").strip()
        try:
            email = EMAIL.load({"email": typed})["email"]
        except ValidationError:
            return self._sign_in_page(request, 422, email=typed, email_refused=True)
        self.notification.send_console_link(email, lang_of(request))  # the notification service decides
        return self._sign_in_page(request, asked=True)

    @both_languages(
        "GET",
        "/console/session",
        page(
            "The emailed sign-in link's page: one button opens the session",
            pages=(401,),
            description="?token= the emailed link's token. Nothing is spent here (a mail scanner may open "
            "the link): the page posts it back to open the session. A token that cannot be one is "
            "answered 401 with the sign-in page.",
        ),
    )
    def console_session_form(self, request):
        token = request.args.get("token", "")
        if console.link_digest(token) is None:
            return self._sign_in_page(request, 401, link_refused=True)
        return self._sign_in_page(request, confirm=token)

    @both_languages(
        "POST",
        "/console/session",
        page(
            "Open a console session with an emailed sign-in link",
            returns="Signed in: a 303 to the console, with the session cookie (the token left behind)",
            pages=(401, 403),
            description=FORM.format(what="token (the emailed link's). A link unknown, expired (15 "
                                    "minutes), already used, or sent to an address no longer on "
                                    "ORGANISER_EMAILS is answered 401 with the sign-in page: no session."),
        ),
    )  # fmt: skip
    def console_session(self, request):
        refused = self._console_refused(request)
        if refused:
            return refused
        found = console.link_digest(request.form.get("token", ""))
        spent = self.notification.spend_console_link(found) if found else None
        addresses = console.listed(self.config.get("ORGANISER_EMAILS"))
        if not spent or spent["email"].strip().lower() not in addresses:
            return self._sign_in_page(request, 401, link_refused=True)
        secret = self.config["SECRET_KEY"]
        value = console.seal(secret, *console.address_identity(secret, spent["email"]))
        onward = {"Location": in_lang("/console", lang_of(request)), "Cache-Control": "no-store"}
        answer = Response(status=303, content_type=HTML, headers=onward | {"Referrer-Policy": "no-referrer"})
        return console.set_session(answer, request, value)

    @both_languages(
        "POST",
        "/console/sign-out",
        page(
            "Sign out of the console",
            returns="Signed out: the session cookie cleared, and the sign-in form",
            pages=(403,),
            description=FORM.format(what="nothing else."),
        ),
    )
    def console_sign_out(self, request):
        refused = self._console_refused(request)
        if refused:
            return refused
        return console.clear_session(self._sign_in_page(request, signed_out=True), request)

    @both_languages(
        "GET", "/console", page("The console: every forum, drafts included", description=SIGNED_IN)
    )
    def console_forums(self, request):
        organiser = self._organiser(request)
        if organiser is None:
            return self._to_sign_in(request)
        forums = self.registration.list_forums("all", FORUMS_SHOWN, None, True)["items"]
        return self._page(request, "console_forums.html", organiser, forums=forums)

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>",
        page(
            "A forum in the console: registrations by group against quotas, the waiting list, its emails",
            pages=(404,),
            description=SIGNED_IN,
        ),
    )
    def console_forum(self, request, forum_id):
        organiser = self._organiser(request)
        if organiser is None:
            return self._to_sign_in(request)
        forum_id = str(forum_id)
        asked = {
            "forum": partial(self.registration.get_forum, forum_id, True),
            "summary": partial(self.registration.registration_summary, forum_id),
            "waiting": partial(
                self.registration.list_registrations, forum_id, "waitlisted", None, WAITING_SHOWN
            ),
            "emails": partial(self.notification.delivery_summary, forum_id),
        }
        answers = together(**asked)
        for name in ("forum", "summary", "waiting"):
            failed = answers[name][1]
            if failed and _not_found(failed):
                return self._page(request, "not_found.html", organiser, status=404, what="forum")
            if failed:
                raise failed
        waiting = answers["waiting"][0]
        return self._page(
            request,
            "console_forum.html",
            organiser,
            forum=answers["forum"][0],
            summary=answers["summary"][0],
            waiting=sorted(waiting["items"], key=lambda r: r["waitlist_position"] or 0),
            more_waiting=waiting["next_cursor"] is not None,
            emails=answers["emails"][0],  # None when the notification service cannot say: the page goes on
        )

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/check-in",
        page("Check attendees in at the door, by their code", pages=(404,), description=SIGNED_IN),
    )
    def console_check_in_form(self, request, forum_id):
        organiser = self._organiser(request)
        if organiser is None:
            return self._to_sign_in(request)
        forum = self._console_forum(str(forum_id))
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        return self._page(request, "console_check_in.html", organiser, forum=forum, outcome=None)

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/check-in",
        page(
            "Check an attendee in by their code, from the console",
            returns="The check-in page again, saying who was checked in (or was already)",
            pages=(403, 404, 422),
            description=FORM.format(what="code (the attendee code) and the form's idempotency_key. An "
                                    "unknown code is answered 404, a malformed one 422, a read token "
                                    "403, each with the page saying so." + SIGNED_IN + " The page's "
                                    "script asks with Accept: application/json and gets the same statuses "
                                    "in JSON: {outcome (checked_in, already, unknown, malformed, read_only), "
                                    "code, html (the page's words for it)}; {outcome: expired} 403 for the "
                                    "CSRF token, {outcome: signed_out, sign_in} 401 without a session, "
                                    "{outcome: no_forum} 404. Its idempotency_key is one per scan, so a "
                                    "code sent again (queued offline) acts once and answers the same."),
        ),
    )  # fmt: skip
    def console_check_in(self, request, forum_id):
        script = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
        no_store = {"Cache-Control": "no-store"}
        refused = self._console_refused(request)
        if refused:
            return (403, no_store, {"outcome": "expired"}) if script else refused
        organiser = self._organiser(request)
        if organiser is None:
            to_sign_in = self._to_sign_in(request, f"/console/forums/{forum_id}/check-in")
            return (401, no_store, {"outcome": "signed_out", "sign_in": to_sign_in.headers["Location"]}) \
                if script else to_sign_in  # fmt: skip
        forum = self._console_forum(str(forum_id))
        if forum is None:
            if script:
                return 404, no_store, {"outcome": "no_forum"}
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        whole = partial(self._page, request, "console_check_in.html", organiser, forum=forum)
        typed = request.form.get("code", "")

        def show(status=200, **outcome):
            """The page saying so, or for the page's script the same words alone, in JSON."""
            if not script:
                return whole(status=status, outcome=outcome, code="" if status == 200 else typed)
            said = whole(fragment=True, outcome=outcome).get_data(as_text=True).strip()
            answer = {"outcome": outcome["kind"], "code": outcome.get("code", typed), "html": said}
            return status, no_store, answer

        try:
            self.auth._acting(organiser, request)  # a read token may look, not check people in
        except NotAllowed:
            return show(403, kind="read_only")
        try:
            code = CHECK_IN.load({"code": typed})["code"]
        except ValidationError:
            return show(422, kind="malformed")
        try:
            done = self.registration.check_in(forum["id"], code)
        except RemoteError as exc:
            if exc.exc_type == "UnknownAttendeeCode":
                return show(404, kind="unknown", code=code)
            raise
        kind = "already" if done["already_checked_in"] else "checked_in"
        return show(kind=kind, code=code, registration=done["registration"])

    def _console_signed_in(self, request):
        """(organiser, None) for a page of the console, or (None, the answer to give instead: the way to
        sign in)."""
        organiser = self._organiser(request)
        return (organiser, None) if organiser else (None, self._to_sign_in(request))

    def _console_posted(self, request, back):
        """(organiser, None) for a form posted to the console that may change something, or (None, the
        answer to give instead): the form expired or came from elsewhere (403), no session (the way to
        sign in, then back to ``back``, a French console path), or a read-only token (403 page). The
        refusals' language switcher leads to ``back``: the form's own address takes only a POST."""
        refused = self._console_refused(request, back)
        if refused:
            return None, refused
        organiser = self._organiser(request)
        if organiser is None:
            return None, self._to_sign_in(request, back)
        try:
            self.auth._acting(organiser, request)  # a read token may look, not change
        except NotAllowed:
            context = page_context(request, self.config["SECRET_KEY"], back)
            _ = context["_"]
            answer = render("message.html", status=403, heading=_("Lecture seule"),
                            message=_("Votre jeton d'organisateur permet de consulter, pas de modifier."),
                            **context)  # fmt: skip
            return None, answer
        return organiser, None

    def _organiser(self, request):
        """The organiser the session names, acting for them in this worker (the services record them); None
        without a valid session."""
        secret = self.config["SECRET_KEY"]
        session = console.opened(secret, request.cookies.get(console.SESSION_COOKIE))
        addresses = console.listed(self.config.get("ORGANISER_EMAILS"))
        organiser = console.holder(self.auth, secret, *session, addresses=addresses) if session else None
        if organiser is not None and request.method == "GET":
            self.auth._acting(organiser, request)  # named for the audit trail (a form checks its scope)
        return organiser

    def _to_sign_in(self, request, back=None):
        """303 to the sign-in page, with the page to come back to; a session that no longer holds is
        cleared."""
        lang = lang_of(request)
        back = in_lang(back, lang) if back else request.path
        where = in_lang("/console/sign-in", lang) + "?next=" + quote(back, safe="/")
        answer = Response(
            status=303, headers={"Location": where, "Cache-Control": "no-store"}, content_type=HTML
        )
        if request.cookies.get(console.SESSION_COOKIE):
            console.clear_session(answer, request)
        return answer

    def _sign_in_page(self, request, status=200, onward=None, signed_out=False, **link):
        """The sign-in form (``status``: 401 or 403 for a refused token), or once signed in the way
        ``onward``. ``link``: the emailed link's states (``asked``; ``email`` and ``email_refused`` for an
        address that is not one; ``link_refused``; ``confirm``, the token of the page that opens the
        session)."""
        form_answer = request.method == "POST"  # the switcher leads to the form's page
        context = page_context(
            request, self.config["SECRET_KEY"], "/console/sign-in" if form_answer else None
        )
        wanted = console.safe_next(request.form.get("next") or request.args.get("next"))
        refused = status if status in (401, 403) and not link else None
        values = {"asked": False, "email": "", "email_refused": False, "link_refused": False, "confirm": None}
        answer = render("console_sign_in.html", status=status, next=wanted or "", onward=onward,
                        signed_out=signed_out, refused=refused, **(values | link), **context)  # fmt: skip
        return set_csrf_cookie(answer, request, context)

    def _page(self, request, template, organiser, status=200, **values):
        context = page_context(request, self.config["SECRET_KEY"], _form_page(request))
        answer = render(template, status=status, organiser=organiser, idempotency_key=str(uuid.uuid4()),
                        **values, **context)  # fmt: skip
        return set_csrf_cookie(answer, request, context)

    def _console_refused(self, request, page=None):
        """The 403 page of a form that expired or came from elsewhere (its switcher leads to ``page``, else
        to the form's page), or None for a form that holds."""
        try:
            check_csrf(request, self.config["SECRET_KEY"])
        except Forbidden:
            context = page_context(request, self.config["SECRET_KEY"], page or _form_page(request))
            _ = context["_"]
            heading = _("Formulaire expiré")
            message = _(
                "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et envoyez-le de nouveau."
            )
            return render("message.html", status=403, heading=heading, message=message, **context)
        return None

    def _console_forum(self, forum_id):
        try:
            return self.registration.get_forum(forum_id, True)
        except RemoteError as exc:
            if _not_found(exc):
                return None
            raise


def _not_found(exc):
    return isinstance(exc, RemoteError) and exc.exc_type == "ForumNotFound"


def _form_page(request):
    """The (French) page a form's answer stands for: the form's own page (its address takes only POST)."""
    path = request.path.removeprefix("/en")
    if path in ("/console/sign-out", "/console/sign-in/link", "/console/session"):
        return "/console/sign-in"
    return path
