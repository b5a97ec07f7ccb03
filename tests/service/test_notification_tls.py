"""Mail through a relay that wants TLS (STARTTLS or implicit) and a login: real aiosmtpd servers with a
certificate from a CA made for the test. A wrong password or a certificate nobody trusts is recorded in
the delivery log and the message waits for the relay to be fixed; then it goes out.
"""

import re
import subprocess

import pytest

from harness.testing import SmtpSink, wait_until
from kit.secrets import InsecureSettings
from services.notification.service import NotificationService

from .test_notification_emails import forum_block, mail_to, query, registration, someone, text_of

USER, PASSWORD = "forums@relay.example", "correct horse battery"
MODES = ["starttls", "tls"]  # SMTP_SECURITY: STARTTLS on a plain port, or TLS from the first byte


def authority(directory, name):
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost.

    Returns (the CA's PEM file, (certificate, key) of the server).
    """
    directory.mkdir()
    ca, ca_key, cert, key = (directory / n for n in ("ca.pem", "ca.key", "server.pem", "server.key"))
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"]
    openssl(
        *("req", "-x509", *new_key, "-keyout", ca_key, "-out", ca, "-subj", f"/CN={name}"),
        *("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    openssl(
        *("req", "-x509", *new_key, "-CA", ca, "-CAkey", ca_key, "-keyout", key, "-out", cert),
        *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        *("-addext", "extendedKeyUsage=serverAuth"),
    )
    return ca, (cert, key)


def openssl(*args):
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def relay(tmp_path):
    """Start an SMTP sink; called again, it restarts it (same port, same Maildir) with new settings."""
    sinks = []

    def start(**settings):
        if sinks:
            sinks[-1].stop()
        port = sinks[-1].port if sinks else None
        sinks.append(SmtpSink(tmp_path / "relay", port=port, **settings).start())
        return sinks[-1]

    yield start
    for sink in sinks:
        sink.stop()


def relay_config(service_config, sink, ca, security, password=PASSWORD):
    return service_config | {
        "SMTP_PORT": sink.port,
        "SMTP_SECURITY": security,
        "SMTP_CA_FILE": str(ca),
        "SMTP_USER": USER,
        "SMTP_PASSWORD": password,
    }


def after_attempts(config, address, count):
    """The delivery row to ``address`` once ``count`` attempts are over (not while another one runs)."""

    def row():
        found = query(
            config, "SELECT status, attempts, last_error FROM deliveries WHERE recipient = %s", address
        )
        if found and found[0]["attempts"] >= count and found[0]["status"] != "sending":
            return found[0]

    return wait_until(row, message=f"{count} attempts to send to {address}")


def confirm(publish, person):
    publish(registration("registration_confirmed", forum_block(), person, attendee_code="K7P2QX"))


@pytest.mark.parametrize("security", MODES)
def test_mail_goes_out_over_tls_after_a_login(
    security, relay, container_factory, publish, service_config, tmp_path
):
    ca, certificate = authority(tmp_path / "ca", "Relay test CA")
    sink = relay(tls=certificate, implicit_tls=security == "tls", auth=f"{USER}:{PASSWORD}")
    config = relay_config(service_config, sink, ca, security)
    container_factory(NotificationService, config).start()
    person = someone("en")
    confirm(publish, person)
    [message] = mail_to(sink, person["email"])
    assert message["Subject"] == "Registration confirmed: Forum de mai"
    assert "Your attendee code : K7P2QX" in text_of(message)
    # The relay's own trace: TLS and an authenticated session (RFC 3848), not plain SMTP.
    assert re.search(r" with ESMTPSA \(TLSv1\.[23]\);", message["Received"]), message["Received"]
    row = after_attempts(config, person["email"], 1)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)


@pytest.mark.parametrize("security", MODES)
def test_a_certificate_nobody_trusts_keeps_the_message_waiting_until_the_relay_has_a_trusted_one(
    security, relay, container_factory, publish, service_config, tmp_path
):
    trusted_ca, trusted = authority(tmp_path / "trusted", "Trusted test CA")
    _, stranger = authority(tmp_path / "stranger", "Unknown test CA")
    implicit, login = security == "tls", f"{USER}:{PASSWORD}"
    sink = relay(tls=stranger, implicit_tls=implicit, auth=login)
    config = relay_config(service_config, sink, trusted_ca, security)
    container_factory(NotificationService, config).start()
    person = someone()
    confirm(publish, person)
    row = after_attempts(config, person["email"], 2)  # retried, not given up
    assert row["status"] == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"], row["last_error"]
    assert sink.messages() == []

    sink = relay(tls=trusted, implicit_tls=implicit, auth=login)  # the relay gets a proper certificate
    [message] = mail_to(sink, person["email"])
    assert " with ESMTPSA (TLSv1." in message["Received"]
    row = after_attempts(config, person["email"], 3)
    assert (row["status"], row["last_error"]) == ("sent", None)


def test_a_wrong_password_is_recorded_in_the_delivery_log_and_nothing_is_sent(
    relay, container_factory, publish, service_config, tmp_path
):
    ca, certificate = authority(tmp_path / "ca", "Relay test CA")
    sink = relay(tls=certificate, auth=f"{USER}:{PASSWORD}")
    config = relay_config(service_config, sink, ca, "starttls", password="an old password")
    container_factory(NotificationService, config).start()
    person = someone()
    confirm(publish, person)
    row = after_attempts(config, person["email"], 1)
    assert row["status"] != "sent"
    assert "535" in row["last_error"] and "Authentication credentials invalid" in row["last_error"]
    assert sink.messages() == []


def test_a_message_refused_for_a_wrong_password_waits_and_goes_out_once_the_password_is_fixed(
    relay, container_factory, publish, service_config, tmp_path
):
    ca, certificate = authority(tmp_path / "ca", "Relay test CA")
    sink = relay(tls=certificate, auth=f"{USER}:{PASSWORD}")
    wrong = relay_config(service_config, sink, ca, "starttls", password="an old password")
    container = container_factory(NotificationService, wrong)
    container.start()
    person = someone()
    confirm(publish, person)
    row = after_attempts(wrong, person["email"], 1)
    assert row["status"] == "pending" and "535" in row["last_error"]
    assert after_attempts(wrong, person["email"], 2)["status"] == "pending"  # retried, not given up
    assert sink.messages() == []

    container.stop()  # the operator corrects SMTP_PASSWORD and restarts the service
    container_factory(NotificationService, relay_config(service_config, sink, ca, "starttls")).start()
    [message] = mail_to(sink, person["email"])
    assert " with ESMTPSA (TLSv1." in message["Received"]
    assert after_attempts(wrong, person["email"], 3)["status"] == "sent"


def plaintext_config(service_config, sink, **settings):
    """A login to ``sink`` with no TLS at all (SMTP_SECURITY=none), and ``settings`` on top."""
    login = {"SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
    return service_config | {"SMTP_PORT": sink.port, "SMTP_SECURITY": "none"} | login | settings


def test_a_login_without_tls_is_refused_at_start_unless_explicitly_allowed(
    relay, container_factory, service_config
):
    sink = relay(auth=f"{USER}:{PASSWORD}")  # a relay that takes a login in clear
    for refused in ({}, {"SMTP_ALLOW_PLAINTEXT_AUTH": False}, {"SMTP_ALLOW_PLAINTEXT_AUTH": "no"}):
        container = container_factory(NotificationService, plaintext_config(service_config, sink, **refused))
        with pytest.raises(InsecureSettings) as refusal:
            container.start()
        for setting in ("SMTP_USER", "SMTP_PASSWORD", "SMTP_SECURITY=none", "SMTP_ALLOW_PLAINTEXT_AUTH"):
            assert setting in str(refusal.value)
    typo = plaintext_config(service_config, sink, SMTP_SECURITY="ssl")
    with pytest.raises(InsecureSettings, match="SMTP_SECURITY is 'ssl'"):  # not taken for none
        container_factory(NotificationService, typo).start()


def test_with_plaintext_login_allowed_the_login_happens_over_plain_smtp(
    relay, container_factory, publish, service_config
):
    sink = relay(auth=f"{USER}:{PASSWORD}")
    config = plaintext_config(
        service_config, sink, SMTP_ALLOW_PLAINTEXT_AUTH="true"
    )  # as the environment says
    container_factory(NotificationService, config).start()
    person = someone()
    confirm(publish, person)
    [message] = mail_to(sink, person["email"])
    assert re.search(r" with ESMTPA;", message["Received"]), message["Received"]  # logged in, no TLS
    assert after_attempts(config, person["email"], 1)["status"] == "sent"
