"""The notification routes through the real gateway, in front of a fake notification service that
answers from canned values and records what it was asked: who may call, what is validated, how the
service's errors are answered."""

import uuid

import pytest

from .gateway_support import ORGANISER, TOKEN, Api, Fake, fake_service, running_gateway

FORUM_ID = str(uuid.uuid4())
DELIVERY = {"id": 7, "template": "registration_confirmed", "recipient": "a@example.org", "locale": "fr"}
DELIVERY |= {"forum_id": FORUM_ID, "status": "pending", "attempts": 0, "last_error": None}
PREVIEW = {"template": "forum_updated", "locale": "en", "subject": "New date", "text": "Hello <Camille>"}
PREVIEW |= {"html": "<!DOCTYPE html><p>Hello &lt;Camille&gt;</p>"}
DEAD_LETTER = {"id": 3, "queue": "evt-registration-registration_confirmed--notification.handle_x"}
DEAD_LETTER |= {
    "event_type": "registration_confirmed",
    "reason": "invalid",
    "errors": {"person": ["Missing"]},
}
REPLIES = {
    "list_deliveries": {"items": [DELIVERY], "next_cursor": "deliveries.7"},
    "delivery_summary": {"forum_id": FORUM_ID, "totals": {"failed": 2}},
    "retry_delivery": DELIVERY,
    "retry_failed": {"forum_id": FORUM_ID, "retried": 2},
    "list_templates": ["forum_updated", "registration_confirmed"],
    "preview_template": PREVIEW,
    "list_dead_letters": {"items": [DEAD_LETTER], "next_cursor": "dead-letters.3"},
    "get_dead_letter": DEAD_LETTER | {"body": '{"id": "e1"}', "content_type": "application/json"},
}


FAKE = Fake(REPLIES)
FakeNotification = fake_service("notification", FAKE)


@pytest.fixture(scope="module")
def gateway_url(rabbit_server, vhosts):
    with running_gateway(rabbit_server, vhosts, FakeNotification) as url:
        yield url


@pytest.fixture
def api(gateway_url):
    FAKE.reset()
    return Api(gateway_url)


