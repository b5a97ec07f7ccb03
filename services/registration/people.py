"""People are their email address (``store.people``), recognised by the links they were emailed: a link
is signed for one purpose and carries the person's ``token_version``, so revoking their links (or erasing
them) ends every link minted before."""

import uuid

from kit import tokens
from services.registration import store
from services.registration.errors import InvalidToken


def authenticate(tx, token, purpose="manage"):
    """The person a management link belongs to; InvalidToken if tampered, expired, revoked or erased."""
    subject, version = tokens.read(tx.secret, token, purpose)
    person = store.people.not_erased(tx.cur, _uuid(subject))
    _check_version(person, version)
    return person


def token_subject(tx, token, purpose):
    """The id a subscription link was minted for; InvalidToken if tampered, expired, revoked or erased.

    Its subject is the subscription, but the link is the person's like any other: revoking their links
    (or erasing them) must end it too, so the version is checked against the person behind it.
    """
    subject, version = tokens.read(tx.secret, token, purpose)
    subscription_id = _uuid(subject)
    _check_version(store.people.subscriber(tx.cur, subscription_id), version)
    return subscription_id


def _check_version(person, version):
    if person is None or person["token_version"] != version:
        raise InvalidToken("this link is no longer valid")


def _uuid(subject):
    try:
        return uuid.UUID(subject)
    except ValueError:
        raise InvalidToken("malformed token") from None
