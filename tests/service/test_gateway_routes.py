"""Each route of the gateway over real HTTP: what reaches the (fake) registration service, and what
the client gets back. The fake and its gateway come from ``test_gateway``."""

from .gateway_support import FAKE, FORUM, FORUM_ID, FORUM_IN, ORGANISER, PERSON, REGISTRATION_ID, TOKEN


def test_creating_a_forum_sends_the_validated_forum_with_its_defaults(api):
    quotas = {"civil_society": 10, "citizen": 5}
    created = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"quotas": quotas})
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/forums/{FORUM_ID}"
    (sent,) = FAKE.args("create_forum")
    venue = FORUM_IN["venue"] | {"accessibility": ""}
    defaults = {"timezone": "Europe/Paris", "status": "open", "description": "", "venue": venue}
    assert sent == FORUM_IN | defaults | {"quotas": quotas}
    refused = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"quotas": {"citizen": 51}})
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"quotas"}


def test_forums_are_listed_and_read_by_anyone_and_organisers_also_see_drafts(api):
    cursor = "forums.63904406400000000." + "0" * 32
    listed = api("GET", f"/api/v1/forums?when=past&limit=5&cursor={cursor}")
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == FORUM_ID
    assert FAKE.args("list_forums") == ["past", 5, cursor, False]
    api("GET", "/api/v1/forums", token=ORGANISER)
    assert FAKE.args("list_forums") == ["upcoming", 20, None, True]
    api("GET", "/api/v1/forums", token=TOKEN)  # a participant is the public here
    assert FAKE.args("list_forums")[-1] is False
    assert api("GET", f"/api/v1/forums/{FORUM_ID.upper()}").json()["id"] == FORUM_ID
    assert FAKE.args("get_forum") == [FORUM_ID, False]
    assert api("GET", "/api/v1/forums/forum-de-test", token=ORGANISER).status_code == 200
    assert FAKE.args("get_forum") == ["forum-de-test", True]


def test_organisers_change_open_close_hold_and_cancel_a_forum(api):
    changed = api("PATCH", f"/api/v1/forums/{FORUM_ID}", token=ORGANISER, json={"capacity": 80})
    assert changed.status_code == 200 and FAKE.args("update_forum") == [FORUM_ID, {"capacity": 80}]
    for refused in ({}, {"status": "open"}, {"venue": {"city": "Lyon"}}, {"slug": "Not a slug"}):
        assert api("PATCH", f"/api/v1/forums/{FORUM_ID}", token=ORGANISER, json=refused).status_code == 400
    for action in ("open", "close", "hold"):
        assert api("POST", f"/api/v1/forums/{FORUM_ID}/{action}", token=ORGANISER).json() == FORUM
        assert FAKE.args(f"{action}_forum") == [FORUM_ID, None]  # no body: no reason
    moved = api(
        "POST", f"/api/v1/forums/{FORUM_ID}/close", token=ORGANISER, json={"reason": "Jauge atteinte"}
    )
    assert moved.status_code == 200 and FAKE.args("close_forum") == [FORUM_ID, "Jauge atteinte"]
    cancel = f"/api/v1/forums/{FORUM_ID}/cancel"
    assert api("POST", cancel, token=ORGANISER, json={"reason": ""}).status_code == 400
    assert api("POST", cancel, token=ORGANISER, json={"reason": "Grève"}).status_code == 200
    assert FAKE.args("cancel_forum") == [FORUM_ID, "Grève"]


def test_anyone_registers_with_consents_defaulted(api):
    answer = api("POST", f"/api/v1/forums/{FORUM_ID}/registrations", json=PERSON)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"/api/v1/registrations/{REGISTRATION_ID}"
    (forum_id, sent) = FAKE.args("register")
    assert forum_id == FORUM_ID
    assert sent == PERSON | {
        "locale": "fr",
        "organisation": "",
        "accessibility_needs": "",
        "consent_attend": True,
        "consent_updates": False,
        "consent_public_list": False,
    }


def test_organisers_see_registrations_counts_and_the_csv(api):
    listing = api(
        "GET", f"/api/v1/forums/{FORUM_ID}/registrations?status=waitlisted&group=company", token=ORGANISER
    )
    assert listing.json()["next_cursor"] == "opaque:2"
    assert listing.headers["Cache-Control"] == "no-store"
    assert FAKE.args("list_registrations") == [FORUM_ID, "waitlisted", "company", 20, None]
    csv = api("GET", f"/api/v1/forums/{FORUM_ID}/registrations.csv", token=ORGANISER)
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.headers["Content-Disposition"] == f'attachment; filename="registrations-{FORUM_ID}.csv"'
    assert csv.content.decode("utf-8") == FAKE.replies["registrations_csv"]
    summary = api("GET", f"/api/v1/forums/{FORUM_ID}/registrations/summary", token=ORGANISER)
    assert summary.json() == {"forum_id": FORUM_ID}
    assert api("GET", f"/api/v1/forums/{FORUM_ID}/participants").json()[0]["first_name"] == "Ana"


