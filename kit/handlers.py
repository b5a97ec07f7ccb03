"""Event handlers whose queue survives restarts, retries with backoff, and dead-letters poison messages.

nameko's own handler acks and drops a message whose handler raised (or, with ``requeue_on_error``,
requeues it in a tight loop). Here each handler's queue is a durable quorum queue with a delivery limit
and a dead-letter exchange:
- an ``InvalidEvent`` (malformed body) can never succeed: it is dead-lettered at once;
- any other error is retried after a backoff that grows with the broker's ``x-delivery-count``; past
  ``max_attempts`` the broker dead-letters it.
Dead letters wait in ``<queue>.dead`` for an operator; nothing is dropped silently.
"""

import logging

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.events import SERVICE_POOL
from nameko.events import EventHandler as NamekoEventHandler

from kit.events import InvalidEvent

log = logging.getLogger(__name__)
DEAD_LETTER_EXCHANGE = Exchange("dead-letter", type="direct", durable=True)
MAX_ATTEMPTS = 8


def backoff(attempt, base=0.5, cap=30.0):
    return min(cap, base * 2**attempt)


class EventHandler(NamekoEventHandler):
    def __init__(self, source_service, event_type, max_attempts=MAX_ATTEMPTS, **kwargs):
        kwargs.setdefault("handler_type", SERVICE_POOL)
        super().__init__(source_service, event_type, **kwargs)
        self.max_attempts = max_attempts

    def setup(self):
        super().setup()
        name = self.queue.name
        self.queue = Queue(
            name,
            exchange=self.queue.exchange,
            routing_key=self.event_type,
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.max_attempts,
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
                "x-dead-letter-routing-key": name,
            },
        )
        self.dead_letter_queue = Queue(
            f"{name}.dead", exchange=DEAD_LETTER_EXCHANGE, routing_key=name, durable=True
        )

    def start(self):
        # The dead-letter queue must exist before anything is dead-lettered, or the broker drops it.
        with Connection(self.container.config["AMQP_URI"]) as conn:
            self.dead_letter_queue(conn.default_channel).declare()
        super().start()

    def handle_message_processed(self, message, result=None, exc_info=None):
        if message.channel.connection is None:
            return  # the broker has already taken the message back
        if exc_info is None:
            message.ack()
        elif isinstance(exc_info[1], InvalidEvent):
            log.error("dead-lettering invalid %s event: %s", self.event_type, exc_info[1])
            message.reject(requeue=False)
        else:
            attempt = int((message.headers or {}).get("x-delivery-count", 0))
            eventlet.sleep(backoff(attempt))
            message.requeue()


event_handler = EventHandler.decorator
