"""Event handlers whose queue survives restarts, retries with backoff, and dead-letters poison messages.

nameko's own handler acks and drops a message whose handler raised (or, with ``requeue_on_error``,
requeues it in a tight loop). Here each handler's queue is a durable quorum queue with a delivery limit
and a dead-letter exchange:
- a message that does not carry its publisher's signature (``kit.signing``: not published by one of the
  platform's outbox relays) is never handled: it is recorded as invalid at once, then acked;
- an ``InvalidEvent`` (malformed body) can never succeed: it is recorded at once in the service's
  ``dead_letters`` table, with its per-field errors, then acked;
- a body that cannot even be decoded (not JSON) is rejected: the broker dead-letters it;
- a database that cannot be reached is no fault of the message: it waits in hand, costing no attempt,
  until the database answers again (``handle_once_reachable``);
- any other error is retried after a backoff that grows with the broker's ``x-delivery-count``
  (``EVENT_RETRY_BASE`` and ``EVENT_RETRY_CAP`` seconds); the broker allows ``max_attempts`` returns, so
  after ``max_attempts + 1`` attempts it dead-letters the message.
Dead letters go to the service's one ``<service>.dead-letters`` queue (bound to the dead-letter exchange
under each handler's queue name), whose consumer records them in the same table (see ``kit.dead_letters``),
so organisers see every dead letter; nothing is dropped silently. If the database cannot take an invalid
event's row, the event is rejected (dead-lettered) instead and recorded from there once it can.

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
from nameko.extensions import SharedExtension

from kit import dead_letters
from kit.broker import BROKER_DOWN, PromptQueueConsumer
from kit.db import Database, DatabaseUnavailable, Db
from kit.events import InvalidEvent
from kit.signing import event_key, verify

log = logging.getLogger(__name__)
DEAD_LETTER_EXCHANGE = Exchange("dead-letter", type="direct", durable=True)
MAX_ATTEMPTS = 8
RECORD_RETRY_SECONDS = 5.0  # the database is down: wait before the dead letter is tried again
STOP_WAIT_SECONDS = 10.0
OUTAGE_WAIT_CAP = 5.0  # the database is away: at most this long between two looks at it


def backoff(attempt, base=0.5, cap=30.0):
    return min(cap, base * 2**attempt)


def service_db(container):
    """The service's one ``Database``: where its dead letters are recorded."""
    found = [dependency for dependency in container.dependencies if isinstance(dependency, Database)]
    if len(found) != 1:
        raise RuntimeError(f"{container.service_name}: event handlers need exactly one Database dependency")
    return Db(found[0])


class DeadLetterConsumer(SharedExtension):
    """The service's one dead-letter queue, ``<service>.dead-letters``, bound to the dead-letter exchange
    under the name of each of its handlers' queues. It records each message that arrives there (which
    queue it died in, and why, come from its ``x-death`` header), acking it only once its row is
    committed. One queue and one consumer per service, however many handlers: a consumer per handler
    cost the service a fifth of its throughput."""

    queue_consumer = None  # set to the handlers' queue consumer when the first handler registers

    def __init__(self):
        super().__init__()
        self.handlers = {}  # queue name -> EventHandler
        self.in_hand = 0
        self.consuming = False

    def queue_for(self, handler_queue):
        name = f"{self.container.service_name}.dead-letters"
        return Queue(name, exchange=DEAD_LETTER_EXCHANGE, routing_key=handler_queue, durable=True)

    @property
    def queue(self):
        """What the queue consumer consumes (the queue was declared, with every binding, at setup)."""
        return Queue(f"{self.container.service_name}.dead-letters", durable=True)

    def register(self, handler):
        self.handlers[handler.queue.name] = handler
        if not self.consuming:
            self.consuming, self.queue_consumer = True, handler.queue_consumer
            self.queue_consumer.register_provider(self)

    def release(self, handler):
        """A handler stops; with the last one, so does this consumer."""
        self.handlers.pop(handler.queue.name, None)
        if not self.handlers and self.consuming:
            self.consuming = False
            self.queue_consumer.unregister_provider(self)
            self.wait_idle()

    def handle_message(self, body, message, errors=None):
        """Runs in a thread of the container, one per message."""
        deaths = (message.headers or {}).get("x-death") or [{}]
        queue = deaths[0].get("queue") or (message.headers or {}).get("x-first-death-queue") or ""
        handler = self.handlers.get(queue)
        limit = handler.max_attempts if handler else MAX_ATTEMPTS
        self.in_hand += 1
        try:
            with service_db(self.container).transaction() as cur:
                dead_letters.record_dead(cur, message, queue, limit, errors)
        except Exception:
            log.exception("could not record a dead letter of %s; trying again later", queue)
            eventlet.sleep(RECORD_RETRY_SECONDS)
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)
        finally:
            self.in_hand -= 1

    def wait_idle(self, timeout=STOP_WAIT_SECONDS):
        deadline = time.monotonic() + timeout
        while self.in_hand and time.monotonic() < deadline:
            eventlet.sleep(0.05)


