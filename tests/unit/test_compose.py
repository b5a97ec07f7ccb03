"""docker-compose.yml: no default for a secret, no port published beyond 127.0.0.1 by default."""

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
REQUIRED = ("SECRET_KEY", "ORGANISER_TOKEN", "POSTGRES_PASSWORD", "RABBITMQ_USER", "RABBITMQ_PASSWORD")


def test_secrets_and_credentials_must_come_from_the_environment():
    text = COMPOSE.read_text()
    for name in REQUIRED:
        uses = re.findall(r"\$\{" + name + r"(:?[-?][^}]*)?\}", text)
        assert uses, f"{name} is not used"
        assert all(use.startswith(":?") for use in uses), f"{name} has a default or may be empty"
    assert "guest:guest" not in text
    assert "change-me" not in text and "dev-token" not in text


def test_every_published_port_listens_on_loopback_unless_told_otherwise():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published
    for port in published:
        host = port.split(":")[0]
        assert host in ("127.0.0.1", "${GATEWAY_PUBLISH"), port
    assert "${GATEWAY_PUBLISH:-127.0.0.1}:" in COMPOSE.read_text()
