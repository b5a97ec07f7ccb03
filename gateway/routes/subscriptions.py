"""Being kept informed of the series: double opt-in, one-click unsubscribe (RFC 8058)."""

from functools import partial

from nameko.exceptions import RemoteError

from gateway.errors import REMOTE_ERRORS
from gateway.http import api, validated
from gateway.openapi import PERSON, PUBLIC, Doc
from gateway.pages import render, wants_html
from gateway.schemas import SubscriptionCreateSchema
from gateway.site import addressed_page_context

SUBSCRIPTION_CREATE = SubscriptionCreateSchema()
doc = partial(Doc, tag="subscriptions", answer="Subscription", raises=("InvalidToken",))
UNSUBSCRIBE = "/api/v1/unsubscribe/<token:token>"


class SubscriptionRoutes:
    @api(
        "POST",
        "/api/v1/subscriptions",
        doc=doc(
            "Ask to be kept informed: a confirmation link is emailed",
            body="SubscriptionCreate",
            status=202,
            answer="Accepted",
            returns="Pending until the emailed link is followed (said even to an address already in)",
            raises=(),
        ),
    )
    def subscribe(self, request):
        self.registration.subscribe(validated(SUBSCRIPTION_CREATE, request))
        # the same answer whatever the address's state: it must not tell who is subscribed
        return 202, {"status": "pending"}

    @api(
        "POST",
        "/api/v1/subscriptions/confirm",
        doc=doc("Confirm a subscription (token of the confirmation link)", auth=PERSON, returns="Confirmed"),
    )
    def confirm_subscription(self, request):
        return 200, self.registration.confirm_subscription(self.auth.person(request))

    @api(
        "POST",
        UNSUBSCRIBE,
        doc=doc(
            "Unsubscribe in one click (RFC 8058): no header, any body",
            returns="Unsubscribed (an HTML page when a browser's form posted)",
        ),
    )
    def unsubscribe(self, request, token):
        if not wants_html(request):  # a mail client's one click
            return 200, self.registration.unsubscribe(token)
        context = addressed_page_context(request)
        try:  # the page's button, in a browser
            self.registration.unsubscribe(token)
        except RemoteError as exc:
            if exc.exc_type not in REMOTE_ERRORS:
                raise
            status = REMOTE_ERRORS[exc.exc_type].status
            return languages(render("unsubscribed.html", status=status, failed=True, **context))
        return languages(render("unsubscribed.html", failed=False, **context))

    @api(
        "GET",
        UNSUBSCRIBE,
        doc=Doc(
            "The page of the unsubscribe link: a button that posts to the same address",
            tag="subscriptions",
            auth=PUBLIC,
            media="text/html",
            returns="The page (visiting it changes nothing)",
            description="In French or English: ?lang=fr or ?lang=en (its switcher) if given, else the "
            "browser's Accept-Language; the address stays the email's, the same in every language.",
        ),
    )
    def unsubscribe_page(self, request, token):
        return languages(render("unsubscribe.html", **addressed_page_context(request)))


def languages(answer):
    """A page whose language follows the browser's Accept-Language says so to caches."""
    answer.headers["Vary"] = "Accept-Language"
    return answer
