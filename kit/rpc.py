"""RPC entrypoints that ride out a broker outage instead of killing their service.

nameko's RPC entrypoint publishes its reply from the worker; if the broker has gone away meanwhile, the
publish raises in the worker thread and nameko kills the whole container ("killing N active workers"),
which then idles until the broker returns and only then exits. Here a reply that cannot be published is
logged and the request is left unacknowledged: the broker puts it back in the queue when the connection
drops, and it is delivered again once the broker is back. A command comes back with the same
idempotency key, so it answers again what it did, without acting twice (``kit.idempotency``); the caller
has long stopped waiting, having been told 503. Every service declares its RPC methods with this ``rpc``
(one consumer per service: nameko's and this one must not be mixed in a service).
"""

import logging

from nameko import rpc as nameko_rpc

from kit.broker import BROKER_DOWN, PromptQueueConsumer

log = logging.getLogger(__name__)


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = PromptQueueConsumer()

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
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
