"""All of the registration service's SQL, one module per table group: ``forums`` (forums and
forum_groups), ``registrations``, ``people``, ``subscriptions``. Each function is one intent (read,
lock, insert, count a seat...) on a cursor the caller's transaction owns; none decides anything the rules
decide (``services.registration.rules``), none emits. Organiser tokens keep their own SQL beside them, in
``services.registration.organisers``.
"""

from services.registration.store import forums, people, registrations, subscriptions

__all__ = ["forums", "people", "registrations", "subscriptions"]
