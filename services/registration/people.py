"""People are their email address: found or created on first contact, recognised by magic links."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from kit import audit, tokens
from services.registration.errors import InvalidToken


@dataclass
class Tx:
    """What a domain function works with: one transaction's cursor, its outbox, the time, the key, and
    the organiser the call acts for (None when it names nobody)."""

    cur: object
    outbox: object
    now: datetime
    secret: str
    actor: str | None = None
    mail_limits: object = None  # kit.ratelimit.AddressLimits

    def may_email(self, address, kind):
        """Whether ``address`` may get one more email of this kind that someone else can ask for (its
        management link, a subscription to confirm): at most RATE_LIMIT_ADDRESS_EMAILS of each kind, so
        that a link asked for does not swallow the confirmation asked for next. Past it the caller sends
        nothing and answers as if it had, so that the answer tells nothing."""
        return self.mail_limits is None or self.mail_limits.allows(f"{kind}:{address}")

    def emit(self, event_type, data):
        self.outbox.add(self.cur, event_type, data)

    def record(self, action, subject, details=None):
        """An organiser's action, in the audit trail, committed with the change."""
        audit.record(self.cur, self.actor, action, subject, details)


def person_for(tx, email):
    """The person behind ``email`` (created if new): ``{"id", "email", "token_version"}``."""
    tx.cur.execute(
        "INSERT INTO people (id, email) VALUES (%s, %s)"
        " ON CONFLICT ((lower(email))) DO UPDATE SET email = people.email"
        " RETURNING id, email, token_version",
        (uuid.uuid4(), email),
    )
    return tx.cur.fetchone()


def find_person(tx, email):
    tx.cur.execute("SELECT id, email, token_version FROM people WHERE lower(email) = lower(%s)", (email,))
    return tx.cur.fetchone()


def authenticate(tx, token, purpose="manage"):
    """The person a management link belongs to; InvalidToken if tampered, expired, revoked or erased."""
    subject, version = tokens.read(tx.secret, token, purpose)
    tx.cur.execute(
        "SELECT id, email, token_version FROM people WHERE id = %s AND erased_at IS NULL",
        (_uuid(subject),),
    )
    person = tx.cur.fetchone()
    if person is None or person["token_version"] != version:
        raise InvalidToken("this link is no longer valid")
    return person


def token_subject(tx, token, purpose):
    """The id a subscription link was minted for; InvalidToken if tampered, expired, revoked or erased.

    Its subject is the subscription, but the link is the person's like any other: revoking their links
    (or erasing them) must end it too, so the version is checked against the person behind it.
    """
    subject, version = tokens.read(tx.secret, token, purpose)
    subscription_id = _uuid(subject)
    tx.cur.execute(
        "SELECT p.token_version FROM subscriptions s JOIN people p ON p.id = s.person_id"
        " WHERE s.id = %s AND p.erased_at IS NULL",
        (subscription_id,),
    )
    person = tx.cur.fetchone()
    if person is None or person["token_version"] != version:
        raise InvalidToken("this link is no longer valid")
    return subscription_id


def revoke_links(tx, person_id):
    """Every link minted for this person before now stops working."""
    tx.cur.execute(
        "UPDATE people SET token_version = token_version + 1 WHERE id = %s RETURNING token_version",
        (person_id,),
    )
    return tx.cur.fetchone()["token_version"]


def _uuid(subject):
    try:
        return uuid.UUID(subject)
    except ValueError:
        raise InvalidToken("malformed token") from None
