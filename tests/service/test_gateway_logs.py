"""What the gateway's access log keeps of an organiser's search by address: that it was made, not whom
it was about. A real gateway in front of a fake notification service; the log is captured as written."""

import logging

import pytest

from harness.testing import wait_until

from .gateway_support import ORGANISER, Api, Fake, fake_service, running_gateway

FAKE = Fake({"list_deliveries": {"items": [], "next_cursor": None}})
FakeNotification = fake_service("notification", FAKE)


@pytest.fixture(scope="module")
def api(rabbit_server, vhosts):
    with running_gateway(rabbit_server, vhosts, FakeNotification) as url:
        yield Api(url)


def test_an_organisers_search_by_recipient_leaves_no_address_in_the_access_log(api, caplog):
    caplog.set_level(logging.INFO)
    FAKE.reset()
    address = "camille.private@example.org"
    answer = api("GET", "/api/v1/notifications?limit=5&recipient=Camille.Private%40example.org", ORGANISER)
    assert answer.status_code == 200
    assert FAKE.args("list_deliveries")[2].lower() == address  # the search itself still had the address

    def access_line():
        lines = [r.getMessage() for r in caplog.records if "/api/v1/notifications?" in r.getMessage()]
        return lines[0] if lines else None

    line = wait_until(access_line, message="the request's access log line")
    assert "limit=5&recipient=…" in line and " 200 " in line, line
    assert "camille" not in caplog.text.lower() and "private" not in caplog.text.lower()
