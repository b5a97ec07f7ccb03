"""Publishing a batch of events with publisher confirms, waiting once for the whole batch.

kombu (and nameko's Publisher over it) waits for the broker's confirm after every message, one round
trip each. Here a batch is written to the channel at once and the broker's acks (often one ``multiple``
ack for many messages) are awaited together; the caller learns how many of the batch, in order, the
broker has confirmed, and marks only those as published.
"""

import json
import logging

import amqp
from kombu import Connection

from kit.signing import HEADER, sign

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    pass


class ConfirmingPublisher:
    def __init__(self, amqp_uri, exchange, signing_key, confirm_timeout=30.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.signing_key = signing_key  # every message is signed (kit.signing)
        self.confirm_timeout = confirm_timeout
        self.kombu = None
        self.channel = None
        self.first_tag = self.next_tag = 1  # a batch that fails before its connection is made: none confirmed
        self.acked = set()
        self.nacked = False

    def _connect(self):
        self.kombu = Connection(self.amqp_uri, heartbeat=0)
        self.kombu.connect()
        self.channel = self.kombu.connection.channel()
        self.channel.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
        self.channel.confirm_select()
        self.next_tag = 1
        self.acked = set()
        self.nacked = False
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)

    def _on_ack(self, tag, multiple):
        if multiple:
            self.acked.update(range(self.first_tag, tag + 1))
        else:
            self.acked.add(tag)

    def _on_nack(self, tag, multiple):
        self.nacked = True

    def close(self):
        if self.kombu is not None:
            try:
                self.kombu.release()
            except Exception:  # noqa: BLE001 - it is going away anyway
                pass
        self.kombu = self.channel = None

    def publish(self, messages):
        """Publish ``(routing_key, message_id, body)`` triples; return how many, in order, are confirmed.

        Raises PublishFailed (after closing the connection) when not all were confirmed in time.
        """
        if not messages:
            return 0
        try:
            if self.channel is None:
                self._connect()
            self.first_tag = self.next_tag
            for routing_key, message_id, body in messages:
                raw = json.dumps(body, ensure_ascii=False).encode()
                message = amqp.Message(
                    raw,
                    application_headers={HEADER: sign(self.signing_key, raw)},
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=message_id,
                    type=routing_key,
                )
                self.channel._basic_publish(message, exchange=self.exchange, routing_key=routing_key)
            self.next_tag += len(messages)
            last = self.next_tag - 1
            while not self.nacked and not set(range(self.first_tag, last + 1)) <= self.acked:
                self.kombu.connection.drain_events(timeout=self.confirm_timeout)
        except Exception as exc:
            confirmed = self._confirmed_prefix(len(messages))
            self.close()
            raise PublishFailed(confirmed, exc) from exc
        confirmed = self._confirmed_prefix(len(messages))
        self.acked.clear()
        if confirmed < len(messages):
            self.close()
            raise PublishFailed(confirmed, "the broker refused (nack) part of the batch")
        return confirmed

    def _confirmed_prefix(self, count):
        confirmed = 0
        while confirmed < count and self.first_tag + confirmed in self.acked:
            confirmed += 1
        return confirmed
