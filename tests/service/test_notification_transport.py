"""The mail sender's SMTP transactions (services/notification/transport.py) against real servers: with
PIPELINING (the benchmark's counting sink offers it) and without (aiosmtpd, as in every other test)."""

import smtplib

import pytest

from harness.testing import SmtpSink
from services.notification import transport
from services.notification.mime import compose

from .test_bench_sink import FastSink, settled


@pytest.fixture
def pipelining_sink(tmp_path):
    sink = FastSink(tmp_path / "status").start()
    yield sink
    sink.stop()


def message(number):
    return compose(
        sender="forums@example.org", recipient=f"p{number}@example.org", recipient_name=f"P {number}",
        subject=f"Message {number}", message_id=f"<{number}@example.org>", text=f"Bonjour {number}",
        html=f"<p>Bonjour {number}</p>",
    )  # fmt: skip


def test_pipelined_transactions_deliver_every_byte(pipelining_sink):
    sent = [message(n) for n in range(3)]
    dotted = b"Subject: dots\r\n\r\n.a line starting with a dot\r\nno CRLF at the end"  # not from compose
    with smtplib.SMTP("127.0.0.1", pipelining_sink.port, timeout=10) as server:
        server.ehlo()
        assert server.has_extn("pipelining")
        for number, body in enumerate([*sent, dotted]):
            transport.send(server, "forums@example.org", f"p{number}@example.org", body)
    counts = settled(pipelining_sink, 4)
    assert counts.messages == 4
    # Each message as it was, the dotted one with its dot doubled and a final CRLF added.
    assert counts.bytes == sum(len(body) for body in sent) + len(dotted) + 1 + 2


def test_without_pipelining_and_a_refusal_leaves_the_connection_usable(tmp_path):
    sink = SmtpSink(tmp_path / "mail", refuse="@refused.example.org").start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as server:
            server.ehlo()
            assert not server.has_extn("pipelining")
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                transport.send(server, "forums@example.org", "nobody@refused.example.org", message(1))
            assert refused.value.recipients["nobody@refused.example.org"][0] == 550
            transport.send(server, "forums@example.org", "p2@example.org", message(2))  # the same connection
            with pytest.raises(smtplib.SMTPRecipientsRefused):  # a line break cannot add a command
                transport.send(server, "forums@example.org", "p3@example.org\r\nRCPT TO:<x@y>", message(3))
        [received] = sink.wait_for(1)
        assert received["Subject"] == "Message 2" and received["Message-ID"] == "<2@example.org>"
    finally:
        sink.stop()


def test_a_session_pipelines_messages_and_reports_each_outcome_once(pipelining_sink):
    with smtplib.SMTP("127.0.0.1", pipelining_sink.port, timeout=10) as server:
        session = transport.Session(server, "forums@example.org")
        assert session.pipelining
        outcomes = []
        for number in range(5):  # the third address cannot be sent: refused before anything is written
            recipient = "bad address@example.org" if number == 2 else f"p{number}@example.org"
            outcomes += session.send(number, recipient, message(number))
        assert session.open is not None  # the last message waits for its end...
        outcomes += session.finish()  # ...which the finish writes
    assert sorted(key for key, _ in outcomes) == [0, 1, 2, 3, 4]
    assert {key: type(trouble).__name__ for key, trouble in outcomes if trouble} == {
        2: "SMTPRecipientsRefused"
    }
    assert settled(pipelining_sink, 4).messages == 4


def test_a_server_gone_mid_session_fails_the_messages_in_hand_and_breaks_the_session(pipelining_sink):
    with smtplib.SMTP("127.0.0.1", pipelining_sink.port, timeout=10) as server:
        session = transport.Session(server, "forums@example.org")
        assert session.send(1, "p1@example.org", message(1)) == []  # in hand: its DATA accepted
        pipelining_sink.stop()
        outcomes = session.send(2, "p2@example.org", message(2))
    assert [key for key, _ in outcomes] == [1, 2] and all(trouble for _, trouble in outcomes)
    assert session.broken and session.open is None
