"""Public HTML pages, outside /api/, each in French and in English (``/en/…``, gateway.site). The emailed
links lead to /manage, /subscriptions/confirm and a round's vote page with the token in the fragment
(``#token=…``), which browsers never send: the page's own script reads it and calls the API with it in the
Authorization header, and says what happens in the page's language. A round's results page is rendered
here, from one call to the topics service (round_page: the round, its results and its topics' titles) and
the forum's title, and needs no script."""

from functools import partial

from nameko.exceptions import RemoteError

from gateway.openapi import Doc
from gateway.pages import render
from gateway.schemas.common import STAKEHOLDER_GROUPS
from gateway.site import both_languages, page_context

page = partial(Doc, tag="pages", media="text/html", returns="The page")
FORUM_TITLE_TIMEOUT = 2  # seconds: the title is a nicety; with registration down, the page goes without it


class PageRoutes:
    @both_languages(
        "GET", "/manage", page("Manage my registrations, consents and data (token in the fragment: #token=…)")
    )
    def manage_page(self, request):
        return render("manage.html", **page_context(request, self.config["SECRET_KEY"]))

    @both_languages(
        "GET", "/subscriptions/confirm", page("Confirm my subscription (token in the fragment: #token=…)")
    )
    def confirm_page(self, request):
        return render("confirm.html", **page_context(request, self.config["SECRET_KEY"]))

    @both_languages(
        "GET",
        "/forums/<uuid:forum_id>/rounds/<uuid:round_id>",
        page(
            "Vote in a prioritisation round (token in the fragment: #token=…)",
            description="The page's script reads the round and the forum's topics from the API and casts the "
            "ballot with the token; the page itself asks no service, so it is served for any id.",
        ),
    )
    def vote_page(self, request, forum_id, round_id):
        context = page_context(request, self.config["SECRET_KEY"])
        return render(
            "vote.html", forum_id=str(forum_id), round_id=str(round_id), groups=STAKEHOLDER_GROUPS, **context
        )

    @both_languages(
        "GET",
        "/rounds/<uuid:round_id>/results",
        page(
            "A prioritisation round's results, in HTML",
            pages=(404,),
            description="A round still open is answered 200 with a page saying when its results come (or its "
            "running results, marked as such, if the organiser chose to show them): the address is the "
            "right one, emailed to be kept, and a person reads a page, not a status. An unknown round is a "
            "404 page.",
        ),
    )
    def results_page(self, request, round_id):
        """200 for an open round, not the API's 409: the link is the right one and will show the results
        once the round closes; nothing about the request is wrong."""
        context = page_context(request, self.config["SECRET_KEY"])
        try:
            shown = self.topics.kept.round_page(str(round_id))  # the round, its results, its titles
        except RemoteError as exc:
            if exc.exc_type != "RoundNotFound":
                raise
            return render("not_found.html", status=404, what="round", **context)
        found = shown["round"]
        return render("results.html", round=found, results=shown["results"], titles=shown["titles"],
                      forum=self._forum_or_none(found["forum_id"]), **context)  # fmt: skip

    def _forum_or_none(self, forum_id):
        try:
            return self.registration.kept.get_forum(forum_id, timeout=FORUM_TITLE_TIMEOUT)
        except Exception:  # noqa: BLE001 - registration down, slow or the forum gone: no title, still a page
            return None

    def _titles(self, forum_id, ids):
        """topic id → title, for the ballot and console pages: the forum's published topics in one call, then
        each one that has since left the forum (merged into another, carried over) by itself."""
        titles = {topic["id"]: topic["title"] for topic in self.topics.kept.list_topics(forum_id)["items"]}
        for topic_id in ids:
            if topic_id not in titles:
                try:
                    titles[topic_id] = self.topics.kept.get_topic(topic_id)["title"]
                except RemoteError as exc:
                    if exc.exc_type != "TopicNotFound":
                        raise
        return titles
