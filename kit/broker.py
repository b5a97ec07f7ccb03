"""What a broker that cannot be reached looks like, whichever library noticed it first; and consumers that
come back promptly once it is there again."""

import socket
from contextlib import contextmanager

import amqp.exceptions
import kombu.exceptions
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

BROKER_DOWN = (
    ConnectionError,
    TimeoutError,
    socket.error,
    kombu.exceptions.OperationalError,
    amqp.exceptions.RecoverableConnectionError,
    ContainerBeingKilled,
)

# Seconds between attempts to reach the broker again: 0.25, 0.75, 1.25, 1.75, then every 2. kombu's own
# (2, 4, 6, ... up to 30) left a consumer asleep for up to half a minute after the broker was back, its
# queue filling up; an attempt on a broker that is still away is a refused TCP connection, cheap.
RECONNECT = {"interval_start": 0.25, "interval_step": 0.5, "interval_max": 2.0}


class PromptQueueConsumer(QueueConsumer):
    """nameko's queue consumer (one connection carrying a service's consumers), reconnecting every
    couple of seconds at most (``RECONNECT``) instead of backing off to half a minute."""

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries, **RECONNECT)
            yield conn
