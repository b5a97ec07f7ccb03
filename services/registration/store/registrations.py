"""The registrations table: seats and places on the waiting list, consents, attendee codes, check-ins.

A waiting registration's ``waitlist_position`` is its number in the forum's queue (``forums.waitlist_seq``,
which only grows); where it stands now is how many waiting registrations hold a number up to its own.
Read with the person's ``token_version`` (``read``, ``lock``), a registration carries what an event
needs to mint a link for its person.
"""

import uuid

from services.registration.errors import RegistrationNotFound
from services.registration.events import STAKEHOLDER_GROUPS

COLUMNS = (
    "r.id, r.forum_id, r.person_id, r.email, r.first_name, r.last_name, r.organisation, r.stakeholder_group,"
    " r.locale, r.status, r.waitlist_position, r.accessibility_needs, r.consent_attend, r.consent_updates,"
    " r.consent_public_list, r.attendee_code, r.checked_in_at, r.promoted_at, r.promotion_reason,"
    " r.cancelled_at, r.cancelled_by, r.created_at"
)


def read(cur, registration_id):
    """The registration with its person's ``token_version``; RegistrationNotFound if there is none."""
    return _load(cur, registration_id, "")


def lock(cur, registration_id):
    """The registration, locked until the transaction ends, with its person's ``token_version``."""
    return _load(cur, registration_id, " FOR UPDATE OF r")


def _load(cur, registration_id, locking):
    row = cur.execute(
        f"SELECT {COLUMNS}, p.token_version FROM registrations r JOIN people p ON p.id = r.person_id"
        f" WHERE r.id = %s{locking}",
        (registration_id,),
    ).fetchone()
    if row is None:
        raise RegistrationNotFound(f"no registration {registration_id}")
    return row


def insert_registration(cur, taking, forum_id, person_id, data, status, waitlist_position, attendee_code):
    """A new registration from the validated ``data``, confirmed (with its code) or waiting (with its
    number), in one statement with ``taking`` (``store.forums.take_seat`` or ``take_waitlist_place``:
    the seat or the place it holds)."""
    prefix, params = taking
    values = {
        "id": uuid.uuid4(), "forum_id": forum_id, "person_id": person_id, "email": data["email"],
        "first_name": data["first_name"], "last_name": data["last_name"],
        "organisation": data.get("organisation", ""), "stakeholder_group": data["stakeholder_group"],
        "locale": data.get("locale", "fr"), "status": status, "waitlist_position": waitlist_position,
        "accessibility_needs": data.get("accessibility_needs", ""),
        "consent_updates": data.get("consent_updates", False),
        "consent_public_list": data.get("consent_public_list", False), "attendee_code": attendee_code,
    }  # fmt: skip
    return cur.execute(
        f"{prefix}INSERT INTO registrations (id, forum_id, person_id, email, first_name, last_name,"
        " organisation, stakeholder_group, locale, status, waitlist_position, accessibility_needs,"
        " consent_attend, consent_updates, consent_public_list, attendee_code)"
        " VALUES (%(id)s, %(forum_id)s, %(person_id)s, %(email)s, %(first_name)s, %(last_name)s,"
        " %(organisation)s, %(stakeholder_group)s, %(locale)s, %(status)s, %(waitlist_position)s,"
        " %(accessibility_needs)s, true, %(consent_updates)s, %(consent_public_list)s, %(attendee_code)s)"
        f" RETURNING {COLUMNS.replace('r.', '')}",
        params | values,
    ).fetchone()


def mark_cancelled(cur, registration_id, now, cancelled_by):
    """Cancelled: its attendee code goes with it."""
    cur.execute(
        "UPDATE registrations SET status = 'cancelled', cancelled_at = %s, cancelled_by = %s,"
        " attendee_code = NULL WHERE id = %s",
        (now, cancelled_by, registration_id),
    )


def mark_promoted(cur, registration_id, attendee_code, now, reason):
    """A waiting registration confirmed: returns its ``stakeholder_group`` and ``attendee_code``."""
    return cur.execute(
        "UPDATE registrations SET status = 'confirmed', attendee_code = %s, promoted_at = %s,"
        " promotion_reason = %s WHERE id = %s RETURNING stakeholder_group, attendee_code",
        (attendee_code, now, reason, registration_id),
    ).fetchone()


def first_waiting_by_group(cur, forum_id):
    """The first waiting registration of each stakeholder group: ``id``, ``stakeholder_group``,
    ``waitlist_position``."""
    return cur.execute(
        "SELECT w.id, w.stakeholder_group, w.waitlist_position FROM unnest(%s::text[]) AS g(name)"
        " CROSS JOIN LATERAL (SELECT id, stakeholder_group, waitlist_position FROM registrations"
        " WHERE forum_id = %s AND status = 'waitlisted' AND stakeholder_group = g.name"
        " ORDER BY waitlist_position LIMIT 1) AS w",
        (list(STAKEHOLDER_GROUPS), forum_id),
    ).fetchall()


