"""What the end-to-end tests use to act and look from outside: the HTTP API, the bus, the mailbox."""

import email
import email.policy
import json
import re
import time
import uuid
from dataclasses import dataclass

import pika
import requests

from harness.testing import wait_until

EXCHANGE = "registration.events"
LINK_SUBJECT = "Your link to manage your Open d'Etat registrations"  # the management link's email
PROBLEM = "application/problem+json"
# An emailed link ends with the token: /me/session?token=…, /subscriptions/confirm#token=…
LINK = r"{page}[#?]token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"
ATTENDEE_CODE = re.compile(r"Your attendee code : ([A-Z0-9]{8})")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def forum_payload(capacity=10):
    return {
        "title": unique("Forum ouvert"),
        "starts_at": "2027-03-01T09:00:00+01:00",
        "ends_at": "2027-03-01T17:00:00+01:00",
        "venue": {"name": "Hôtel de Ville", "address": "Place de l'Hôtel de Ville", "city": "Paris"},
        "capacity": capacity,
    }


def person(locale="en", **extra):
    tag = uuid.uuid4().hex[:10]
    return {
        "email": f"e2e-{tag}@example.org",
        "first_name": "Camille",
        "last_name": f"Martin {tag[:4]}",
        "stakeholder_group": "civil_society",
        "locale": locale,
    } | extra


class Api:
    """The HTTP API as a client sees it; each call is its own request, so it is safe in green threads."""

    def __init__(self, base_url, token):
        self.base_url = base_url
        self.token = token

    def url(self, path):
        return f"{self.base_url}/api/v1{path}"

    def create_forum(self, capacity=10, **changes):
        response = requests.post(
            self.url("/forums"),
            json=forum_payload(capacity) | changes,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=20,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def get_forum(self, forum_id):
        response = requests.get(self.url(f"/forums/{forum_id}"), timeout=20)
        assert response.status_code == 200, response.text
        return response.json()

    def register(self, forum_id, someone):
        return requests.post(self.url(f"/forums/{forum_id}/registrations"), json=someone, timeout=30)

    def call(self, method, path, token=None, **kwargs):
        """One request, as whoever holds ``token`` (a person's emailed token, the organiser's, or none)."""
        headers = kwargs.pop("headers", {}) | ({"Authorization": f"Bearer {token}"} if token else {})
        return requests.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def organiser(self, method, path, **kwargs):
        return self.call(method, path, self.token, **kwargs)

    def registered(self, forum_id, someone):
        """Register and insist it worked: the registration as answered."""
        response = self.register(forum_id, someone)
        assert response.status_code == 201, response.text
        return response.json()

    def registrations(self, forum_id, **filters):
        """Every registration of the forum (organiser listing, all pages), optionally filtered."""
        found, cursor = [], None
        while True:
            asked = filters | {"limit": 100} | ({"cursor": cursor} if cursor else {})
            response = self.organiser("GET", f"/forums/{forum_id}/registrations", params=asked)
            assert response.status_code == 200, response.text
            found += response.json()["items"]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                return found

    def waiting_list(self, forum_id):
        """The waitlisted registrations, first in line first."""
        waiting = self.registrations(forum_id, status="waitlisted")
        return sorted(waiting, key=lambda registration: registration["waitlist_position"])


def problem(response, status):
    """The problem+json body of a refusal with this status."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers["Content-Type"]
    assert response.json()["status"] == status
    return response.json()


def recipient(message):
    return message["To"].addresses[0].addr_spec.lower()


def mail_to(sink, *addresses):
    """Messages the SMTP server received so far for the given addresses, by recipient."""
    found = {address.lower(): [] for address in addresses}
    for message in sink.messages():
        if recipient(message) in found:
            found[recipient(message)].append(message)
    return found


_parsed = {}


def inbox(sink, *addresses):
    """Like ``mail_to``, but each message file is parsed once: polling a large mailbox stays cheap."""
    new = sink.directory / "new"
    paths = sorted(new.iterdir(), key=lambda path: path.stat().st_mtime_ns) if new.exists() else []
    found = {address.lower(): [] for address in addresses}
    for path in paths:
        if path not in _parsed:
            _parsed[path] = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if recipient(_parsed[path]) in found:
            found[recipient(_parsed[path])].append(_parsed[path])
    return found


def wait_for_mails(sink, expected, timeout=30.0):
    """Wait until each address has received at least its number of messages (``{address: n}``)."""
    expected = {address.lower(): count for address, count in expected.items()}
    wait_until(
        lambda: all(len(got) >= expected[a] for a, got in inbox(sink, *expected).items()),
        timeout,
        interval=0.5,
        message=f"{sum(expected.values())} emails to {len(expected)} addresses",
    )
    return inbox(sink, *expected)


def wait_for_mail(sink, addresses, timeout=30.0):
    """Wait until every address has at least one message; return the messages by recipient."""
    wait_until(
        lambda: all(mail_to(sink, *addresses).values()),
        timeout,
        message=f"an email to each of {len(addresses)} addresses",
    )
    return mail_to(sink, *addresses)


def wait_until_mail(sink, address, subject, timeout=30.0):
    """The messages to ``address`` whose subject holds ``subject``, once there is one."""
    wait_until(
        lambda: [m for m in inbox(sink, address)[address.lower()] if subject in m["Subject"]],
        timeout,
        interval=0.5,
        message=f"an email '{subject}…'",
    )
    return [m for m in inbox(sink, address)[address.lower()] if subject in m["Subject"]]


def parts(message):
    """(text, html) bodies of a multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, f"not multipart text+html: {message.get_content_type()}"
    return text.get_content(), html.get_content()


def token_from(message, page="/me/session"):
    """The token of the emailed link to ``page``, as the page's own script would read it."""
    text, markup = parts(message)
    found = re.findall(LINK.format(page=re.escape(page)), text)
    assert found, f"no {page} link in:\n{text}"
    assert found[0] in markup, "the HTML part links elsewhere"
    return found[0]


def attendee_code(message):
    found = ATTENDEE_CODE.search(parts(message)[0])
    assert found, f"no attendee code in:\n{parts(message)[0]}"
    return found.group(1)


def attachments(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def stays_true(predicate, seconds, message):
    """Fail if ``predicate`` turns false at any point during ``seconds`` (a bounded negative check)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert predicate(), message
        time.sleep(0.2)


@dataclass
class Delivery:
    routing_key: str
    properties: pika.BasicProperties
    body: bytes

    @property
    def envelope(self):
        return json.loads(self.body)


class Bus:
    """An integrator's own durable queue, bound to every event of one service (registration's by
    default), read with pika."""

    def __init__(self, amqp_uri, exchange=EXCHANGE):
        parameters = pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://", 1))
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.queue = unique("e2e-integrator")
        self.channel.queue_declare(self.queue, durable=True)
        self.channel.queue_bind(self.queue, exchange, routing_key="#")
        self.received = []

    def poll(self):
        """Everything received so far, after fetching what waits in the queue."""
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.received
            self.received.append(Delivery(method.routing_key, properties, body))

    def wait_for(self, predicate, timeout=20.0, message="an event"):
        """The first delivery whose envelope matches ``predicate``."""
        return wait_until(
            lambda: next((d for d in self.poll() if predicate(d.envelope)), None), timeout, message=message
        )

    def republish(self, delivery):
        """Send the very same message again, as the broker would on a redelivery."""
        self.channel.basic_publish(EXCHANGE, delivery.routing_key, delivery.body, delivery.properties)

    def close(self):
        self.channel.queue_delete(self.queue)
        self.connection.close()
