"""The CloudEvents-shaped envelope every event travels in, and each service's catalogue of events."""

import uuid
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

SPECVERSION = "1.0"


class InvalidEvent(ValueError):
    """An event that does not match its schema: never published, and dead-lettered when received."""

    def __init__(self, event_type, errors):
        super().__init__(f"{event_type}: {errors}")
        self.event_type = event_type
        self.errors = errors


class Reading(Schema):
    """The base of a consumer's own reading of another service's event (each service's ``incoming``):
    fields it does not use are left out, nested ones too, since producers may add fields at any time."""

    class Meta:
        unknown = EXCLUDE


class EnvelopeSchema(Schema):
    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.UUID(required=True)
    type = fields.String(required=True)
    source = fields.String(required=True)
    time = fields.AwareDateTime(required=True)
    dataschema = fields.String(required=True)
    datacontenttype = fields.String(load_default="application/json")
    data = fields.Dict(required=True)


ENVELOPE = EnvelopeSchema()


def dataschema_uri(source, event_type, version=1):
    return f"urn:opendetat:events:{source}:{event_type}:v{version}"


class EventCatalog:
    """The events one service emits: name -> marshmallow schema (whose docstring says when it is sent)."""

    def __init__(self, source):
        self.source = source
        self.schemas = {}

    def event(self, event_type):
        def register(schema_cls):
            self.schemas[event_type] = schema_cls()
            return schema_cls

        return register

    def envelope(self, event_type, data):
        """Build a validated envelope ready to publish; raise InvalidEvent if ``data`` does not fit."""
        schema = self.schemas[event_type]
        payload = schema.dump(data)
        errors = schema.validate(payload)
        if errors:
            raise InvalidEvent(event_type, errors)
        return {
            "specversion": SPECVERSION,
            "id": str(uuid.uuid4()),
            "type": event_type,
            "source": self.source,
            "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "dataschema": dataschema_uri(self.source, event_type),
            "datacontenttype": "application/json",
            "data": payload,
        }

    def asyncapi_channels(self):
        """(event type, schema, description) for documentation generators."""
        return [(name, schema, (type(schema).__doc__ or "").strip()) for name, schema in self.schemas.items()]


def read_envelope(body, data_schema):
    """Validate a received envelope and its data against the consumer's own schema of what it needs.

    Returns ``(envelope, data)``; raises InvalidEvent when either does not fit.
    """
    try:
        envelope = ENVELOPE.load(body, unknown=EXCLUDE)
        data = data_schema.load(envelope["data"], unknown=EXCLUDE)
    except ValidationError as exc:
        raise InvalidEvent(body.get("type", "?") if isinstance(body, dict) else "?", exc.messages) from exc
    return envelope, data
