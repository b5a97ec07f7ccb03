"""Pages to read, in French and English, with no form to post: the series' commitments register (filtered
by a GET form that works without JavaScript: the filters live in the address, so a bookmark, a shared link
and the language switcher keep them), a forum's published topics, and the accessibility statement.

None depends on who asks and none has a script: each is public and cacheable like the restitution pages
(ETag, 304, a minute). The register costs one call (restitution.commitments_page) and is filtered here, in
the gateway: the service answers the whole register, which the form needs anyway for its choices. A
forum's topics page asks the registration service for the forum, then the topics service for its topics
and the restitution service for the published restitution's round results (the closed round
known cheaply: none when nothing is published yet)."""

from email.utils import getaddresses
from functools import partial

from marshmallow import Schema, fields
from nameko.exceptions import RemoteError

from gateway.openapi import Doc
from gateway.pages import fresh, render
from gateway.site import both_languages, page_context

page = partial(Doc, tag="pages", media="text/html", returns="The page")
CACHED = (
    "Public and cacheable: answered with an ETag and Cache-Control: public, max-age=60; a request whose "
    "If-None-Match names the current ETag is answered 304 without a body."
)
FILTERS = ("owner", "status", "forum")
TIMEOUT = 5  # seconds
STATEMENT_DATE = "2026-11-30"  # of the accessibility statement: change it with the statement


class CommitmentFilterSchema(Schema):
    owner = fields.String(metadata={"description": "The administration that owns it, as written"})
    status = fields.String(metadata={"description": "planned, in_progress, done or dropped"})
    forum = fields.String(metadata={"description": "The id of the forum that made it"})


class ReadingRoutes:
    @both_languages(
        "GET",
        "/commitments",
        page(
            "The series' commitments register, in HTML, filtered by administration, status and forum",
            query=CommitmentFilterSchema,
            description="A filter left empty, or a value that no commitment has, is no error: the page lists "
            "what matches (perhaps nothing) and says how many. The same data as JSON: GET /api/v1/commitments; "
            "as CSV: GET /api/v1/commitments.csv. " + CACHED,
        ),
    )
    def commitments_page(self, request):
        context = page_context(request, self.config["SECRET_KEY"])
        register = self.restitution.kept.commitments_page()
        chosen = filters_of(request.args)
        shown = matching(register["items"], chosen)
        answer = render(
            "commitments.html",
            cached=True,
            items=shown,
            total=len(register["items"]),
            chosen=chosen,
            owners=owners(register["items"]),
            forums=register["forums"],
            forum_order=forum_order(register["forums"]),
            **context,
        )
        return fresh(request, answer)

    @both_languages(
        "GET",
        "/forums/<ref:forum_ref>/topics",
        page(
            "A forum's published topics, in HTML, with the results of its closed round and how to propose one",
            pages=(404,),
            description="An unknown forum is a 404 page. " + CACHED,
        ),
    )
    def forum_topics_page(self, request, forum_ref):
        context = page_context(request, self.config["SECRET_KEY"], f"/forums/{forum_ref}/topics")
        try:
            forum = self.registration.kept.get_forum(forum_ref, False, timeout=TIMEOUT)
        except RemoteError as exc:
            if exc.exc_type != "ForumNotFound":
                raise
            return render("not_found.html", status=404, cached=True, what="forum", **context)
        try:
            topics = self.topics.kept.list_topics(forum["id"], timeout=TIMEOUT)["items"]
        except RemoteError as exc:  # a forum just scheduled, not yet known to the topics service: none yet
            if exc.exc_type != "ForumNotFound":
                raise
            topics = []
        # after the topics, not meanwhile: both are usually kept (gateway.reads), and a green thread's wait
        # would put this page behind every other request ready to run
        closed = self._round_results(forum["id"])
        answer = render(
            "topics.html",
            cached=True,
            forum=forum,
            topics=topics,
            results=closed,
            agenda=agenda_places(closed),
            **context,
        )
        return fresh(request, answer)

    @both_languages(
        "GET",
        "/accessibility",
        page("The accessibility statement (RGAA 4, WCAG 2.1 AA), in HTML", description=CACHED),
    )
    def accessibility_page(self, request):
        context = page_context(request, self.config["SECRET_KEY"])
        answer = render(
            "accessibility.html",
            cached=True,
            contacts=accessibility_contacts(self.config),
            statement_date=STATEMENT_DATE,
            **context,
        )
        return fresh(request, answer)

    def _round_results(self, forum_id):
        """The results of the round the forum's published restitution states; None when nothing is
        published yet, or when the restitution service cannot say (the page goes on without)."""
        try:
            return self.restitution.kept.latest(forum_id, timeout=TIMEOUT).get("results")
        except Exception:  # noqa: BLE001 - not published, down or slow: the page without the link
            return None


def filters_of(args):
    """The register's filters from the query string: each one given, trimmed; blanks left out."""
    return {name: args.get(name, "").strip() for name in FILTERS if args.get(name, "").strip()}


def matching(items, chosen):
    """The commitments that match every chosen filter (owner as written, status, forum id)."""
    keys = {"owner": "owner", "status": "status", "forum": "forum_id"}
    return [item for item in items if all(item[keys[name]] == value for name, value in chosen.items())]


def owners(items):
    """The administrations named by the register, each once, in alphabetical order."""
    return sorted({item["owner"] for item in items}, key=lambda owner: (owner.casefold(), owner))


def forum_order(forums):
    """The forums' ids, the earliest forum first (one without a date last)."""
    return sorted(
        forums, key=lambda i: (forums[i].get("starts_at") is None, forums[i].get("starts_at") or "", i)
    )


def agenda_places(results):
    """``{topic id: place}`` on the agenda a closed round chose (1 first); empty without results."""
    return {topic_id: place for place, topic_id in enumerate((results or {}).get("agenda") or (), 1)}


def accessibility_contacts(config):
    """Where to report a barrier: ACCESSIBILITY_CONTACT, else the organisers' addresses
    (ORGANISER_EMAILS), else the address the forums' emails come from (MAIL_FROM)."""
    for setting in ("ACCESSIBILITY_CONTACT", "ORGANISER_EMAILS", "MAIL_FROM"):
        found = [address for _, address in getaddresses([str(config.get(setting) or "")]) if "@" in address]
        if found:
            return list(dict.fromkeys(found))
    return []
