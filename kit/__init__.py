"""The small kit every service shares: config, database, migrations, events, outbox, inbox.

psycopg must never use its C wait function inside an eventlet process: that function blocks the whole
hub, so concurrent queries in one service would run one after the other. The variable has to be set
before psycopg is first imported, which is why it lives at the top of the package every service imports
first.
"""

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
