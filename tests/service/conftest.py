"""Service tier: one nameko container at a time on the real RabbitMQ (a vhost per test) and the real
PostgreSQL (a database per session), with a real SMTP server (aiosmtpd) receiving the emails.
Nothing is mocked; other services are stood in for by publishing or reading their events directly.
"""

from contextlib import contextmanager

import pytest
from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ServiceRpcProxy

from harness.testing import publish_signed
from services.notification.service import NotificationService
from services.registration.service import RegistrationService

from .gateway_support import FAKE, Api, running_gateway
from .registration_support import Bus, Proxies


@pytest.fixture
def registration_container(container_factory, service_config):
    container = container_factory(RegistrationService, service_config)
    container.start()
    return container


@pytest.fixture
def registration(registration_container, service_config):
    with ServiceRpcProxy("registration", service_config, timeout=30) as proxy:
        yield proxy


@pytest.fixture
def proxies(registration_container, service_config):
    pool = Proxies(service_config)
    yield pool
    pool.close()


@pytest.fixture
def bus(service_config):
    """Declared before the test acts, so that no event is missed."""
    listener = Bus(service_config["AMQP_URI"])
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def gateway_url(rabbit_server, vhosts):
    """One gateway per test module, in front of the fake registration service."""
    with running_gateway(rabbit_server, vhosts) as url:
        yield url


@pytest.fixture
def api(gateway_url):
    FAKE.reset()
    return Api(gateway_url)


@pytest.fixture
def notification(container_factory, service_config):
    container = container_factory(NotificationService, service_config)
    container.start()
    return container


@contextmanager
def relay_of(config, source):
    """Publish envelopes as ``source``'s outbox relay would (signed with the shared key)."""
    with Connection(config["AMQP_URI"]) as conn:
        producer = Producer(conn.default_channel, exchange=get_event_exchange(source, {}))

        def send(*envelopes):
            for envelope in envelopes:
                publish_signed(producer, config["SECRET_KEY"], envelope, envelope["type"], delivery_mode=2)

        yield send


@pytest.fixture
def publish(service_config):
    with relay_of(service_config, "registration") as send:
        yield send


@pytest.fixture
def publish_topics(service_config):
    with relay_of(service_config, "topics") as send:
        yield send


@pytest.fixture
def publish_restitution(service_config):
    with relay_of(service_config, "restitution") as send:
        yield send