ROUTES = [
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/notifications/summary"),
    ("POST", "/api/v1/notifications/7/retry"),
    ("POST", "/api/v1/notifications/retry"),
    ("GET", "/api/v1/notifications/templates"),
    ("GET", "/api/v1/notifications/templates/forum_updated/preview"),
    ("GET", "/api/v1/notifications/dead-letters"),
    ("GET", "/api/v1/notifications/dead-letters/3"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_only_organisers_may_call(api, method, path):
    assert api(method, path).status_code == 401
    assert api(method, path, token=TOKEN).status_code == 403
    assert FAKE.calls == []


def test_the_log_is_listed_with_its_filters_and_not_cached(api):
    answer = api(
        "GET",
        f"/api/v1/notifications?forum_id={FORUM_ID.upper()}&status=failed&recipient=A@example.org&limit=5"
        "&cursor=deliveries.7",
        token=ORGANISER,
    )
    assert answer.status_code == 200 and answer.json()["items"] == [DELIVERY]
    assert answer.headers["Cache-Control"] == "no-store"
    assert FAKE.args("list_deliveries") == [FORUM_ID, "failed", "A@example.org", 5, "deliveries.7"]
    api("GET", "/api/v1/notifications", token=ORGANISER)
    assert FAKE.args("list_deliveries") == [None, None, None, 20, None]


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=lost", "status"),
        ("forum_id=not-an-id", "forum_id"),
        ("recipient=nobody", "recipient"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("surprise=1", "surprise"),
    ],
)
def test_bad_filters_are_refused_before_the_service_is_asked(api, query, field):
    answer = api("GET", f"/api/v1/notifications?{query}", token=ORGANISER)
    assert answer.status_code == 400 and field in answer.json()["errors"]
    assert FAKE.calls == []


def test_the_summary_may_be_of_one_forum(api):
    assert api("GET", f"/api/v1/notifications/summary?forum_id={FORUM_ID}", token=ORGANISER).json()[
        "totals"
    ] == {"failed": 2}
    assert FAKE.args("delivery_summary") == [FORUM_ID]


def test_retrying_one_message_and_a_forum(api):
    assert api("POST", "/api/v1/notifications/7/retry", token=ORGANISER).json() == DELIVERY
    assert FAKE.args("retry_delivery") == [7]
    answer = api("POST", "/api/v1/notifications/retry", token=ORGANISER, json={"forum_id": FORUM_ID})
    assert answer.json() == {"forum_id": FORUM_ID, "retried": 2}
    assert FAKE.args("retry_failed") == [FORUM_ID]


@pytest.mark.parametrize("body", [{}, {"forum_id": "x"}, {"forum_id": FORUM_ID, "all": True}])
def test_retrying_a_forum_needs_its_id(api, body):
    answer = api("POST", "/api/v1/notifications/retry", token=ORGANISER, json=body)
    assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/problem+json"
    assert FAKE.calls == []


def test_a_malformed_message_id_is_not_found(api):
    for number in ("seven", "-1", "1" * 19, "\u00b2", "\u0663"):  # "²".isdigit() is true
        assert api("POST", f"/api/v1/notifications/{number}/retry", token=ORGANISER).status_code == 404
    assert FAKE.calls == []


@pytest.mark.parametrize(
    "error, method, path, status",
    [
        ("DeliveryNotFound", "POST", "/api/v1/notifications/7/retry", 404),
        ("NotRetryable", "POST", "/api/v1/notifications/7/retry", 409),
        ("InvalidCursor", "GET", "/api/v1/notifications?cursor=deliveries.9", 400),
        ("InvalidFilter", "GET", "/api/v1/notifications/summary", 400),
        ("TemplateNotFound", "GET", "/api/v1/notifications/templates/nothing/preview", 404),
        ("UnsupportedLocale", "GET", "/api/v1/notifications/templates/forum_updated/preview", 400),
        ("InvalidCursor", "GET", "/api/v1/notifications/dead-letters?cursor=dead-letters.9", 400),
        ("DeadLetterNotFound", "GET", "/api/v1/notifications/dead-letters/3", 404),
    ],
)
def test_the_service_errors_are_answered_as_problems(api, error, method, path, status):
    FAKE.failure = (error, "as the service said")
    answer = api(method, path, token=ORGANISER)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == status and answer.json()["detail"] == "as the service said"


def test_templates_are_listed(api):
    answer = api("GET", "/api/v1/notifications/templates", token=ORGANISER)
    assert answer.json() == {"templates": REPLIES["list_templates"]}


def test_a_preview_is_json_by_default_or_the_page_or_the_text(api):
    path = "/api/v1/notifications/templates/forum_updated/preview"
    assert api("GET", path, token=ORGANISER).json() == PREVIEW
    assert FAKE.args("preview_template") == ["forum_updated", "fr"]
    page = api("GET", path + "?locale=en&format=html", token=ORGANISER)
    assert page.headers["Content-Type"].startswith("text/html") and page.text == PREVIEW["html"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert FAKE.args("preview_template") == ["forum_updated", "en"]
    text = api("GET", path + "?format=text", token=ORGANISER)
    assert text.headers["Content-Type"].startswith("text/plain") and text.text == PREVIEW["text"]


@pytest.mark.parametrize("query, field", [("locale=de", "locale"), ("format=pdf", "format")])
def test_a_preview_in_an_unknown_locale_or_format_is_refused(api, query, field):
    answer = api("GET", f"/api/v1/notifications/templates/forum_updated/preview?{query}", token=ORGANISER)
    assert answer.status_code == 400 and field in answer.json()["errors"]
    assert FAKE.calls == []


def test_dead_letters_are_listed_without_bodies_and_shown_one_by_one_with_it(api):
    answer = api("GET", "/api/v1/notifications/dead-letters?limit=5&cursor=dead-letters.3", token=ORGANISER)
    assert answer.status_code == 200 and answer.json() == REPLIES["list_dead_letters"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert FAKE.args("list_dead_letters") == [5, "dead-letters.3"]
    api("GET", "/api/v1/notifications/dead-letters", token=ORGANISER)
    assert FAKE.args("list_dead_letters") == [20, None]
    one = api("GET", "/api/v1/notifications/dead-letters/3", token=ORGANISER)
    assert one.status_code == 200 and one.json() == REPLIES["get_dead_letter"]
    assert one.headers["Cache-Control"] == "no-store"
    assert FAKE.args("get_dead_letter") == [3]


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("reason=x", "reason"),
        ("cursor=dead-letters.99999999999999999999", "cursor"),  # beyond a bigint
        ("cursor=deliveries.3", "cursor"),  # another listing's
    ],
)
def test_bad_dead_letter_pages_are_refused_before_the_service_is_asked(api, query, field):
    answer = api("GET", f"/api/v1/notifications/dead-letters?{query}", token=ORGANISER)
    assert answer.status_code == 400 and field in answer.json()["errors"]
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert FAKE.calls == []


def test_a_malformed_dead_letter_id_is_not_found(api):
    for number in ("three", "-1", "1" * 19, "\u0663"):
        answer = api("GET", f"/api/v1/notifications/dead-letters/{number}", token=ORGANISER)
        assert answer.status_code == 404 and answer.headers["Content-Type"] == "application/problem+json"
    assert FAKE.calls == []
