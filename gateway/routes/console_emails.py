"""The organiser console: the delivery log and dead letters, with retry; the CSV downloads.

The log shows what the API's ``GET /api/v1/notifications`` shows, and less: a recipient's address is
masked (its first character and its domain), in the table and in a relay's error message alike; an
organiser looking for one person's messages types the whole address in the filter. A failed message can
be sent again (one, or every failed message of a forum after a confirmation page); dead letters are read
one at a time with their body as text, since nothing replays them from here. The CSV files organisers
need are answered here too, from the same RPCs as the API's CSV routes: the console's session cookie only
travels under /console, and those routes take a bearer token.
"""

import json
import re
from functools import partial
from urllib.parse import urlencode

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway.routes import PRIVATE
from gateway.routes.console import FORM, SIGNED_IN, both_languages, page
from gateway.rpc import together
from gateway.schemas.notifications import (
    DeadLetterListQuerySchema,
    DeliveryListQuerySchema,
    DeliveryRetrySchema,
)
from gateway.site import in_lang, lang_of

LOG_QUERY = DeliveryListQuerySchema()
RETRY_ALL = DeliveryRetrySchema()
DEAD_LETTER_QUERY = DeadLetterListQuerySchema()
FILTERS = ("forum_id", "status", "recipient")  # the log's own (the API's names), kept from page to page
SHOWN = 20
FORUMS_SHOWN = 100
ROW = re.compile(r"[0-9]{1,18}")  # a row's number, as the API's paths take it
ADDRESS = re.compile(r"[^\s'\"<>(),;:{}\[\]]+@[^\s'\"<>(),;:{}\[\]]+")
CSV_HEADERS = PRIVATE | {"X-Content-Type-Options": "nosniff"}


def console_email_masked(address):
    """``camille.martin@example.org`` → ``c…@example.org``: who it was for, without the whole address."""
    local, at, domain = (address or "").rpartition("@")
    return f"{local[:1]}…@{domain}" if at and local else "…"


def console_email_error(text):
    """A relay's error with every address in it masked (a refusal names the recipient)."""
    return ADDRESS.sub(lambda found: console_email_masked(found.group()), text) if text else text


def console_email_problems(errors, prefix=""):
    """A dead letter's per-field errors, as (dotted field, message) pairs."""
    for key, value in (errors or {}).items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from console_email_problems(value, name)
        else:
            yield name, " ".join(map(str, value)) if isinstance(value, list) else str(value)


def console_email_filters(values):
    """The log's filters that hold a value, as the address's query takes them back."""
    return {key: values[key] for key in (*FILTERS, "cursor") if values.get(key)}


