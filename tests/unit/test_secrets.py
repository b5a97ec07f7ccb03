"""Published secrets are refused outside a development setting."""

import pytest

from kit import secrets
from kit.config import load_config

STRONG = "k" * 40


def config(**values):
    return {"SECRET_KEY": STRONG, "ORGANISER_TOKEN": "", "OPENDETAT_ENV": "production"} | values


@pytest.mark.parametrize(
    "values",
    [
        {"SECRET_KEY": "dev-only-secret-key"},
        {"SECRET_KEY": "change-me-in-production"},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": "short-but-random-7f3a"},
        {"ORGANISER_TOKEN": "organiser-dev-token"},
        {"ORGANISER_TOKEN": f"{STRONG}, organiser-dev-token"},
        {"OPENDETAT_ENV": None, "SECRET_KEY": "dev-only-secret-key"},
    ],
)
def test_a_published_or_short_secret_is_refused_in_production(values):
    with pytest.raises(secrets.InsecureSettings) as refused:
        secrets.check(config(**values))
    assert "SECRET_KEY" in str(refused.value) or "ORGANISER_TOKEN" in str(refused.value)


def test_long_secrets_and_no_bootstrap_token_start_in_production():
    secrets.check(config())
    secrets.check(config(ORGANISER_TOKEN=f"{STRONG}, {'t' * 32}"))


def test_a_development_setting_only_warns(caplog):
    secrets.check(config(OPENDETAT_ENV="dev", SECRET_KEY="dev-only-secret-key"))
    assert "SECRET_KEY" in caplog.text


def test_the_settings_file_defaults_are_refused_unless_told_it_is_development(monkeypatch):
    for name in ("SECRET_KEY", "ORGANISER_TOKEN", "OPENDETAT_ENV"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(secrets.InsecureSettings):
        secrets.check(load_config())
    assert load_config()["WEB_SERVER_ADDRESS"].startswith("127.0.0.1:")  # not on every interface
