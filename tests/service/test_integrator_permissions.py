"""The integrator account the README describes can read events and cannot publish any (real RabbitMQ)."""

import uuid
from urllib.parse import quote, urlsplit

import pika
import pytest
import requests
from pika.exceptions import ChannelClosedByBroker

EXCHANGE = "registration.events"


@pytest.fixture
def integrator(rabbit_server, amqp_uri):
    """A user ``crm-…`` with the permissions the README gives integrators, on this test's vhost."""
    api, vhost = rabbit_server[1].rstrip("/"), urlsplit(amqp_uri).path.lstrip("/")
    name, password = f"crm-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    requests.put(
        f"{api}/api/users/{name}", json={"password": password, "tags": ""}, timeout=10
    ).raise_for_status()
    prefix = f"^{name}\\..*"
    permissions = {"configure": prefix, "write": prefix, "read": f"^({name}\\..*|[a-z]+\\.events)$"}
    url = f"{api}/api/permissions/{quote(vhost, safe='')}/{name}"
    requests.put(url, json=permissions, timeout=10).raise_for_status()
    host = urlsplit(api).hostname
    params = pika.URLParameters(f"amqp://{name}:{password}@{host}:5672/{quote(vhost, safe='')}")
    yield name, params
    requests.delete(f"{api}/api/users/{name}", timeout=10)


def test_an_integrator_binds_its_own_queue_and_cannot_publish_an_event(integrator, amqp_uri):
    with pika.BlockingConnection(pika.URLParameters(amqp_uri.replace("pyamqp", "amqp"))) as platform:
        platform.channel().exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    name, params = integrator
    with pika.BlockingConnection(params) as conn:
        channel = conn.channel()
        channel.exchange_declare(EXCHANGE, exchange_type="topic", passive=True)
        channel.queue_declare(f"{name}.registrations", durable=True)
        channel.queue_bind(f"{name}.registrations", EXCHANGE, routing_key="registration_confirmed")
        with pika.BlockingConnection(pika.URLParameters(amqp_uri.replace("pyamqp", "amqp"))) as platform:
            platform.channel().basic_publish(EXCHANGE, "registration_confirmed", b'{"id": "1"}')
        for _ in range(50):
            method, _, body = channel.basic_get(f"{name}.registrations", auto_ack=True)
            if method is not None:
                break
            conn.sleep(0.1)
        assert body == b'{"id": "1"}'
        channel.confirm_delivery()
        with pytest.raises(ChannelClosedByBroker) as refused:
            channel.basic_publish(EXCHANGE, "management_link_requested", b"{}")
        assert refused.value.reply_code == 403
