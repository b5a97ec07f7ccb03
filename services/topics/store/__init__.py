"""All of the topics service's SQL, one module per table group (``people`` is ``kit.people``):
``forums`` (its copy of what the registration events say), ``topics``, ``rounds`` (rounds, ballots and
paper tallies). Each function is one intent on a cursor the caller's transaction owns; none decides what
the rules decide (``services.topics.rules``), none emits.
"""

from services.topics.store import forums, rounds, topics

__all__ = ["forums", "rounds", "topics"]
