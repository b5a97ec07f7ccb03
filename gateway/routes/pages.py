"""Public HTML pages, outside /api/. The emailed links lead to /manage and /subscriptions/confirm with
the token in the fragment (``#token=…``), which browsers never send: the page's own script reads it
and calls the API with it in the Authorization header."""

from functools import partial

from gateway.http import api
from gateway.openapi import Doc
from gateway.pages import render

page = partial(Doc, tag="pages", media="text/html", returns="The page")
UPCOMING_SHOWN = 100


class PageRoutes:
    @api("GET", "/", doc=page("The upcoming forums, in HTML"))
    def home(self, request):
        forums = self.registration.list_forums("upcoming", UPCOMING_SHOWN, None, False)["items"]
        return render("forums.html", forums=forums)

    @api(
        "GET",
        "/manage",
        doc=page("Manage my registrations, consents and data (token in the fragment: #token=…)"),
    )
    def manage_page(self, request):
        return render("manage.html")

    @api(
        "GET",
        "/subscriptions/confirm",
        doc=page("Confirm my subscription (token in the fragment: #token=…)"),
    )
    def confirm_page(self, request):
        return render("confirm.html")
