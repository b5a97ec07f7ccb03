"""Every consumer of the platform comes back within a couple of seconds of the broker's return.

kombu's consumers back off 2, 4, 6, ... up to 30 s between attempts: after an outage a service sat idle
for up to half a minute with the broker back and its queue filling (the broker outage fault test waited
on it). Each consumer here (a service's RPC requests, its event handlers, a caller's replies) is pointed
at a port where no broker listens and its attempts are counted: none is more than RECONNECT's cap apart.
"""

import kombu.exceptions
import pytest

from gateway.rpc import TimedRpcProxy
from harness.stack import free_port
from kit.broker import RECONNECT
from kit.handlers import EventHandler
from kit.rpc import ReplyListener, RpcConsumer


class Container:
    """What a queue consumer asks of its container before it consumes anything."""

    def __init__(self, amqp_uri):
        self.config, self.shared_extensions = {"AMQP_URI": amqp_uri}, {}


CONSUMERS = {
    "rpc requests": RpcConsumer.queue_consumer,
    "event handlers": EventHandler.queue_consumer,
    "replies": ReplyListener.queue_consumer,
    "the gateway's replies": TimedRpcProxy.rpc_reply_listener.queue_consumer,
}


@pytest.mark.parametrize("which", CONSUMERS)
def test_a_consumer_tries_the_broker_again_every_couple_of_seconds_at_most(which):
    uri = f"pyamqp://guest:guest@127.0.0.1:{free_port()}//"
    container = Container(uri)  # held: an extension keeps only a weak reference to it
    consumer = CONSUMERS[which].bind(container)
    consumer.connect_max_retries = 2
    waits = []
    consumer.on_connection_error = lambda exc, interval: waits.append(interval)
    with pytest.raises(kombu.exceptions.OperationalError), consumer.establish_connection():
        pass
    assert len(waits) == 2
    assert max(waits) <= RECONNECT["interval_max"], waits
