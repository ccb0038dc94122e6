"""PostgreSQL fixtures, as a pytest plugin (`pytest_plugins = ["tests.pg"]`, or `-p tests.pg`).

- `pg_server` (session): the DSN of a maintenance database. `DATABASE_URL` if set (its role
  needs CREATEDB; tests only create and drop their own `test_…` databases there), else ONE
  embedded PostgreSQL for the whole session in a temporary folder, deleted afterwards.
- `empty_database`: a fresh, empty database for one test, dropped afterwards.
- `database`: a fresh database with every migration applied (a copy of the session's
  `migrated_template`), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from infra.postgres import create_database, drop_database, embedded_server
from ledger.migrate import migrate


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="complaints-pg-"))
    server = embedded_server(folder)
    try:
        yield server.dsn
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def empty_database(pg_server: str) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    dsn = await create_database(pg_server, name)
    yield dsn
    await drop_database(pg_server, name)


@pytest.fixture(scope="session")
async def migrated_template(pg_server: str) -> AsyncIterator[str]:
    """A database with every migration applied, once a session: copying it is faster than
    migrating each test's database (about 0.1 s a test)."""
    name = f"test_template_{uuid.uuid4().hex[:12]}"
    await migrate(await create_database(pg_server, name))
    yield name
    await drop_database(pg_server, name)


@pytest.fixture
async def database(pg_server: str, migrated_template: str) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    dsn = await create_database(pg_server, name, template=migrated_template)
    yield dsn
    await drop_database(pg_server, name)
