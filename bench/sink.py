"""A fast SMTP sink that only counts what it accepts, for measuring how fast the platform sends email.

aiosmtpd (the Maildir sink of the other phases) tops out at a few hundred messages a second on a small
machine: a fan-out would measure it rather than the sender. This server is one ``asyncio.Protocol``
that speaks the SMTP subset a client like smtplib uses (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT; 500 for anything else) and offers PIPELINING (RFC 2920) as production relays do; it keeps
nothing of the messages, and counts the accepted ones and
their size (bytes between DATA's 354 and the terminating ``.``, dot-stuffing included).

The counts reach the benchmark through a small status file, rewritten (atomically, with os.replace) at
most every 50 ms and only when something changed: ``<messages> <bytes> <last> <peak> <connections>
<open>``, ``last`` being the time.monotonic() of the last acceptance, ``peak`` the most connections open
at once, ``connections`` how many were opened in all and ``open`` how many are open now.
CLOCK_MONOTONIC is shared by every process on the machine, so the reader gets the exact
moment the last message was accepted without polling faster than that. The file is first written once
the server listens, so its existence means "ready".

Run as its own process, so that its CPU is not shared with the process being measured:

    python -m bench.sink --port 2525 --status /tmp/sink-status

``FastSink`` below starts and reads it from the benchmark. It stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from harness.stack import ROOT, free_port

WRITE_EVERY = 0.05  # seconds between two rewrites of the status file, at most
MAX_LINE = 4096  # a command line longer than this (RFC 5321 says 512) is refused
TERMINATOR = b"\r\n.\r\n"


class Tally:
    """What every connection accepted so far."""

    def __init__(self):
        self.messages = 0
        self.bytes = 0
        self.last = 0.0  # time.monotonic() of the last acceptance
        self.open = 0  # connections open now
        self.peak = 0  # connections open at once, at most
        self.connections = 0  # connections opened in all

    def line(self):
        return f"{self.messages} {self.bytes} {self.last:.6f} {self.peak} {self.connections} {self.open}\n"


class SmtpCounter(asyncio.Protocol):
    """One SMTP session. Commands are handled in the order they arrive (pipelined ones too); in DATA mode
    only the last few bytes are kept, to find the terminator when it is split across reads."""

    def __init__(self, tally, hostname="127.0.0.1"):
        self.tally = tally
        self.hostname = hostname.encode()
        self.transport = None
        self.buffer = b""
        self.greeted = False
        self.sender = False  # MAIL accepted in this transaction
        self.recipients = 0
        self.in_data = False
        self.data_tail = b""  # the last bytes of the DATA stream not yet known to be message content
        self.data_offset = 0  # where data_tail sits in the stream that starts with DATA's own CRLF
        self.discarding = False  # inside an overlong command line: drop it up to its end
        self.closing = False

    def connection_made(self, transport):
        self.transport = transport
        self.tally.open += 1
        self.tally.connections += 1
        self.tally.peak = max(self.tally.peak, self.tally.open)
        transport.write(b"220 " + self.hostname + b" ESMTP bench sink\r\n")

    def connection_lost(self, exc):
        self.tally.open -= 1

    def data_received(self, chunk):
        if self.closing:
            return
        replies = []
        buffer = self.buffer + chunk
        while buffer and not self.closing:
            if self.in_data:
                buffer = self.take_data(buffer, replies)
                continue
            end = buffer.find(b"\n")
            if end < 0:
                if len(buffer) > MAX_LINE:
                    if not self.discarding:
                        replies.append(b"500 5.5.2 Line too long\r\n")
                    self.discarding, buffer = True, b""
                break
            line, buffer = buffer[:end].rstrip(b"\r"), buffer[end + 1 :]
            if self.discarding:  # the end of an overlong line, already answered
                self.discarding = False
                continue
            if len(line) > MAX_LINE:
                replies.append(b"500 5.5.2 Line too long\r\n")
                continue
            replies.append(self.command(line))
        self.buffer = buffer
        if replies:
            self.transport.write(b"".join(replies))
        if self.closing:
            self.transport.close()

    def take_data(self, buffer, replies):
        """Consume message content from ``buffer``; return what follows the message, if it ended."""
        # The stream starts with the CRLF that ended the DATA line, so a terminator right at the start
        # (an empty message) or a line starting with "." just after DATA are found like any other.
        stream = self.data_tail + buffer
        end = stream.find(TERMINATOR)
        if end < 0:
            keep = min(len(stream), len(TERMINATOR) - 1)
            self.data_offset += len(stream) - keep
            self.data_tail = stream[len(stream) - keep :]
            return b""
        # The content runs from after DATA's CRLF up to and including the CRLF before the ".".
        size = self.data_offset + end
        self.tally.messages += 1
        self.tally.bytes += size
        self.tally.last = time.monotonic()
        replies.append(b"250 2.0.0 Message accepted\r\n")
        self.in_data, self.data_tail, self.data_offset = False, b"", 0
        self.reset()
        return stream[end + len(TERMINATOR) :]

    def reset(self):
        self.sender, self.recipients = False, 0

    def command(self, line):
        verb, _, argument = line.partition(b" ")
        verb, argument = verb.upper(), argument.strip()
        if verb == b"EHLO" or verb == b"HELO":
            if not argument:
                return b"501 5.5.4 Syntax: " + verb + b" hostname\r\n"
            self.greeted = True
            self.reset()
            if verb == b"HELO":
                return b"250 " + self.hostname + b"\r\n"
            return b"250-" + self.hostname + b"\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n"
        if verb == b"MAIL":
            if not self.greeted:
                return b"503 5.5.1 Say EHLO or HELO first\r\n"
            if self.sender:
                return b"503 5.5.1 Sender already given\r\n"
            if not argument.upper().startswith(b"FROM:"):
                return b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
            self.sender = True
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            if not self.sender:
                return b"503 5.5.1 MAIL first\r\n"
            if not argument.upper().startswith(b"TO:"):
                return b"501 5.5.4 Syntax: RCPT TO:<address>\r\n"
            self.recipients += 1
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            if argument:
                return b"501 5.5.4 Syntax: DATA\r\n"
            if not self.recipients:
                return b"503 5.5.1 RCPT first\r\n"
            self.in_data, self.data_tail, self.data_offset = True, b"\r\n", 0
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"RSET":
            self.reset()
            return b"250 2.0.0 OK\r\n"
        if verb == b"NOOP":
            return b"250 2.0.0 OK\r\n"
        if verb == b"QUIT":
            self.closing = True
            return b"221 2.0.0 Bye\r\n"
        return b"500 5.5.2 Command not recognized\r\n"


def write_status(path, tally):
    temporary = f"{path}.tmp"
    with open(temporary, "w") as status:
        status.write(tally.line())
    os.replace(temporary, path)


async def serve(host, port, status_path):
    loop = asyncio.get_running_loop()
    tally = Tally()
    server = await loop.create_server(lambda: SmtpCounter(tally), host, port)
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    written = None
    while True:
        seen = (tally.messages, tally.bytes, tally.connections, tally.open)
        if seen != written:  # the first pass always writes: the file says "listening"
            write_status(status_path, tally)
            written = seen
        try:
            await asyncio.wait_for(stopping.wait(), WRITE_EVERY)
            break
        except TimeoutError:
            pass
    server.close()
    write_status(status_path, tally)


class Counts(NamedTuple):
    messages: int = 0
    bytes: int = 0
    last: float = 0.0  # time.monotonic() of the last acceptance, 0 before the first
    peak: int = 0  # connections open at once, at most
    connections: int = 0  # connections opened in all
    open: int = 0  # connections open now


class FastSink:
    """The sink as a child process, seen from the benchmark: its port, pid and counts."""

    def __init__(self, status_path, port=None):
        self.status_path = Path(status_path)
        self.port = port or free_port()
        self.process = None

    def start(self, timeout=10.0):
        self.status_path.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "bench.sink",
            "--port",
            str(self.port),
            "--status",
            str(self.status_path),
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self.status_path.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"the SMTP sink exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the SMTP sink did not start listening within {timeout} s")
            time.sleep(0.02)
        return self

    @property
    def pid(self):
        return self.process.pid

    def counts(self):
        """The sink's Counts as of its last write (at most 50 ms ago, if anything changed since)."""
        for _ in range(3):  # os.replace makes the file whole; a read racing a replace may still fail
            try:
                messages, size, last, *connections = self.status_path.read_text().split()
                return Counts(int(messages), int(size), float(last), *map(int, connections))
            except (OSError, ValueError):
                time.sleep(0.005)
        raise RuntimeError(f"cannot read the SMTP sink's status file {self.status_path}")

    def settled_counts(self, timeout=2.0):
        """The counts once they stop moving (two writes' worth of quiet), within ``timeout``."""
        deadline = time.monotonic() + timeout
        counts = self.counts()
        while time.monotonic() < deadline:
            time.sleep(WRITE_EVERY * 2.5)
            again = self.counts()
            if again == counts:
                break
            counts = again
        return counts

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for path in (self.status_path, Path(f"{self.status_path}.tmp")):
            path.unlink(missing_ok=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sink", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--status", required=True, help="file to write '<messages> <bytes> <last>' to")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
