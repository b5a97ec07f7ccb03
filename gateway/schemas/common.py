"""Shapes every resource uses: enumerations, bounded text, addresses, moments, pagination, problems.

Each field states what it accepts in the OpenAPI document (a ``pattern``) and checks exactly that,
so that whatever the document allows reaches the services and the database without failing there.
"""

import re

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from services.registration.events import LOCALES, STAKEHOLDER_GROUPS

FORUM_STATUSES = ("draft", "open", "closed", "held", "cancelled")
REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
__all__ = ["LOCALES", "STAKEHOLDER_GROUPS"]  # the events contract's, shared with the API


class Answer(Schema):
    """Documents an answer (the gateway passes the service's JSON on): answers may gain fields."""

    class Meta:
        unknown = INCLUDE


# No control character (PostgreSQL refuses NUL; CR/LF would end a mail header); multi-line text keeps
# tab, CR and LF. ECMA-262 and Python read these the same.
SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may escape one alone: no UTF-8 encoder takes it


class Text(fields.String):
    """Text a person typed, without control characters (``multiline``: tab, CR and LF allowed)."""

    def __init__(self, multiline=False, **kwargs):
        self.allowed = MULTI_LINE if multiline else SINGLE_LINE
        metadata = kwargs.pop("metadata", {}) | {"pattern": self.allowed}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(self.allowed, value):
            raise ValidationError(
                "No control characters allowed"
                + (" but tab and new lines." if self.allowed == MULTI_LINE else ".")
            )
        if SURROGATE.search(value):
            raise ValidationError("Not valid Unicode text (a lone surrogate).")
        return value


# A name: no control character (C1 included) and something besides blanks, which are trimmed.
NAME = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"


class Name(Text):
    """A name that must say something: blanks around it are trimmed, control characters refused."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.allowed = NAME
        self.metadata["pattern"] = NAME


class Flag(fields.Boolean):
    """A JSON true or false, nothing else: marshmallow's Boolean also takes 0, 1, "yes" or "on", which
    the document (``type: boolean``) does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def text(max_length, required=True, multiline=False, **kwargs):
    if required:
        return Text(multiline, required=True, validate=validate.Length(min=1, max=max_length), **kwargs)
    return Text(multiline, load_default="", validate=validate.Length(max=max_length), **kwargs)


class Email(fields.Email):
    """An address the mail relay can deliver to: its local part in ASCII (SMTP without SMTPUTF8 takes
    nothing else), an internationalised domain converted to its IDNA ASCII form (punycode)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        local, at, domain = value.rpartition("@")
        if not re.fullmatch(SINGLE_LINE, value) or SURROGATE.search(value):
            raise ValidationError("Not a valid email address.")
        if at and not local.isascii():
            raise ValidationError("The part before @ must be ASCII: our mail relay cannot deliver to it.")
        try:
            return f"{local}@{domain.encode('idna').decode('ascii')}" if at else value
        except UnicodeError:
            raise ValidationError("Not a valid email address.") from None


EMAIL_DESCRIPTION = (
    "An email address; the part before @ in ASCII. An internationalised domain is accepted and converted "
    "to its IDNA ASCII form (punycode): a@exemple-é.fr is kept and answered as a@xn--exemple--i1a.fr."
)


def email(**kwargs):
    kwargs.setdefault("metadata", {"description": EMAIL_DESCRIPTION})
    return Email(required=True, validate=validate.Length(max=254), **kwargs)


# RFC 3339 with seconds and an offset PostgreSQL can store (at most 15:59), in years 1900 to 2999 (far
# from the ends of datetime, where a conversion to another time zone would fail).
# Each part spelled out, so that a client (or a fuzzer) drawing from the pattern gets valid dates.
MOMENT = (
    r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"
)


class Moment(fields.AwareDateTime):
    """An instant as RFC 3339 with an offset, as far as the database can take it (``MOMENT``)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {}) | {"pattern": MOMENT}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not re.fullmatch(MOMENT, value):
            raise ValidationError(
                "Not an RFC 3339 date and time with seconds and an offset from -15:59 to +15:59 (or Z), "
                "in years 1900 to 2999."
            )
        return super()._deserialize(value, attr, data, **kwargs)


class Whole(fields.Integer):
    """A JSON integer: 12 or 12.0 (JSON Schema reads both as the integer 12), never "12" nor true."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


# A row's id as the document states it (hyphenated, any case); answered lowercase.
UUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"


class Id(fields.UUID):
    """A UUID written as ``UUID`` says: marshmallow would also take braces, a urn or no hyphens, which
    the document (and so a client drawing from it) does not allow."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {}) | {"pattern": UUID}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not re.fullmatch(UUID, value):
            raise self.make_error("invalid_uuid")
        return super()._deserialize(value, attr, data, **kwargs)


class Counts(fields.Dict):
    """Whole numbers by id (``{"<uuid>": 3}``), at most ``most`` of them; the document states the keys'
    shape (``propertyNames``, see gateway.openapi) and their number (``maxProperties``)."""

    def __init__(self, most, highest, **kwargs):
        metadata = kwargs.pop("metadata", {}) | {"maxProperties": most}
        values = Whole(validate=validate.Range(min=0, max=highest))
        super().__init__(keys=Id(), values=values, metadata=metadata, **kwargs)
        self.most = most

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict) and len(value) > self.most:
            raise ValidationError(f"At most {self.most} entries.")
        return super()._deserialize(value, attr, data, **kwargs)


def group(**kwargs):
    return fields.String(validate=validate.OneOf(STAKEHOLDER_GROUPS), **kwargs)


def locale():
    return fields.String(load_default="fr", validate=validate.OneOf(LOCALES))


def page_cursor(layout=None):
    """The ``cursor`` of a listing: opaque to clients, but of a shape the document states (``layout``, a
    ``kit.paging.Cursor``), so that anything of that shape is taken."""
    if layout is None:
        allowed, shape = r"^[\x21-\x7e]+$", ""
    else:
        allowed, shape = layout.pattern, " Its shape is in the pattern; any value of it is taken."
    return fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=512), validate.Regexp(allowed, error="Not a page cursor.")],
        metadata={
            "description": "Opaque: the next_cursor of the previous page of the same listing, as it was "
            f"given.{shape}"
        },
    )


class PageQuerySchema(Schema):
    """``limit`` and ``cursor``: the cursor is opaque, given by one answer and taken by the next call."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = page_cursor()


NEXT_CURSOR = fields.String(
    allow_none=True, metadata={"description": "Pass as ``cursor`` for the next page; null on the last"}
)


class EmailSchema(Schema):
    email = email()


class AcceptedSchema(Answer):
    status = fields.String(metadata={"description": "What happens next"})


class ProblemSchema(Answer):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Per-field messages, for validation errors"})
