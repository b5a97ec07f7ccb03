"""Root of every test tier.

eventlet must patch the standard library before anything else is imported (plain pytest would
otherwise hang on nameko containers); then the shared fixtures in ``kit.testing`` are loaded.
"""

import eventlet

eventlet.monkey_patch()

pytest_plugins = ["kit.testing"]
