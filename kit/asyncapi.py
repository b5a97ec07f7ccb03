"""The AsyncAPI 3.0 document for integrators, generated from the services' event catalogues.

Each event is a message on the channel ``<service>.events`` with the routing key = its name; its
payload is the envelope, whose ``data`` is described by the event's marshmallow schema (the same one
that validates the event before it is published).
"""

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from kit.events import EnvelopeSchema


def _json_schemas(catalogs):
    """JSON Schemas of every event's data, through apispec's marshmallow converter."""
    # Nested schemas are inlined: several services may name a nested schema alike (Venue, Forum).
    spec = APISpec("events", "1", "3.1.0", plugins=[MarshmallowPlugin(schema_name_resolver=lambda _: None)])
    spec.components.schema("Envelope", schema=EnvelopeSchema)
    for catalog in catalogs:
        for name, schema, _ in catalog.asyncapi_channels():
            spec.components.schema(f"{catalog.source}.{name}.v1", schema=schema)
    return spec.to_dict()["components"]["schemas"]


def build_asyncapi(catalogs, amqp_host="127.0.0.1:5672"):
    channels, operations, messages = {}, {}, {}
    for catalog in catalogs:
        exchange = f"{catalog.source}.events"
        channel_messages = {}
        for name, _schema, description in catalog.asyncapi_channels():
            key = f"{catalog.source}.{name}.v1"
            messages[key] = {
                "name": name,
                "title": name.replace("_", " "),
                "summary": description.splitlines()[0] if description else name,
                "description": description,
                "contentType": "application/json",
                "bindings": {"amqp": {"deliveryMode": 2}},
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": name},
                                "source": {"const": catalog.source},
                                "data": {"$ref": f"#/components/schemas/{key}"},
                            },
                        },
                    ]
                },
            }
            channel_messages[name] = {"$ref": f"#/components/messages/{key}"}
        channels[exchange] = {
            "address": exchange,
            "description": f"Topic exchange of the {catalog.source} service; routing key = event name.",
            "messages": channel_messages,
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": exchange, "type": "topic", "durable": True, "autoDelete": False},
                }
            },
        }
        operations[f"receive_{catalog.source}_events"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{exchange}"},
            "summary": "Bind a durable queue of your own to the exchange and consume.",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Open d'Etat forum events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 shaped envelopes; `id` is unique per event (deduplicate on it).",
        },
        "servers": {"broker": {"host": amqp_host, "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": _json_schemas(catalogs)},
    }
