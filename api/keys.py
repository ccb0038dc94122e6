"""Manage the API keys of the HTTP API (`api/auth.py`).

    python -m api.keys create --name callcentre --role system [--role handler ...]
                              [--branch "Shanghai Pudong" ...]
    python -m api.keys codec-url <key_id> [--base http://127.0.0.1:8000]
    python -m api.keys list
    python -m api.keys revoke <key_id>

`--branch` limits what the key's holder may act on to those branches (a supervisor's scope;
without it, every branch). `codec-url` makes the key's personal codec endpoint for the Web UI
(a new one replaces the old) and prints its URL: set it as the UI's codec endpoint, and what
that person sends from the UI counts as theirs; revoking the key ends it too.

`create` prints the new key alone on stdout (so `KEY=$(python -m api.keys create ...)` works)
and a reminder on stderr: the key is never shown again, only its id. `list` shows every key,
revoked ones too, never a secret nor a hash. `revoke` takes effect at once for new lookups; an
API process that cached the key refuses it within `api.auth.CACHE_SECONDS`.

The database is `DATABASE_URL`, or the embedded server when it is unset; pending migrations are
applied first. Exit codes: 0 done, 1 unknown key to revoke or database refused, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import asyncpg

from domain.vocabulary import Role
from infra import logs
from infra.config import Settings
from infra.postgres import create_pool, database_url
from ledger.migrate import MigrationError, migrate

ROLES = [r.value for r in Role]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m api.keys", description="Manage the API keys of the HTTP API."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    create = commands.add_parser("create", help="create a key and print it (once)")
    create.add_argument("--name", required=True, help="who uses the key, e.g. callcentre")
    create.add_argument(
        "--role",
        dest="roles",
        action="append",
        required=True,
        choices=ROLES,
        help="a role of the key; repeat for several",
    )
    create.add_argument(
        "--branch",
        dest="branches",
        action="append",
        help="a branch the key may act for; repeat for several (default: every branch)",
    )
    codec = commands.add_parser("codec-url", help="make the key's personal UI codec endpoint")
    codec.add_argument("key_id", help="the 8 characters after 'ck_'")
    codec.add_argument("--base", default="http://127.0.0.1:8000", help="the API's base URL")
    commands.add_parser("list", help="list every key (never a secret)")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the 8 characters after 'ck_'")
    return top


async def run(args: argparse.Namespace) -> int:
    from api.auth import (  # after parsing: FastAPI
        create_key,
        create_ui_token,
        in_order,
        list_keys,
        revoke_key,
    )

    settings = Settings.from_env()
    dsn = await database_url(settings)
    try:
        await migrate(dsn)
    except MigrationError as err:
        print(f"keys: the database refused the migrations: {err}", file=sys.stderr)
        return 1
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        if args.command == "create":
            key = await create_key(pool, args.name, [Role(r) for r in args.roles], args.branches)
            print(key)
            print(
                f"created API key {key.split('_')[1]} for {args.name.strip()!r}: store it now,"
                " it cannot be shown again",
                file=sys.stderr,
            )
            return 0
        if args.command == "codec-url":
            token = await create_ui_token(pool, args.key_id)
            if token is None:
                print(f"keys: no active API key {args.key_id!r}", file=sys.stderr)
                return 1
            print(f"{args.base.rstrip('/')}/codec/u/{token}")
            print("the UI codec endpoint replaces any earlier one of this key", file=sys.stderr)
            return 0
        if args.command == "list":
            keys = await list_keys(pool)
            if not keys:
                print("no API keys")
            for k in keys:
                roles = ",".join(r.value for r in in_order(k.roles))
                if k.branches is not None:
                    roles += f" [{', '.join(sorted(k.branches))}]"
                state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M:%S%z}" if k.revoked_at else "active"
                created = f"{k.created_at:%Y-%m-%d %H:%M:%S%z}"
                print(f"{k.key_id}  {k.name:<20}  {roles:<30}  created {created}  {state}")
            return 0
        if await revoke_key(pool, args.key_id):
            print(f"revoked {args.key_id}")
            return 0
        print(f"keys: no API key {args.key_id!r}", file=sys.stderr)
        return 1
    finally:
        await pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    if args.command == "create" and not args.name.strip():
        top.error("--name must not be blank")
    logs.configure(Settings.from_env().log_format)  # logs go to stderr, output to stdout
    try:
        return asyncio.run(run(args))
    except (OSError, asyncpg.PostgresError) as err:
        print(f"keys: database error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