def test_the_door_checks_people_in_by_a_normalised_code(api):
    door = f"/api/v1/forums/{FORUM_ID}/check-ins"
    answer = api("POST", door, token=ORGANISER, json={"code": "  k7p3qx9a "})
    assert answer.status_code == 200 and answer.json()["already_checked_in"] is False
    assert FAKE.args("check_in") == [FORUM_ID, "K7P3QX9A"]
    assert set(api("POST", door, token=ORGANISER, json={"code": "<script>"}).json()["errors"]) == {"code"}
    attendance = api("GET", f"/api/v1/forums/{FORUM_ID}/attendance", token=ORGANISER)
    assert attendance.json()["totals"] == {"confirmed": 1, "checked_in": 0}


def test_a_registration_is_read_and_cancelled_by_its_person_or_an_organiser(api):
    path = f"/api/v1/registrations/{REGISTRATION_ID}"
    assert api("GET", path, token=TOKEN).headers["Cache-Control"] == "no-store"
    assert FAKE.args("get_registration") == [REGISTRATION_ID, TOKEN]
    assert api("GET", path, token=ORGANISER).status_code == 200
    assert FAKE.args("get_registration") == [REGISTRATION_ID, None]
    assert api("DELETE", path, token=TOKEN).json()["id"] == REGISTRATION_ID
    assert FAKE.args("cancel_registration") == [REGISTRATION_ID, TOKEN]
    assert api("DELETE", path, token=ORGANISER).status_code == 200
    assert FAKE.args("cancel_registration") == [REGISTRATION_ID, None]
    consents = api("PATCH", f"{path}/consents", token=TOKEN, json={"consent_public_list": True})
    assert consents.status_code == 200
    assert FAKE.args("update_consents") == [TOKEN, REGISTRATION_ID, {"consent_public_list": True}]
    assert api("PATCH", f"{path}/consents", token=TOKEN, json={}).status_code == 400


def test_a_person_exports_and_erases_their_data_and_organisers_erase_on_request(api):
    # no topics service runs here: the export does not pretend it holds nothing (test_gateway_topics)
    export = api("GET", "/api/v1/people/me", token=TOKEN)
    assert (export.status_code, export.headers["Retry-After"]) == (503, "5"), export.text
    assert "topics is not running" in export.json()["detail"]
    assert FAKE.args("me") == [TOKEN]
    assert api("DELETE", "/api/v1/people/me", token=TOKEN).json() == {"erased": True}
    assert FAKE.args("erase_me") == [TOKEN]
    erasure = api("POST", "/api/v1/people/erasures", token=ORGANISER, json={"email": "b@example.org"})
    assert erasure.json() == {"erased": False} and FAKE.args("erase_person") == ["b@example.org"]


def test_asking_for_a_link_or_a_subscription_tells_nothing_about_the_address(api):
    link = api("POST", "/api/v1/people/management-link", json={"email": "c@example.org"})
    assert (link.status_code, link.json()) == (202, {"status": "accepted"})
    assert FAKE.args("request_management_link") == ["c@example.org"]
    assert api("POST", "/api/v1/people/management-link", json={"email": "nope"}).status_code == 400
    subscribed = api("POST", "/api/v1/subscriptions", json={"email": "d@example.org", "locale": "en"})
    # the fake says "confirmed" (already in): the answer must not tell
    assert (subscribed.status_code, subscribed.json()) == (202, {"status": "pending"})
    (sent,) = FAKE.args("subscribe")
    assert sent == {
        "email": "d@example.org",
        "locale": "en",
        "first_name": "",
        "last_name": "",
        "stakeholder_group": None,
    }


def test_subscriptions_are_confirmed_with_the_link_token_and_ended_in_one_click(api):
    assert api("POST", "/api/v1/subscriptions/confirm", token=TOKEN).json()["status"] == "confirmed"
    assert FAKE.args("confirm_subscription") == [TOKEN]
    one_click = api("POST", f"/api/v1/unsubscribe/{TOKEN}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and one_click.headers["Content-Type"] == "application/json"
    assert FAKE.args("unsubscribe") == [TOKEN]
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = api("POST", f"/api/v1/unsubscribe/{TOKEN}", headers=browser)
    assert page.headers["Content-Type"].startswith("text/html") and "désabonné" in page.text
    FAKE.failure = ("InvalidToken", "expired")
    failed = api("POST", f"/api/v1/unsubscribe/{TOKEN}", headers=browser)
    assert failed.status_code == 401 and "pas valide" in failed.text
