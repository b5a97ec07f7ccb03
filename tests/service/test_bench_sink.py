"""The benchmark's counting SMTP sink (bench/sink.py) speaks SMTP as smtplib expects and counts right.

It runs as its own process, as in the benchmark, on a real socket.
"""

import importlib.util
import smtplib
import socket
import time

import pytest

from harness.stack import ROOT

# bench/ is not an installed package (pytest puts tests/ on the path, not the repository): load the file.
_spec = importlib.util.spec_from_file_location("bench_sink", ROOT / "bench" / "sink.py")
bench_sink = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sink)
FastSink = bench_sink.FastSink


@pytest.fixture
def sink(tmp_path):
    sink = FastSink(tmp_path / "status").start()
    yield sink
    sink.stop()


def settled(sink, messages):
    deadline = time.monotonic() + 5
    while sink.counts().messages < messages and time.monotonic() < deadline:
        time.sleep(0.02)
    return sink.settled_counts()


def test_smtplib_sends_through_it_and_every_message_and_byte_is_counted(sink):
    plain = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: one\r\n\r\nHello.\r\n"
    dotted = b"Subject: two\r\n\r\n.starts with a dot\r\n.\r\nlast line\r\n"  # smtplib doubles both dots
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        code, _ = client.ehlo("bench.test")
        assert code == 250
        assert client.has_extn("8bitmime") and client.has_extn("smtputf8")
        assert client.noop()[0] == 250
        assert client.sendmail("a@example.org", ["b@example.org", "c@example.org"], plain) == {}
        assert client.sendmail("a@example.org", ["b@example.org"], dotted) == {}
        assert client.rset()[0] == 250
        assert client.docmd("VRFY", "b@example.org")[0] == 500
        assert client.docmd("DATA")[0] == 503  # no transaction under way
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        assert client.helo("bench.test")[0] == 250
        client.sendmail("a@example.org", ["b@example.org"], "Subject: é\r\n\r\nÉté\r\n".encode())

    counts = settled(sink, 3)
    assert counts.messages == 3
    stuffed = len(dotted) + 2
    assert counts.bytes == len(plain) + stuffed + len("Subject: é\r\n\r\nÉté\r\n".encode())
    assert counts.connections == 2 and counts.peak == 1
    assert counts.last <= time.monotonic()


def read_reply(conn):
    """One whole (possibly multi-line) reply: its code and text."""
    data = b""
    while True:
        chunk = conn.recv(4096)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
        lines = data.split(b"\r\n")
        if data.endswith(b"\r\n") and lines[-2][3:4] == b" ":
            return int(lines[-2][:3]), data


def test_a_message_split_across_reads_and_pipelined_commands(sink):
    with socket.create_connection(("127.0.0.1", sink.port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert read_reply(conn)[0] == 220
        conn.sendall(b"MAIL FROM:<a@example.org>\r\n")
        assert read_reply(conn)[0] == 503  # EHLO first
        conn.sendall(b"EHLO bench.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n")
        replies = b""
        while replies.count(b"\r\n") < 5:  # EHLO's three lines, then MAIL's and RCPT's
            replies += conn.recv(4096)
        assert replies.endswith(b"250 2.1.0 OK\r\n250 2.1.5 OK\r\n")
        conn.sendall(b"DATA\r\n")
        assert read_reply(conn)[0] == 354
        # Stuffed dots at the very start of the content and on a line of its own (a lone "." sent as ".."),
        # cut after "\r\n." as a terminator would be; then the CRLF ending the body (part of the content)
        # and the terminator arrive in pieces too.
        body = b"..right after DATA\r\n..\r\nline two"
        for piece in (body[:5], body[5:21], body[21:], b"\r", b"\n.", b"\r\n"):
            conn.sendall(piece)
            time.sleep(0.08)
        assert read_reply(conn)[0] == 250
        # A whole second transaction in one write, its DATA content included.
        conn.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\nx\r\n.\r\n")
        replies = b""
        while replies.count(b"\r\n") < 4:
            replies += conn.recv(4096)
        assert [line[:3] for line in replies.split(b"\r\n")[:4]] == [b"250", b"250", b"354", b"250"]
        conn.sendall(b"BOGUS\r\nQUIT\r\n")
        replies = b""
        while chunk := conn.recv(4096):  # the sink closes the connection after 221
            replies += chunk
        assert replies == b"500 5.5.2 Command not recognized\r\n221 2.0.0 Bye\r\n"

    counts = settled(sink, 2)
    assert counts.messages == 2
    assert counts.bytes == len(body + b"\r\n") + len(b"x\r\n")
