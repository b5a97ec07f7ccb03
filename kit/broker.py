"""What a broker that cannot be reached looks like, whichever library noticed it first."""

import socket

import amqp.exceptions
import kombu.exceptions
from nameko.exceptions import ContainerBeingKilled

BROKER_DOWN = (
    ConnectionError,
    TimeoutError,
    socket.error,
    kombu.exceptions.OperationalError,
    amqp.exceptions.RecoverableConnectionError,
    ContainerBeingKilled,
)
