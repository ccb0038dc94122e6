"""Serve the API alone: `python -m api [--host 127.0.0.1 --port 8000]` (configured from the
environment, like the worker). `/metrics` is on the same port (api/metrics.py); uvicorn stops
on SIGTERM or SIGINT, finishing the requests in flight."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Iterator
from datetime import UTC, datetime

import uvicorn

from activities.calendar_years import report_library_catch_up
from api.app import create_app
from api.codec import codec_router_from_env
from infra import logs
from infra.config import Settings
from infra.postgres import create_pool, database_url
from infra.temporal import connect
from ledger.migrate import migrate


async def serve(host: str, port: int) -> None:
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    dsn = await database_url(settings)
    await migrate(dsn)
    client = await connect(settings, service="complaints-api")
    pool = await create_pool(dsn, min_size=1, max_size=10)
    try:
        # R-SLA-11: a library that now ships a year entered by hand is compared (log, metric).
        await report_library_catch_up(pool, datetime.now(UTC))
        app = create_app(
            client,
            pool,
            task_queue=settings.task_queue,
            codec_router=codec_router_from_env(client.namespace),
        )
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        await _Server(config).serve()
    finally:
        await pool.close()


class _Server(uvicorn.Server):
    """uvicorn's graceful stop on SIGTERM or SIGINT (requests in flight are finished; a second
    signal forces it), then exit 0: uvicorn's own handler re-raises the signal once stopped,
    which makes the process end *by* SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
