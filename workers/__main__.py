"""Run the worker alone: `python -m workers` (configured from the environment).

With `DATABASE_URL` unset it uses the embedded PostgreSQL in the data folder (dev only); the
ledger schema is migrated first (`python -m ledger.migrate` does the same on its own).

It serves `/healthz`, `/readyz` and `/metrics` on `COMPLAINTS_WORKER_HTTP_PORT` (9400;
`workers/endpoints.py`). SIGTERM or SIGINT stops it gracefully, and it exits 0:

1. readiness turns 503 and the worker stops polling for new tasks;
2. workflow tasks in flight complete; running activities get `COMPLAINTS_WORKER_SHUTDOWN_GRACE`
   seconds (30) to finish before they are cancelled (Temporal retries them elsewhere);
3. the outbox relay, which kept sending meanwhile, stops: a batch already handed to the
   channels is finished and its outcomes recorded (up to 10 s), so nothing is sent twice;
4. the HTTP server and the ledger pool close.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from datetime import timedelta

import structlog

from infra import logs
from infra.config import Settings
from infra.postgres import database_url
from infra.temporal import connect, metrics_runtime
from ledger.migrate import migrate
from workers import complaints_worker, endpoints, tuning

log = structlog.get_logger("worker")


async def main() -> int:
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # Python as PID 1 ignores what it does not trap
        loop.add_signal_handler(sig, _stopper(stop, sig))
    dsn = await database_url(settings)
    await migrate(dsn)
    runtime, sdk_metrics = metrics_runtime(settings.sdk_metrics_address)
    client = await connect(settings, runtime=runtime, service="complaints-worker")
    async with complaints_worker(
        client,
        dsn,
        task_queue=settings.task_queue,
        clock_speed=settings.clock_speed,
        sandbox=settings.workflow_sandbox,
        outbox_lease=timedelta(seconds=settings.outbox_lease),
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_grace),
        **tuning(settings),
    ) as worker:
        app = endpoints.create_app(client, worker, sdk_metrics)
        async with endpoints.serving(
            app, settings.worker_http_host, settings.worker_http_port
        ) as port:
            running = asyncio.create_task(worker.run(), name="worker")
            stopping = asyncio.create_task(stop.wait(), name="stop")
            log.info(
                "worker started",
                task_queue=settings.task_queue,
                namespace=client.namespace,
                http_port=port,
                metrics=f"http://{settings.worker_http_host}:{port}/metrics",
            )
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not running.done():
                log.info(
                    "worker stopping: finishing the tasks in flight",
                    grace_seconds=settings.worker_shutdown_grace,
                )
                await worker.shutdown()
            stopping.cancel()
            await running  # the relay's last batch is recorded when this returns; raises if failed
    log.info("worker stopped")
    return 0


def _stopper(stop: asyncio.Event, sig: signal.Signals) -> Callable[[], None]:
    def handler() -> None:
        if stop.is_set():
            log.info("already stopping", signal=sig.name)
        stop.set()

    return handler


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:  # before the handlers were installed: nothing was started
        pass
