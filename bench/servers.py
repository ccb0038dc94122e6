"""What the benchmarks stand on: a Temporal dev server (SQLite file with WAL, as `make run`
uses) and a migrated embedded PostgreSQL ledger, both in a scratch folder, stopped on exit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from infra.binaries import find
from infra.postgres import embedded_server
from ledger.migrate import migrate
from workflows import search_attributes as sa


@asynccontextmanager
async def dev_server(
    folder: Path,
    data_converter: DataConverter,
    runtime: Runtime | None = None,
    extra_args: Sequence[str] = (),
) -> AsyncIterator[WorkflowEnvironment]:
    """`extra_args`: more `temporal server start-dev` flags, e.g. `--dynamic-config-value`."""
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter,
        runtime=runtime,
        dev_server_existing_path=find("temporal"),
        dev_server_database_filename=str(folder / "bench.db"),
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            *extra_args,
        ],
        search_attributes=sa.ALL,
        ui=False,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def ledger(folder: Path) -> AsyncIterator[str]:
    """The DSN of a fresh, migrated ledger database."""
    server = await asyncio.to_thread(embedded_server, folder)
    try:
        await migrate(server.dsn)
        yield server.dsn
    finally:
        server.stop()
