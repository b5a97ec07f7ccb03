"""Event handlers whose queue survives restarts, retries with backoff, and dead-letters poison messages.

nameko's own handler acks and drops a message whose handler raised (or, with ``requeue_on_error``,
requeues it in a tight loop). Here each handler's queue is a durable quorum queue with a delivery limit
and a dead-letter exchange:
- an ``InvalidEvent`` (malformed body) can never succeed: it is recorded at once in the service's
  ``dead_letters`` table, with its per-field errors, then acked;
- a body that cannot even be decoded (not JSON) is rejected: the broker moves it to ``<queue>.dead``;
- any other error is retried after a backoff that grows with the broker's ``x-delivery-count``
  (``EVENT_RETRY_BASE`` and ``EVENT_RETRY_CAP`` seconds); the broker allows ``max_attempts`` returns, so
  after ``max_attempts + 1`` attempts it dead-letters the message to ``<queue>.dead``.
Each handler also consumes its ``<queue>.dead`` and records what arrives there in the same table (see
``kit.dead_letters``), so organisers see every dead letter; nothing is dropped silently. If the database
cannot take an invalid event's row, the event is rejected to ``<queue>.dead`` instead and recorded from
there once it can.

``max_attempts`` is fixed when the queue is first declared: the broker refuses to declare it again with
another limit (406 PRECONDITION_FAILED).
"""

import logging
import time
from functools import partial

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.events import SERVICE_POOL
from nameko.events import EventHandler as NamekoEventHandler
from nameko.messaging import QueueConsumer as NamekoQueueConsumer

from kit import dead_letters
from kit.db import Database, Db
from kit.events import InvalidEvent

log = logging.getLogger(__name__)
DEAD_LETTER_EXCHANGE = Exchange("dead-letter", type="direct", durable=True)
MAX_ATTEMPTS = 8
RECORD_RETRY_SECONDS = 5.0  # the database is down: wait before the dead letter is tried again
STOP_WAIT_SECONDS = 10.0


def backoff(attempt, base=0.5, cap=30.0):
    return min(cap, base * 2**attempt)


def service_db(container):
    """The service's one ``Database``: where its dead letters are recorded."""
    found = [dependency for dependency in container.dependencies if isinstance(dependency, Database)]
    if len(found) != 1:
        raise RuntimeError(f"{container.service_name}: event handlers need exactly one Database dependency")
    return Db(found[0])


class DeadLetterConsumer:
    """Takes the messages of a handler's ``<queue>.dead`` (through the handler's queue consumer) and
    records each one, acking it only once its row is committed."""

    def __init__(self, handler):
        self.handler = handler
        name = handler.queue.name
        self.queue = Queue(f"{name}.dead", exchange=DEAD_LETTER_EXCHANGE, routing_key=name, durable=True)
        self.in_hand = 0

    def handle_message(self, body, message, errors=None):
        """Runs in a thread of the container, one per message."""
        handler = self.handler
        self.in_hand += 1
        try:
            with handler.db.transaction() as cur:
                dead_letters.record_dead(cur, message, handler.queue.name, handler.max_attempts, errors)
        except Exception:
            log.exception("could not record a dead letter of %s; trying again later", handler.queue.name)
            eventlet.sleep(RECORD_RETRY_SECONDS)
            handler.queue_consumer.requeue_message(message)
        else:
            handler.queue_consumer.ack_message(message)
        finally:
            self.in_hand -= 1

    def wait_idle(self, timeout=STOP_WAIT_SECONDS):
        deadline = time.monotonic() + timeout
        while self.in_hand and time.monotonic() < deadline:
            eventlet.sleep(0.05)


class QueueConsumer(NamekoQueueConsumer):
    """nameko's, except that a body it cannot decode is dead-lettered, not acked and dropped: rejected from
    a handler's queue (the broker moves it to ``<queue>.dead``), then recorded from there as it is."""

    def on_decode_error(self, message, exc):
        tag = (message.delivery_info or {}).get("consumer_tag")
        provider = next((p for p, c in self._consumers.items() if tag in c._active_tags.values()), None)
        if isinstance(provider, DeadLetterConsumer):
            errors = {"body": [f"cannot be decoded: {exc}"]}
            self.container.spawn_managed_thread(partial(provider.handle_message, None, message, errors))
        elif isinstance(provider, EventHandler):
            log.error("dead-lettering a message of %s that cannot be decoded: %s", provider.queue.name, exc)
            message.reject(requeue=False)
        else:
            super().on_decode_error(message, exc)


class EventHandler(NamekoEventHandler):
    queue_consumer = QueueConsumer()

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
        config = self.container.config
        self.retry_base = float(config.get("EVENT_RETRY_BASE", 0.5))
        self.retry_cap = float(config.get("EVENT_RETRY_CAP", 30.0))
        self.db = service_db(self.container)
        self.dead_letters = DeadLetterConsumer(self)
        self.queue_consumer.register_provider(self.dead_letters)
        self.declare()

    def declare(self):
        """Declare the queue, its binding and its dead-letter queue now, at setup: a container sets every
        extension up before it starts any, so they exist before the service answers anything (its readiness
        check, say) and no event published from then on can be lost, even while the consumer is starting.
        The dead-letter queue must exist before anything is dead-lettered, or the broker drops it."""
        with Connection(self.container.config["AMQP_URI"]) as conn:
            self.dead_letters.queue(conn.default_channel).declare()
            self.queue(conn.default_channel).declare()

    def stop(self):
        # Both consumers are cancelled at the queue consumer's next turn (each waits up to a second for it).
        cancelling = eventlet.spawn(self.queue_consumer.unregister_provider, self.dead_letters)
        super().stop()
        cancelling.wait()
        # A dead letter recorded but not acked before the connection closes comes back, and adds nothing.
        self.dead_letters.wait_idle()

    def handle_message_processed(self, message, result=None, exc_info=None):
        if message.channel.connection is None:
            return  # the broker has already taken the message back
        if exc_info is None:
            message.ack()
        elif isinstance(exc_info[1], InvalidEvent):
            self.dead_letter_invalid(message, exc_info[1])
        else:
            attempt = int((message.headers or {}).get("x-delivery-count", 0))
            eventlet.sleep(backoff(attempt, self.retry_base, self.retry_cap))
            message.requeue()

    def dead_letter_invalid(self, message, exc):
        log.error("dead-lettering invalid %s event: %s", self.event_type, exc)
        try:
            with self.db.transaction() as cur:
                dead_letters.record_invalid(cur, message, self.queue.name, exc.errors)
        except Exception:
            log.exception("could not record an invalid %s event: rejecting it instead", self.event_type)
            if message.channel.connection is not None:
                message.reject(requeue=False)
        else:
            self.queue_consumer.ack_message(message)


event_handler = EventHandler.decorator
