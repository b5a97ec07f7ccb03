"""Log lines name deliveries and people by their ids, never by their address."""

import smtplib

import pytest

from gateway.redact import redact
from services.notification.mailer import for_the_log

ADDRESS = "camille.private@example.org"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"5.1.1 No such user here")}), "550"),
        (
            smtplib.SMTPRecipientsRefused({ADDRESS: (450, f"4.2.0 <{ADDRESS}>: address rejected".encode())}),
            "450",
        ),
        (smtplib.SMTPDataError(554, f"5.7.1 message to {ADDRESS} refused".encode()), "554"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 not allowed", "forums@opendetat.example"), "553"),
    ],
)
def test_an_smtp_failure_is_described_without_any_address(exc, code):
    text = for_the_log(exc)
    assert "camille" not in text and "@" not in text.replace("<address>", "")
    assert type(exc).__name__ in text and code in text


@pytest.mark.parametrize(
    "line",
    [
        f'"GET /api/v1/notifications?recipient={ADDRESS} HTTP/1.1" 200 10 0.01',
        '"GET /api/v1/notifications?limit=5&recipient=camille.private%40example.org HTTP/1.1"',
        f'"GET /api/v1/notifications?Recipient={ADDRESS}&status=failed HTTP/1.1"',
        f'"GET /api/v1/people?email={ADDRESS}#x HTTP/1.1"',
        f'"GET /api/v1/audit?actor={ADDRESS}&limit=5 HTTP/1.1"',  # an organiser signed in by emailed link
    ],
)
def test_personal_query_parameters_are_redacted_in_the_access_log(line):
    redacted = redact(line)
    assert "camille" not in redacted and "=…" in redacted
    assert "limit=5" in redacted or "limit" not in line
    assert "status=failed" in redacted or "status" not in line


def test_other_query_parameters_are_left_alone():
    line = '"GET /api/v1/notifications?status=failed&forum_id=abc HTTP/1.1"'
    assert redact(line) == line
