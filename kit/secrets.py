"""Refuse to run in production with secrets anyone can read in this repository.

``SECRET_KEY`` signs every magic link and every event: with a known key anyone can mint a link to any
person's data. ``ORGANISER_TOKEN`` (optional: organiser tokens can also be created and stored hashed)
opens every organiser route. Outside a development setting, a process whose key or bootstrap token is a
known default or shorter than ``MIN_LENGTH`` characters does not start: its container fails at setup,
before it listens or consumes anything, and says which setting to change.

A development setting is told by ``OPENDETAT_ENV=dev``, which ``make up`` and the tests set; anything
else (unset included) is production.
"""

import logging

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)
DEV = "dev"
MIN_LENGTH = 32
# The values this repository has ever shipped as defaults.
KNOWN_DEFAULTS = frozenset({"change-me-in-production", "organiser-dev-token", "dev-only-secret-key"})


class InsecureSettings(RuntimeError):
    """A setting that would let anyone in: the process refuses to start."""


def is_dev(config):
    return str(config.get("OPENDETAT_ENV") or "").strip().lower() == DEV


def weak(value):
    return value in KNOWN_DEFAULTS or len(value) < MIN_LENGTH


def problems(config):
    """What is wrong with the secrets in ``config``, as sentences for an operator (empty when fine)."""
    found = []
    secret = str(config.get("SECRET_KEY") or "")
    if weak(secret):
        found.append(
            f"SECRET_KEY is missing, a published default or shorter than {MIN_LENGTH} characters: set it to"
            " a long random value, the same for every service (e.g. `openssl rand -base64 48`)"
        )
    tokens = [token.strip() for token in str(config.get("ORGANISER_TOKEN") or "").split(",") if token.strip()]
    if any(weak(token) for token in tokens):
        found.append(
            f"ORGANISER_TOKEN holds a published default or a token shorter than {MIN_LENGTH} characters: set"
            " a long random value, or leave it empty and create named organiser tokens instead"
        )
    return found


def check(config):
    """Raise InsecureSettings outside a development setting; only warn inside one."""
    found = problems(config)
    if not found:
        return
    if is_dev(config):
        for problem in found:
            log.warning("development setting (OPENDETAT_ENV=dev): %s", problem)
        return
    raise InsecureSettings("refusing to start: " + "; ".join(found) + ". (OPENDETAT_ENV=dev allows it.)")


class SecureSettings(DependencyProvider):
    """Declared by every service: checks the settings when its container sets up."""

    def setup(self):
        check(self.container.config)