class ConsoleEmailRoutes:
    @both_languages(
        "GET",
        "/console/emails",
        page(
            "The delivery log in the console, newest first, filtered by forum, status or recipient",
            pages=(400,),
            description="?forum_id=, ?status=, ?recipient= (the whole address) and ?cursor= (the next page), "
            "as GET /api/v1/notifications takes them; recipients shown masked." + SIGNED_IN,
        ),
    )
    def console_emails_log(self, request):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        typed = {key: request.args.get(key, "").strip() for key in (*FILTERS, "cursor")}
        show = partial(self._console_emails_log_page, request, organiser, typed)
        try:
            asked = LOG_QUERY.dump(LOG_QUERY.load({key: value for key, value in typed.items() if value}))
        except ValidationError as exc:
            return show(errors=exc.messages)
        ask = partial(
            self.notification.list_deliveries, asked["forum_id"], asked["status"], asked["recipient"]
        )
        return show(deliveries=partial(ask, SHOWN, asked["cursor"]), asked=asked)

    def _console_emails_log_page(self, request, organiser, typed, errors=None, deliveries=None, asked=None):
        """The log's page: its deliveries asked with the forums (to name them) in parallel; 400 with the
        form's errors by field, and no log, for a filter or a page address that is not valid."""
        calls = {"forums": partial(self.registration.list_forums, "all", FORUMS_SHOWN, None, True)}
        if deliveries:
            calls["log"] = deliveries
        answers = together(**calls)
        log, failed = answers.get("log", (None, None))
        if isinstance(failed, RemoteError) and failed.exc_type in ("InvalidCursor", "InvalidFilter"):
            errors = {"cursor" if failed.exc_type == "InvalidCursor" else "forum_id": [failed.value]}
        elif failed:
            raise failed
        forums = (answers["forums"][0] or {}).get("items")  # None: the forums cannot be named for now
        done = {
            key: request.args[key]
            for key in ("retried", "requeued")
            if ROW.fullmatch(request.args.get(key, ""))
        }
        filters = {key: value for key, value in console_email_filters(asked or {}).items() if key != "cursor"}
        onward = log["next_cursor"] if log and not errors else None
        return self._page(
            request,
            "console_emails.html",
            organiser,
            status=400 if errors else 200,
            typed=typed,
            errors=errors or {},
            log=None if errors else log,
            forums=forums,
            titles={forum["id"]: forum["title"] for forum in forums or ()},
            kept=console_email_filters(asked or {}),
            first_page="?" + urlencode(filters) if (asked or {}).get("cursor") else None,
            next_page="?" + urlencode(filters | {"cursor": onward}) if onward else None,
            done=done,
            masked=console_email_masked,
            error_text=console_email_error,
        )

    @both_languages(
        "POST",
        "/console/emails/<delivery_id>/retry",
        page(
            "Send a failed message again, from the console",
            returns="303 to the delivery log, saying the message is queued again",
            pages=(403, 404, 409),
            description=FORM.format(what="the form's idempotency_key, and the log's filters to go back to "
                                    "(forum_id, status, recipient, cursor). A message that is not failed is "
                                    "answered 409 and nothing is done." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_email_retry(self, request, delivery_id):
        organiser, answer = self._console_posted(request, "/console/emails")
        if answer:
            return answer
        if not ROW.fullmatch(delivery_id):
            return self._console_email_message(request, organiser, 404, "delivery")
        try:
            self.notification.retry_delivery(int(delivery_id))
        except RemoteError as exc:
            if exc.exc_type == "DeliveryNotFound":
                return self._console_email_message(request, organiser, 404, "delivery")
            if exc.exc_type == "NotRetryable":
                return self._console_email_message(request, organiser, 409, "not_failed")
            raise
        return self._console_email_back(request, {"retried": delivery_id})

    @both_languages(
        "GET",
        "/console/emails/retry-failed",
        page(
            "Confirm sending every failed message of a forum again",
            pages=(400, 404),
            description="?forum_id= the forum; the page says how many of its messages failed." + SIGNED_IN,
        ),
    )
    def console_emails_retry_all_form(self, request):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        return self._console_emails_retry_all_page(request, organiser, request.args.get("forum_id", ""))

    @both_languages(
        "POST",
        "/console/emails/retry-failed",
        page(
            "Send every failed message of a forum again, from the console",
            returns="303 to the forum's delivery log, saying how many messages are queued again",
            pages=(400, 403, 404),
            description=FORM.format(what="forum_id and the form's idempotency_key." + SIGNED_IN),
        ),
    )
    def console_emails_retry_all(self, request):
        organiser, answer = self._console_posted(request, "/console/emails")
        if answer:
            return answer
        typed = request.form.get("forum_id", "")
        try:
            forum_id = str(RETRY_ALL.load({"forum_id": typed})["forum_id"])
        except ValidationError:
            return self._console_emails_retry_all_page(request, organiser, typed)
        if self._console_forum(forum_id) is None:
            return self._console_email_message(request, organiser, 404, "forum")
        retried = self.notification.retry_failed(forum_id)["retried"]
        return self._console_email_back(request, {"forum_id": forum_id, "requeued": retried}, keep=False)

    def _console_emails_retry_all_page(self, request, organiser, typed):
        try:
            forum_id = str(RETRY_ALL.load({"forum_id": typed})["forum_id"])
        except ValidationError:
            return self._page(request, "console_emails_retry.html", organiser, status=400, forum=None)
        (forum, failed), (summary, failed_too) = together(
            partial(self._console_forum, forum_id), partial(self.notification.delivery_summary, forum_id)
        )
        if failed or failed_too:
            raise failed or failed_too
        if forum is None:
            return self._console_email_message(request, organiser, 404, "forum")
        failing = summary["totals"].get("failed", 0)
        return self._page(request, "console_emails_retry.html", organiser, forum=forum, failing=failing)

    @both_languages(
        "GET",
        "/console/emails/summary",
        page(
            "How many messages are pending, sending, sent or failed, by template, in the console",
            pages=(400,),
            description="?forum_id= one forum's; without it, every message." + SIGNED_IN,
        ),
    )
    def console_emails_summary(self, request):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        typed = request.args.get("forum_id", "").strip()
        try:
            forum_id = str(RETRY_ALL.load({"forum_id": typed})["forum_id"]) if typed else None
        except ValidationError:
            return self._page(request, "console_emails_summary.html", organiser, status=400, invalid=True)
        forum = self._console_forum(forum_id) if forum_id else None
        if forum_id and forum is None:
            return self._console_email_message(request, organiser, 404, "forum")
        summary = self.notification.delivery_summary(forum_id)
        return self._page(request, "console_emails_summary.html", organiser, forum=forum, summary=summary)

    @both_languages(
        "GET",
        "/console/emails/dead-letters",
        page(
            "The events the notification service gave up on, newest first, in the console",
            pages=(400,),
            description="?cursor= the next page. Never their bodies: each has its own page." + SIGNED_IN,
        ),
    )
    def console_dead_letters(self, request):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        show = partial(self._page, request, "console_dead_letters.html", organiser)
        cursor = request.args.get("cursor") or None
        try:
            DEAD_LETTER_QUERY.load({"cursor": cursor} if cursor else {})
            found = self.notification.list_dead_letters(SHOWN, cursor)
        except ValidationError:
            return show(status=400, invalid=True)
        except RemoteError as exc:
            if exc.exc_type == "InvalidCursor":
                return show(status=400, invalid=True)
            raise
        return show(letters=found["items"], next_cursor=found["next_cursor"], request_cursor=cursor)

    @both_languages(
        "GET",
        "/console/emails/dead-letters/<dead_letter_id>",
        page(
            "One dead letter in the console: where and why it was given up on, and its body as text",
            pages=(404,),
            description=SIGNED_IN,
        ),
    )
    def console_dead_letter(self, request, dead_letter_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        if not ROW.fullmatch(dead_letter_id):
            return self._console_email_message(request, organiser, 404, "dead_letter")
        try:
            letter = self.notification.get_dead_letter(int(dead_letter_id))
        except RemoteError as exc:
            if exc.exc_type == "DeadLetterNotFound":
                return self._console_email_message(request, organiser, 404, "dead_letter")
            raise
        return self._page(request, "console_dead_letter.html", organiser, letter=letter,
                          problems=list(console_email_problems(letter["errors"])),
                          body=console_email_body(letter["body"]))  # fmt: skip

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/downloads",
        page("A forum's files to download (CSV), in the console", pages=(404,), description=SIGNED_IN),
    )
    def console_downloads(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        forum = self._console_forum(str(forum_id))
        if forum is None:
            return self._console_email_message(request, organiser, 404, "forum")
        return self._page(request, "console_email_downloads.html", organiser, forum=forum)

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/registrations.csv",
        page(
            "Every registration of a forum as CSV (UTF-8), as GET /api/v1/forums/{id}/registrations.csv",
            returns="The CSV file (Content-Disposition: attachment)",
            pages=(404,),
            description=SIGNED_IN,
        ),
    )
    def console_registrations_csv(self, request, forum_id):
        return self._console_csv(request, "forum", self.registration.registrations_csv, str(forum_id),
                                 name=f"registrations-{forum_id}.csv")  # fmt: skip

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/attendance.csv",
        page(
            "A forum's attendance by group as CSV, as its latest restitution states it (the API's attendance.csv)",
            returns="The CSV file (Content-Disposition: attachment)",
            pages=(404,),
            description="404 until the forum's restitution is published." + SIGNED_IN,
        ),
    )
    def console_attendance_csv(self, request, forum_id):
        return self._console_csv(request, "restitution", self.restitution.attendance_csv, str(forum_id),
                                 name=f"forum-{forum_id}-attendance.csv")  # fmt: skip

    @both_languages(
        "GET",
        "/console/commitments.csv",
        page(
            "The series' commitments as CSV (UTF-8), as GET /api/v1/commitments.csv",
            returns="The CSV file (Content-Disposition: attachment)",
            description=SIGNED_IN,
        ),
    )
    def console_commitments_csv(self, request):
        return self._console_csv(request, None, self.restitution.commitments_csv, name="commitments.csv")

    def _console_csv(self, request, missing, ask, *args, name):
        """The file ``ask(*args)`` answers, as an attachment; ``missing``: what a 404 page says is absent."""
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        try:
            content = ask(*args)
        except RemoteError as exc:
            if exc.exc_type in ("ForumNotFound", "RestitutionNotFound"):
                return self._console_email_message(request, organiser, 404, missing)
            raise
        headers = CSV_HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(content, headers=headers, content_type="text/csv; charset=utf-8")

    def _console_email_message(self, request, organiser, status, what):
        return self._page(request, "console_email_message.html", organiser, status=status, what=what)

    def _console_email_back(self, request, said, keep=True):
        """303 to the delivery log with the filters the form came from (when they hold) and ``said``."""
        kept = {}
        if keep:
            typed = {key: request.form.get(key, "").strip() for key in (*FILTERS, "cursor")}
            try:
                kept = console_email_filters(
                    LOG_QUERY.dump(LOG_QUERY.load({k: v for k, v in typed.items() if v}))
                )
            except ValidationError:
                kept = {}
        where = in_lang("/console/emails", lang_of(request)) + "?" + urlencode(kept | said)
        return Response(status=303, headers={"Location": where, "Cache-Control": "no-store"})


def console_email_body(body):
    """A dead letter's body as it was received; JSON laid out to be read, when it is JSON."""
    if body is None:
        return None
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return body
