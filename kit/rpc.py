"""RPC entrypoints that ride out a broker outage instead of killing their service.

nameko's RPC entrypoint publishes its reply from the worker; if the broker has gone away meanwhile, the
publish raises in the worker thread and nameko kills the whole container ("killing N active workers"),
which then idles until the broker returns and only then exits. Here a reply that cannot be published is
logged and the request is left unacknowledged: the broker puts it back in the queue when the connection
drops, and it is delivered again once the broker is back. A command comes back with the same
idempotency key, so it answers again what it did, without acting twice (``kit.idempotency``); the caller
has long stopped waiting, having been told 503. Every service declares its RPC methods with this ``rpc``
(one consumer per service: nameko's and this one must not be mixed in a service).

A reply is published without waiting for the broker's confirm (nameko waits for one per reply, a round
trip to the broker on every call): a reply lost on its way is a caller that stops waiting at its RPC
timeout, exactly as if it had been confirmed and the caller's queue had gone meanwhile, and a command
asked again with its idempotency key answers what it did the first time. A reply that cannot be written
to the broker at all still raises, as above.
"""

import logging

from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)

from kit.broker import BROKER_DOWN, PromptQueueConsumer

log = logging.getLogger(__name__)


class UnconfirmedPublisher(Publisher):
    use_confirms = False


class Responder(nameko_rpc.Responder):
    publisher_cls = UnconfirmedPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = PromptQueueConsumer()

    def reply(self, message, result, exc_info):
        """nameko's ``handle_result``, with the ``Responder`` above."""
        config = self.container.config
        responder = Responder(
            config[AMQP_URI_CONFIG_KEY],
            nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def handle_result(self, message, result, exc_info):
        try:
            return self.reply(message, result, exc_info)
        except BROKER_DOWN as exc:
            key = (message.delivery_info or {}).get("routing_key")
            log.warning(
                "no reply to %s, the broker is unreachable (%s): it will be delivered again", key, exc
            )
            return result, exc_info


class ReplyListener(nameko_rpc.ReplyListener):
    """Where a caller's replies arrive: back promptly after an outage, like every consumer here."""

    queue_consumer = PromptQueueConsumer()


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
