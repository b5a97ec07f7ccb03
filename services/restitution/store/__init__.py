"""All of the restitution service's SQL, one module per table group: ``facts`` (its copies of forums,
registrations by group, closed rounds and topic titles, from other services' events), ``drafts``
(drafts and published versions), ``commitments`` (the series' register and its history), ``comments``
(the discussion and its moderation). Each function is one intent on a cursor the caller's transaction
owns; none decides, none emits.
"""

from services.restitution.store import comments, commitments, drafts, facts

__all__ = ["comments", "commitments", "drafts", "facts"]
