"""Organiser tokens for operators, who may hold none yet: no running service is needed, only the
database (the registration schema's migrations are applied first). The trail names the actor "cli".

    python -m services.registration.organisers create --name NAME [--scope read|write]
    python -m services.registration.organisers list
    python -m services.registration.organisers revoke --name NAME

``create`` prints the token alone on standard output, once: only its digest is kept.
"""

import argparse
import sys
from datetime import UTC, datetime

from kit import organiser_tokens
from kit.config import load_config
from kit.db import connect
from kit.migrations import migrate, service_migrations
from kit.tx import Tx
from services.registration import organisers
from services.registration.errors import RegistrationError

SCHEMA = "registration"
ACTOR = "cli"


def parser():
    commands = argparse.ArgumentParser(prog="python -m services.registration.organisers", description=__doc__)
    actions = commands.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it, once")
    create.add_argument("--name", required=True, help="who holds it: the audit trail shows this name")
    create.add_argument("--scope", choices=organisers.SCOPES, default="write")
    actions.add_parser("list", help="the tokens, those in use first (never the tokens themselves)")
    revoke = actions.add_parser("revoke", help="revoke the token in use under this name, at once")
    revoke.add_argument("--name", required=True)
    return commands


def run(args, tx):
    if args.action == "create":
        token = organiser_tokens.mint()
        created = organisers.create(tx, args.name, args.scope, organiser_tokens.digest(token).hex())
        print(
            f"created {created['name']!r} ({created['scope']}); the token, shown only now:", file=sys.stderr
        )
        print(token)
    elif args.action == "list":
        for token in organisers.listing(tx)["items"]:
            state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "in use"
            print(
                f"{token['name']}\t{token['scope']}\tcreated {token['created_at']} by {token['created_by']}\t{state}"
            )
    else:
        revoked = organisers.revoke_by_name(tx, args.name)
        print(f"revoked {revoked['name']!r}", file=sys.stderr)


def main(argv=None, config=None):
    args = parser().parse_args(argv)
    url = (config or load_config())["DATABASE_URL"]
    migrate(url, SCHEMA, service_migrations()[SCHEMA])
    with connect(url, SCHEMA) as conn, conn.transaction(), conn.cursor() as cur:
        try:
            run(args, Tx(cur, None, datetime.now(UTC), ACTOR))
        except RegistrationError as exc:
            raise SystemExit(f"refused: {exc}") from None


if __name__ == "__main__":
    main()
