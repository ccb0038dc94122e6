"""PostgreSQL for the ledger: `DATABASE_URL` in production, an embedded server otherwise.

The embedded default is `pgserver` (a real PostgreSQL 16 shipped in a wheel): its data lives in
`<data_dir>/postgres` and is kept across restarts; it listens on a unix socket only (in the data
folder, or under the runtime directory when that path is too long for a socket), never on TCP.

How pgserver shares one data folder (read from pgserver 0.1.4 and tried out):

- Start and attach are serialised by one inter-process file lock for the whole machine
  (`$XDG_RUNTIME_DIR/python_PostgresServer/.lockfile`, `/tmp/runtime-<uid>/...` when that
  variable is unset). The first caller runs `initdb` (about 0.5 s) and `pg_ctl start`; any later
  caller, in this process or another, finds the running postmaster through `postmaster.pid`
  and attaches to it in a few milliseconds. Two processes starting at once get the same server.
- Within one process the same folder always gives the same handle (the options of the first
  call win). Across processes, each one that opened the server writes its pid into
  `<pgdata>/.handle_pids.json`; at exit (atexit) or on `stop()` a process takes its pid out, and
  only the *last* one stops the server (`pg_ctl stop`). Data is never deleted here.
- Run as root, PostgreSQL runs as a system user `pgserver` (created with `useradd` if missing),
  the data folder is chowned to it, and every parent folder of it gets `go+rx`.

Two pgserver weaknesses are covered here, before every start or attach (under its lock):

- A process killed with SIGKILL never takes its pid out of the list, so no later process is
  ever "last" and the server would run forever: dead pids are pruned from the list.
- A stale `postmaster.pid` (after a crash or a container restart) whose pid now belongs to
  some other process makes pgserver believe the server runs (it only checks that the pid
  exists): it hands out a socket nobody listens on, and at exit *kills that unrelated process*.
  The file is removed unless its pid is a live `postgres` on this very data folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from infra.config import Settings

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

# What the ledger's functions take: one connection (in the caller's transaction, if any),
# or also a pool where a statement runs on its own.
Connection = asyncpg.Connection | PoolConnectionProxy
Queryable = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy

_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_STARTING = threading.Lock()  # pgserver's file lock does not exclude threads of one process


@dataclass
class EmbeddedPostgres:
    """This process's handle on the embedded server (which other processes may share)."""

    pgdata: Path
    _server: PostgresServer

    @property
    def dsn(self) -> str:
        """`postgresql://postgres:@/postgres?host=<socket dir>` (trust auth, no password)."""
        return self._server.get_uri()

    def stop(self) -> None:
        """Give up this process's handle; the server stops if no other live process holds one."""
        from pgserver.postgres_server import PostgresServer

        self._server.cleanup()
        # pgserver keeps the handle cached unless it stopped the server: forget it so that
        # a later `embedded_server()` registers this process again.
        PostgresServer._instances.pop(self.pgdata, None)


def embedded_server(data_dir: Path) -> EmbeddedPostgres:
    """Start, or attach to, the embedded server of `<data_dir>/postgres` (blocking).

    The server keeps running while any process that opened it is alive; this one releases its
    handle at exit or with `stop()`.
    """
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from pgserver.postgres_server import PostgresServer, get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "postgres").resolve()
    with _STARTING:
        if pgdata not in PostgresServer._instances and pgdata.exists():
            with PostgresServer._lock:
                _clear_stale_state(pgdata)
        return EmbeddedPostgres(pgdata, get_server(pgdata, cleanup_mode="stop"))


def _clear_stale_state(pgdata: Path) -> None:
    from pgserver.utils import PostmasterInfo, process_is_running

    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        pids: list[int] = json.loads(handles.read_text() or "[]")
        live = [pid for pid in pids if pid != os.getpid() and process_is_running(pid)]
        if live != pids:
            handles.write_text(json.dumps(live))
    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError):  # a truncated or garbled file
        info = None
    else:
        if info is None or _is_postmaster_of(info.process, pgdata):
            return
    (pgdata / "postmaster.pid").unlink(missing_ok=True)


def _is_postmaster_of(process: Any, pgdata: Path) -> bool:
    if process is None:
        return False
    try:
        return bool(process.name() == "postgres" and str(pgdata) in process.cmdline())
    except Exception:  # gone, a zombie, or not ours to inspect
        return False


async def database_url(settings: Settings) -> str:
    """`settings.database_url` if set, else the embedded server's (started if needed)."""
    if settings.database_url:
        return settings.database_url
    server = await asyncio.to_thread(embedded_server, settings.data_dir)
    return server.dsn


def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    """A small pool for the ledger (await it, or `async with` it); extra keyword arguments go
    to `asyncpg.create_pool`."""
    kwargs.setdefault("command_timeout", 30.0)
    kwargs.setdefault("server_settings", {"application_name": "complaints"})
    kwargs.setdefault("reset", _keep_session)
    return asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, **kwargs)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection without asyncpg's default reset query (`RESET ALL`, `UNLISTEN *`,
    ...), a round trip on every release, as many as the ledger write itself. Nothing here
    leaves session state behind: no SET, no cursors, no advisory locks on pooled connections,
    and the outbox relay UNLISTENs before it gives its connection back. asyncpg still rolls
    back an open transaction and drops listener callbacks before calling this."""


def with_database(dsn: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("expected a postgresql:// URL")
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(dsn: str, name: str, *, template: str | None = None) -> str:
    """Create an empty database `name` (lower-case identifier) on the server, or a copy of
    `template` (which nobody may be connected to); return its DSN.

    The role of `dsn` needs CREATEDB (the embedded server's `postgres` is a superuser).
    """
    for db in (name, template or name):
        if not _DB_NAME.fullmatch(db):
            raise ValueError(f"not a plain lower-case database name: {db!r}")
    conn = await asyncpg.connect(dsn)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return with_database(dsn, name)


async def drop_database(dsn: str, name: str) -> None:
    """Drop database `name` if it exists, closing any connection still open on it."""
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"not a plain lower-case database name: {name!r}")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
