"""A crash of the notification service in the middle of a burst: every registrant gets one email."""

import eventlet

from .client import mail_to, person, stays_true, wait_for_mail

SEATS = 20
PEOPLE = 40
KILL_AFTER = 15  # registrations answered before the crash; the rest arrive while it is down


def test_killing_the_notification_service_mid_flow_loses_and_doubles_nothing(api, mail, stack):
    forum = api.create_forum(capacity=SEATS)
    people = [person() for _ in range(PEOPLE)]
    # With the mail server down, every message waits in the delivery log: the crash can only cut
    # into event handling, which is what must neither lose nor repeat anything. (A crash while an
    # SMTP server is accepting a message can repeat that one message; its Message-ID says so.)
    mail.stop()
    pool = eventlet.GreenPool(8)
    statuses = []
    for answered, response in enumerate(pool.imap(lambda p: api.register(forum["id"], p), people), 1):
        statuses.append(response.status_code)
        if answered == KILL_AFTER:
            stack.kill("notification")
    assert statuses == [201] * PEOPLE

    stack.start("notification")
    stack.wait_ready()
    mail.start()

    addresses = [someone["email"] for someone in people]
    received = wait_for_mail(mail, addresses, timeout=60)
    repeated = {address: len(messages) for address, messages in received.items() if len(messages) != 1}
    assert repeated == {}
    stays_true(
        lambda: all(len(messages) == 1 for messages in mail_to(mail, *addresses).values()),
        2.0,
        "a late second email",
    )
    confirmed = [m for messages in received.values() for m in messages if "confirmed" in m["Subject"]]
    assert len(confirmed) == SEATS
