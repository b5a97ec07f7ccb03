"""What each benchmark runs against: its own database, RabbitMQ vhost and stack, all removed afterwards."""

import contextlib
import os
import uuid

import psycopg
import requests

from harness.stack import Stack
from harness.testing import (
    LOCAL_AMQP,
    LOCAL_POSTGRES,
    LOCAL_RABBIT_API,
    Vhosts,
    scratch_name,
    with_database,
    with_vhost,
)

TOKEN = f"bench-{uuid.uuid4().hex}"
FORUM = {
    "title": "Forum du benchmark",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T17:00:00+01:00",
    "venue": {"name": "Hôtel de Ville", "address": "Place de l'Hôtel de Ville", "city": "Paris"},
    "capacity": 100_000,
}


def create_database():
    name = scratch_name("bench")
    with psycopg.connect(LOCAL_POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name):
    with psycopg.connect(LOCAL_POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_stack(args, log_dir, smtp_port, **settings):
    """A started, ready stack on a fresh database and vhost, sending mail to 127.0.0.1:``smtp_port``;
    yields (stack, database URL); stops it and removes the database and vhost on the way out."""
    vhosts = Vhosts(LOCAL_RABBIT_API)
    database = vhost = stack = None
    try:
        database, vhost = create_database(), vhosts.create()
        env = {
            "AMQP_URI": with_vhost(LOCAL_AMQP, vhost),
            "DATABASE_URL": with_database(LOCAL_POSTGRES, database),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
            "ORGANISER_TOKEN": TOKEN,
            "MAX_WORKERS": args.max_workers,
            "MAIL_CONNECTIONS": args.mail_connections,
            "LOG_LEVEL": args.log_level,
            "OPENDETAT_ENV": "dev",  # the development secret key is let through
            # the load comes from one address: the abuse limits would refuse it
            "RATE_LIMIT_CLIENT_WRITES": "",
            "RATE_LIMIT_ADDRESS_EMAILS": "",
        } | settings
        stack = Stack(env, log_dir, deployed=True)  # the services yield the CPU to the gateway
        print(f"starting the stack (logs in {log_dir}) ...", flush=True)
        stack.start().wait_ready()
        yield stack, env["DATABASE_URL"]
    finally:
        if stack:
            stack.stop()
        if vhost:
            vhosts.delete(vhost)
        if database:
            drop_database(database)


def open_forum(stack, **changes):
    """POST an open forum as the organiser; returns its id. Opening it publishes forum_opened."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = requests.post(
        f"{stack.base_url}/api/v1/forums", json=FORUM | changes, headers=headers, timeout=30
    )
    response.raise_for_status()
    return response.json()["id"]


def log_dir(work, name):
    return os.path.join(work, name, "logs")
