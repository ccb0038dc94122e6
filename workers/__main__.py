"""Run the worker alone: `python -m workers` (configured from the environment).

With `DATABASE_URL` unset it uses the embedded PostgreSQL in the data folder (dev only); the
ledger schema is migrated first (`python -m ledger.migrate` does the same on its own).
"""

from __future__ import annotations

import asyncio

import structlog

from infra import logs
from infra.config import Settings
from infra.postgres import database_url
from infra.temporal import connect
from ledger.migrate import migrate
from workers import complaints_worker


async def main() -> None:
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    dsn = await database_url(settings)
    await migrate(dsn)
    client = await connect(settings)
    async with complaints_worker(
        client,
        dsn,
        task_queue=settings.task_queue,
        clock_speed=settings.clock_speed,
        sandbox=settings.workflow_sandbox,
    ) as worker:
        structlog.get_logger("worker").info(
            "worker started", task_queue=settings.task_queue, namespace=client.namespace
        )
        await worker.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
