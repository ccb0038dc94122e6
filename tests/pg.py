"""PostgreSQL fixtures, as a pytest plugin (`pytest_plugins = ["tests.pg"]`, or `-p tests.pg`).

- `pg_server` (session): the DSN of a maintenance database. `DATABASE_URL` if set (its role
  needs CREATEDB; tests only create and drop their own `test_…` databases there), else ONE
  embedded PostgreSQL for the whole session in a temporary folder, deleted afterwards.
- `empty_database`: a fresh, empty database for one test, dropped afterwards.
- `database`: a fresh database with every migration applied, dropped afterwards.
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


@pytest.fixture
async def database(empty_database: str) -> str:
    await migrate(empty_database)
    return empty_database
