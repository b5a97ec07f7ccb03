"""Organiser tokens: named, read or write, created and revoked while the platform runs.

Only a token's sha256 is kept (``kit.organiser_tokens``). Whoever makes a token (the gateway, or the
command line) mints it and gives this service its digest alone, so the token itself never travels on
the bus. The gateway asks ``for_digest`` on every organiser request, uncached, so a revoked token is
refused at once.
Creating and revoking are recorded in the audit trail under the name of whoever did it.

The organiser_tokens table is a table group of its own that no other module touches: its SQL stays here,
beside the checks on names and scopes, rather than in ``services.registration.store``. Its functions take any
``kit.tx.Tx`` (the command line has no outbox, no key and no mail limits).
"""

import re
import uuid

from psycopg.errors import UniqueViolation

from kit.serial import jsonable
from services.registration.errors import InvalidOrganiserName, OrganiserNameTaken, OrganiserTokenNotFound

COLUMNS = "id, name, scope, created_at, created_by, revoked_at, last_used_at"
SCOPES = ("read", "write")
MAX_NAME = 80
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Names the audit trail already gives to the configured token and to the command line.
RESERVED = {"organiser_token", "cli"}
LAST_USED_EVERY = 60  # seconds: last_used_at is a hint, not worth a write per request


def check_name(name):
    """The name trimmed; what the gateway's schema accepts passes (no control character, not blank)."""
    name = str(name or "").strip()
    if not 0 < len(name) <= MAX_NAME or CONTROL.search(name):
        raise InvalidOrganiserName(f"a name is 1 to {MAX_NAME} characters, none of them a control character")
    if name.casefold() in RESERVED:
        raise OrganiserNameTaken(f"the name {name!r} is reserved")
    return name


def view(row):
    return jsonable(dict(row))


def create(tx, name, scope, digest_hex):
    """Keep a new token, known by its sha256 (hex): the caller minted it and shows it once."""
    name = check_name(name)
    if scope not in SCOPES:
        raise InvalidOrganiserName(f"the scope is one of {', '.join(SCOPES)}")
    digest = bytes.fromhex(digest_hex)
    if len(digest) != 32:
        raise ValueError("a sha256 digest is 32 bytes")
    try:
        row = tx.cur.execute(
            f"INSERT INTO organiser_tokens (id, name, scope, digest, created_at, created_by)"
            f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
            (uuid.uuid4(), name, scope, digest, tx.now, tx.actor or "unnamed"),
        ).fetchone()
    except UniqueViolation:
        raise OrganiserNameTaken(f"a token named {name!r} is in use: revoke it first") from None
    tx.record("organiser_token_created", row["id"], {"name": name, "scope": scope})
    return view(row)


def listing(tx):
    """Every token, those in use first, newest first; never a digest."""
    rows = tx.cur.execute(
        f"SELECT {COLUMNS} FROM organiser_tokens ORDER BY revoked_at IS NOT NULL, created_at DESC"
    ).fetchall()
    return {"items": [view(row) for row in rows]}


def revoke(tx, token_id):
    """Refused from now on; revoking a revoked token changes nothing."""
    try:
        token_id = uuid.UUID(str(token_id))
    except ValueError:
        raise OrganiserTokenNotFound(f"no organiser token {token_id}") from None
    row = tx.cur.execute(
        f"UPDATE organiser_tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL RETURNING {COLUMNS}",
        (tx.now, token_id),
    ).fetchone()
    if row is not None:
        tx.record("organiser_token_revoked", row["id"], {"name": row["name"]})
        return view(row)
    row = tx.cur.execute(f"SELECT {COLUMNS} FROM organiser_tokens WHERE id = %s", (token_id,)).fetchone()
    if row is None:
        raise OrganiserTokenNotFound(f"no organiser token {token_id}")
    return view(row)


def revoke_by_name(tx, name):
    row = tx.cur.execute(
        "SELECT id FROM organiser_tokens WHERE lower(name) = lower(%s) AND revoked_at IS NULL", (name,)
    ).fetchone()
    if row is None:
        raise OrganiserTokenNotFound(f"no organiser token named {name!r} is in use")
    return revoke(tx, row["id"])


def for_digest(tx, digest_hex):
    """``{"name", "scope"}`` of the token in use with this sha256 (hex), else None."""
    try:
        digest = bytes.fromhex(str(digest_hex))
    except ValueError:
        return None
    row = tx.cur.execute(
        "SELECT id, name, scope, last_used_at FROM organiser_tokens WHERE digest = %s AND revoked_at IS NULL",
        (digest,),
    ).fetchone()
    if row is None:
        return None
    if row["last_used_at"] is None or (tx.now - row["last_used_at"]).total_seconds() > LAST_USED_EVERY:
        tx.cur.execute("UPDATE organiser_tokens SET last_used_at = %s WHERE id = %s", (tx.now, row["id"]))
    return {"name": row["name"], "scope": row["scope"]}
