"""Serve the API alone: `python -m api [--host 127.0.0.1 --port 8000]` (configured from the
environment, like the worker). `/metrics` is on the same port (api/metrics.py); uvicorn stops
on SIGTERM or SIGINT, finishing the requests in flight."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

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
        app = create_app(
            client,
            pool,
            task_queue=settings.task_queue,
            codec_router=codec_router_from_env(client.namespace),
        )
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        await uvicorn.Server(config).serve()
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
