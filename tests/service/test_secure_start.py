"""A process started outside a development setting with the published secrets refuses to run."""

import os
import subprocess

import pytest

from harness.stack import CONFIG, NAMEKO, ROOT, SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_service_refuses_to_start_with_the_published_secrets(name):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENDETAT_ENV", "SECRET_KEY", "ORGANISER_TOKEN")}
    run = subprocess.run(
        [str(NAMEKO), "run", "--config", str(CONFIG), SERVICES[name]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "refusing to start: SECRET_KEY" in run.stderr
