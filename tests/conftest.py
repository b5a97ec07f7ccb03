"""Root of every test tier.

eventlet must patch the standard library before anything else is imported (plain pytest would
otherwise hang on nameko containers); then the shared fixtures in ``harness.testing`` are loaded.
The tests are a development setting (``OPENDETAT_ENV=dev``).
"""

import os

import eventlet

eventlet.monkey_patch()

# The tests run with the published development secrets (kit/secrets.py); outside this setting the
# processes would refuse to start with them. Processes started by the tests inherit it.
os.environ.setdefault("OPENDETAT_ENV", "dev")

pytest_plugins = ["harness.testing"]
