"""All of the notification service's SQL, one module per table group: ``deliveries`` (the delivery log),
``roster`` (roster_forums, roster_registrants, erased_people, subscribers), ``reminders``,
``announcements`` (announcements, bulk_messages), ``topics`` (topic_titles), ``comments``
(comments_waiting). Each function is one statement (or a fixed sequence of them) on a cursor or
connection the caller's transaction owns; none decides what the rules decide
(``services.notification.rules``). The statements run on a hot path (the mail sender's, an
announcement's batch) are named constants beside their function, with the comments that explain them.
"""

from services.notification.store import announcements, comments, deliveries, reminders, roster, topics

__all__ = ["announcements", "comments", "deliveries", "reminders", "roster", "topics"]