def waiting_ahead(cur, forum_id, waitlist_position):
    """How many wait for this forum with a number up to ``waitlist_position`` (theirs included)."""
    return cur.execute(
        "SELECT count(*) AS ahead FROM registrations WHERE forum_id = %s AND status = 'waitlisted'"
        " AND waitlist_position <= %s",
        (forum_id, waitlist_position),
    ).fetchone()["ahead"]


def waitlist_places(cur, forum_id):
    """{registration id: where it stands on the waiting list now, counting from 1}."""
    rows = cur.execute(
        "SELECT id, row_number() OVER (ORDER BY waitlist_position) AS position FROM registrations"
        " WHERE forum_id = %s AND status = 'waitlisted'",
        (forum_id,),
    ).fetchall()
    return {row["id"]: row["position"] for row in rows}


def active_ids(cur, forum_id):
    """Ids of the forum's registrations not cancelled, oldest first."""
    rows = cur.execute(
        "SELECT id FROM registrations WHERE forum_id = %s AND status <> 'cancelled' ORDER BY created_at",
        (forum_id,),
    ).fetchall()
    return [row["id"] for row in rows]


def page(cur, forum_id, status, group, after, limit):
    """Up to ``limit`` of the forum's registrations, oldest first, after the registration whose
    ``(created_at, id)`` is ``after`` when given; ``status`` and ``group`` filter when given."""
    where, params = ["r.forum_id = %s"], [forum_id]
    for column, value in (("r.status", status), ("r.stakeholder_group", group)):
        if value:
            where.append(f"{column} = %s")
            params.append(value)
    if after:
        where.append("(r.created_at, r.id) > (%s, %s)")
        params += after
    return cur.execute(
        f"SELECT {COLUMNS} FROM registrations r WHERE {' AND '.join(where)}"
        " ORDER BY r.created_at, r.id LIMIT %s",
        (*params, limit),
    ).fetchall()


def of_forum(cur, forum_id):
    """Every registration of the forum, oldest first."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM registrations r WHERE r.forum_id = %s ORDER BY r.created_at, r.id",
        (forum_id,),
    ).fetchall()


def counts(cur, forum_id):
    """Per (stakeholder_group, status): ``n`` registrations, ``checked_in`` of them."""
    return cur.execute(
        "SELECT stakeholder_group, status, count(*) AS n, count(checked_in_at) AS checked_in FROM registrations"
        " WHERE forum_id = %s GROUP BY 1, 2",
        (forum_id,),
    ).fetchall()


def public_participants(cur, forum_id):
    """Confirmed people who agreed to be listed: names, organisation and group only."""
    return cur.execute(
        "SELECT first_name, last_name, organisation, stakeholder_group FROM registrations"
        " WHERE forum_id = %s AND status = 'confirmed' AND consent_public_list ORDER BY last_name, first_name",
        (forum_id,),
    ).fetchall()


def check_in(cur, forum_id, code, now):
    """The confirmed registration with this code checked in now, or None if none is, or it already was."""
    return cur.execute(
        "UPDATE registrations SET checked_in_at = %s WHERE forum_id = %s AND attendee_code = %s"
        " AND status = 'confirmed' AND checked_in_at IS NULL RETURNING id, stakeholder_group, checked_in_at",
        (now, forum_id, code),
    ).fetchone()


def confirmed_with_code(cur, forum_id, code):
    return cur.execute(
        "SELECT id FROM registrations WHERE forum_id = %s AND attendee_code = %s AND status = 'confirmed'",
        (forum_id, code),
    ).fetchone()


def set_consents(cur, registration_id, consents):
    """Set the consent columns given ({column: bool})."""
    assignments = ", ".join(f"{key} = %({key})s" for key in consents)
    cur.execute(
        f"UPDATE registrations SET {assignments} WHERE id = %(id)s", consents | {"id": registration_id}
    )


def of_person(cur, person_id):
    """Every registration of the person, oldest first, with its forum's ``forum_title`` and
    ``forum_starts_at``."""
    return cur.execute(
        f"SELECT {COLUMNS}, f.title AS forum_title, f.starts_at AS forum_starts_at"
        " FROM registrations r JOIN forums f ON f.id = r.forum_id WHERE r.person_id = %s ORDER BY r.created_at",
        (person_id,),
    ).fetchall()


def to_free_on_erasure(cur, person_id):
    """Ids of the person's registrations not cancelled, for forums still to come (draft, open, closed)."""
    rows = cur.execute(
        "SELECT r.id FROM registrations r JOIN forums f ON f.id = r.forum_id WHERE r.person_id = %s"
        " AND r.status <> 'cancelled' AND f.status IN ('draft', 'open', 'closed')",
        (person_id,),
    ).fetchall()
    return [row["id"] for row in rows]


def anonymise(cur, person_id):
    """Nothing left to tell who the person's registrations were."""
    cur.execute(
        "UPDATE registrations SET email = 'erased+' || id || '@erased.invalid', first_name = '', last_name = '',"
        " organisation = '', accessibility_needs = '', consent_public_list = false WHERE person_id = %s",
        (person_id,),
    )
