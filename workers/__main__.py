"""Run the worker alone: `python -m workers` (configured from the environment)."""

from __future__ import annotations

import asyncio

import structlog

from infra import logs
from infra.config import Settings
from infra.temporal import connect
from workers import build_worker


async def main() -> None:
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    client = await connect(settings)
    worker = build_worker(client, task_queue=settings.task_queue, clock_speed=settings.clock_speed)
    structlog.get_logger("worker").info(
        "worker started", task_queue=settings.task_queue, namespace=client.namespace
    )
    await worker.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
