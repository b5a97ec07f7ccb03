"""What the public pages read is kept in the gateway (gateway/reads.py), through the real gateway in front
of the fake registration service: a page seen again asks nothing; the gateway's own changes are never shown
stale (a registration forgets its forum's page only, an organiser's change the whole service); the JSON API
and quiet calls neither keep nor forget."""

import pytest

from .gateway_support import FAKE, FORUM, FORUM_ID, ORGANISER, PERSON, Api, running_gateway


@pytest.fixture(scope="module")
def kept_gateway(rabbit_server, vhosts):
    # kept for longer than any test lasts: what a test sees kept is kept by design, not by timing
    with running_gateway(
        rabbit_server, vhosts, overrides={"PUBLIC_READ_FRESH": 60, "PUBLIC_READ_STALE": 120}
    ) as url:
        yield url


@pytest.fixture
def api(kept_gateway):
    """The gateway with nothing kept: an organiser's change forgets every registration answer."""
    FAKE.reset()
    client = Api(kept_gateway)
    assert (
        client("PATCH", f"/api/v1/forums/{FORUM_ID}", token=ORGANISER, json={"capacity": 50}).status_code
        == 200
    )
    FAKE.reset()
    return client


def asked(method):
    return sum(1 for called, _ in FAKE.calls if called == method)


def words(response):
    assert response.status_code == 200, response.text
    return response.text


def test_a_page_seen_again_asks_nothing_and_shows_what_was_kept(api):
    assert "Forum &lt;b&gt;de&lt;/b&gt; test" in words(api("GET", "/"))
    FAKE.replies["list_forums"] = {"items": [FORUM | {"title": "Renamed elsewhere"}], "next_cursor": None}
    for path in ("/", "/?lang=fr", "/en/"):  # the same call, whatever the page's language
        assert "Renamed elsewhere" not in words(api("GET", path))
    assert asked("list_forums") == 1
    words(api("GET", f"/forums/{FORUM_ID}"))
    words(api("GET", f"/forums/{FORUM_ID}"))
    assert asked("get_forum") == 1


def test_a_registration_forgets_its_forums_page_and_not_the_list(api):
    words(api("GET", "/"))
    words(api("GET", f"/forums/{FORUM_ID}"))
    FAKE.replies["get_forum"] = FORUM | {"seats_left": 0, "waitlist_length": 1}
    FAKE.replies["list_forums"] = {"items": [FORUM | {"seats_left": 0}], "next_cursor": None}
    sent = api("POST", f"/api/v1/forums/{FORUM_ID}/registrations", json=PERSON)
    assert sent.status_code == 201, sent.text
    assert "Complet" in words(api("GET", f"/forums/{FORUM_ID}"))  # the registrant's own reload: fresh
    assert asked("get_forum") == 2
    assert "3 place(s)" in words(api("GET", "/"))  # the list waits for its few seconds
    assert asked("list_forums") == 1


def test_an_organisers_change_forgets_everything_of_the_service(api):
    words(api("GET", "/"))
    words(api("GET", f"/forums/{FORUM_ID}"))
    FAKE.replies["get_forum"] = FORUM | {"title": "Nouveau titre"}
    FAKE.replies["list_forums"] = {"items": [FORUM | {"title": "Nouveau titre"}], "next_cursor": None}
    assert api("POST", f"/api/v1/forums/{FORUM_ID}/close", token=ORGANISER).status_code == 200
    assert "Nouveau titre" in words(api("GET", "/"))
    assert "Nouveau titre" in words(api("GET", f"/forums/{FORUM_ID}"))
    assert (asked("list_forums"), asked("get_forum")) == (2, 2)


def test_the_api_never_keeps_and_quiet_calls_never_forget(api):
    words(api("GET", "/"))
    for _ in range(2):
        assert api("GET", f"/api/v1/forums/{FORUM_ID}").status_code == 200
    assert asked("get_forum") == 2  # every API read asks the service
    assert api("GET", "/api/v1/ping").status_code == 200
    assert api("GET", "/health/ready").status_code in (200, 503)  # no other service here: not ready
    words(api("GET", "/"))
    assert asked("list_forums") == 1