class QueueConsumer(PromptQueueConsumer):
    """nameko's (reconnecting promptly), except that a body it cannot decode is dead-lettered, not acked
    and dropped: rejected from a handler's queue (the broker dead-letters it), then recorded from the
    dead-letter queue as it is."""

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
    dead_letters = DeadLetterConsumer()

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
        self.signing_key = event_key(config["SECRET_KEY"])
        self.declare()
        self.dead_letters.register(self)

    def declare(self):
        """Declare the queue, its binding and its dead-letter queue now, at setup: a container sets every
        extension up before it starts any, so they exist before the service answers anything (its readiness
        check, say) and no event published from then on can be lost, even while the consumer is starting.
        The dead-letter queue must exist before anything is dead-lettered, or the broker drops it."""
        with Connection(self.container.config["AMQP_URI"]) as conn:
            self.dead_letters.queue_for(self.queue.name)(conn.default_channel).declare()
            self.queue(conn.default_channel).declare()

    def stop(self):
        # Both consumers are cancelled at the queue consumer's next turn (each waits up to a second for it).
        # A dead letter recorded but not acked before the connection closes comes back, and adds nothing.
        releasing = eventlet.spawn(self.dead_letters.release, self)
        super().stop()
        releasing.wait()

    def handle_message(self, body, message):
        """Runs in a thread of the container, one per message: only a signed message reaches a worker."""
        if not verify(self.signing_key, message.body, message.headers):
            errors = {"signature": ["missing or invalid: not published by a service of this platform"]}
            self.dead_letter_invalid(message, InvalidEvent(self.event_type, errors))
            return
        super().handle_message(body, message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        """Ack, retry or dead-letter; if the broker went away meanwhile, it has taken the message back
        and delivers it again later (the inbox makes that harmless): that is no reason to die."""
        try:
            self._settle(message, exc_info)
        except BROKER_DOWN as exc:
            log.warning("could not settle a %s event, the broker is unreachable (%s)", self.event_type, exc)

    def _settle(self, message, exc_info):
        if message.channel.connection is None:
            return  # the broker has already taken the message back
        if exc_info is None:
            message.ack()
        elif isinstance(exc_info[1], InvalidEvent):
            self.dead_letter_invalid(message, exc_info[1])
        elif isinstance(exc_info[1], DatabaseUnavailable):
            self.container.spawn_managed_thread(
                partial(self.handle_once_reachable, message), identifier=f"{self.queue.name}.outage"
            )
        else:
            attempt = int((message.headers or {}).get("x-delivery-count", 0))
            eventlet.sleep(backoff(attempt, self.retry_base, self.retry_cap))
            message.requeue()

    def handle_once_reachable(self, message):
        """The database is away, which says nothing about the event: it costs the event no attempt. (A
        requeue would, and an outage longer than the attempts' backoff, about a minute and a half, would
        dead-letter every event that arrived meanwhile, leaving organisers to send them all again.) The
        event stays in hand, unacknowledged, in a thread of its own (its worker is free for others)
        until the database answers, then is handled afresh. If the broker takes it back meanwhile (the
        connection dropped) or the service stops, it is simply delivered again later."""
        attempt = 0
        while message.channel.connection is not None:
            eventlet.sleep(backoff(attempt, self.retry_base, OUTAGE_WAIT_CAP))
            attempt += 1
            if self.db.reachable():
                if message.channel.connection is not None:
                    self.handle_message(message.payload, message)
                return

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
