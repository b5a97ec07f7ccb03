"""The public record of the series, outside /api/: each forum's restitution as a page (the latest version,
and every earlier one at its own address), the series' index, and an Atom feed of the publications and of
the commitments' changes. Each page is in French and in English (``/en/…``, gateway.site); the feed and the
open data they link to are the same in both. Each answer costs one call to the restitution service (a
restitution's page shows its discussion too: the published comments); none has a script, none depends on
who asks, so browsers and proxies may keep them a minute (ETag, 304)."""

from datetime import UTC, datetime
from functools import partial

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway import feed
from gateway.http import api
from gateway.openapi import Doc
from gateway.pages import PUBLIC_CACHE, fresh, render
from gateway.site import both_languages, page_context

page = partial(Doc, tag="pages", media="text/html", returns="The page")
PUBLIC_RECORD = (
    "Public and cacheable: answered with an ETag and Cache-Control: public, max-age=60; a request whose "
    "If-None-Match names the current ETag is answered 304 without a body. The same data as JSON: {json} "
    "(its JSON Schema: /api/v1/restitution.schema.json)."
)
ONE_VERSION = "<int(min=1, max=2147483647):number>"


class RestitutionPageRoutes:
    @both_languages(
        "GET",
        "/restitutions",
        page(
            "The series' restitutions, in HTML: each forum's latest version, with the open data",
            description=PUBLIC_RECORD.format(json="GET /api/v1/restitutions"),
        ),
    )
    def restitutions_page(self, request):
        context = page_context(request, self.config["SECRET_KEY"])
        index = self.restitution.kept.index()
        return fresh(request, render("restitutions.html", cached=True, **index, **context))

    @both_languages(
        "GET",
        "/restitutions/<uuid:forum_id>",
        page(
            "A forum's restitution, in HTML: its latest published version",
            pages=(404,),
            description="A forum with no published restitution is a 404 page. "
            + PUBLIC_RECORD.format(json="GET /api/v1/forums/{forum_id}/restitution"),
        ),
    )
    def restitution_page(self, request, forum_id):
        return self._restitution_page(request, str(forum_id))

    @both_languages(
        "GET",
        f"/restitutions/<uuid:forum_id>/versions/{ONE_VERSION}",
        page(
            "One published version of a forum's restitution, in HTML, saying whether a later one supersedes it",
            pages=(404,),
            description="An unknown version is a 404 page. "
            + PUBLIC_RECORD.format(json="GET /api/v1/forums/{forum_id}/restitution/versions/{number}"),
        ),
    )
    def restitution_version_page(self, request, forum_id, number):
        return self._restitution_page(request, str(forum_id), number)

    @api(
        "GET",
        "/restitutions/feed.atom",
        doc=Doc(
            "Atom feed of the series: each published version, each change of a commitment, newest first",
            tag="pages",
            media="application/atom+xml",
            returns="The feed (at most 50 entries)",
            description="Text only (no HTML in the feed). Links are absolute, under the platform's public "
            "address. " + PUBLIC_RECORD.format(json="GET /api/v1/restitutions and GET /api/v1/commitments"),
        ),
    )
    def restitution_feed(self, request):
        base = self.config.get("PUBLIC_BASE_URL", "") or request.host_url
        xml = feed.build(self.restitution.kept.feed()["items"], base, datetime.now(UTC))
        answer = Response(xml, content_type=feed.MEDIA_TYPE, headers={"Cache-Control": PUBLIC_CACHE})
        return fresh(request, answer)

    def _restitution_page(self, request, forum_id, number=None):
        context = page_context(request, self.config["SECRET_KEY"])
        try:
            found = self.restitution.kept.page(forum_id, number)
        except RemoteError as exc:
            if exc.exc_type != "RestitutionNotFound":
                raise
            return render("not_found.html", status=404, what="restitution", **context)
        shown = found["restitution"]
        latest = max(v["version"] for v in shown["versions"])
        page_ = render(
            "restitution.html",
            cached=True,
            r=shown,
            latest=latest,
            superseded=shown["version"] < latest,
            discussion=threads(found["discussion"]),
            **context,
        )
        return fresh(request, page_)


def threads(comments):
    """The discussion as the page shows it: ``{target: [(comment, [replies])]}``, where the target is None
    for the restitution itself or a commitment's id, each list oldest first."""
    replies = {}
    for comment in comments:
        if comment["parent_id"]:
            replies.setdefault(comment["parent_id"], []).append(comment)
    found = {}
    for comment in comments:
        if not comment["parent_id"]:
            found.setdefault(comment["commitment_id"], []).append((comment, replies.get(comment["id"], [])))
    return found
