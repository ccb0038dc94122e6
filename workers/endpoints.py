"""The worker's HTTP endpoints (port `COMPLAINTS_WORKER_HTTP_PORT`, 9400; 0: any free port).

- `GET /healthz`: liveness. 200 while the process's event loop answers (the worker, its relay
  and this server share that loop).
- `GET /readyz`: readiness. 200 when Temporal and the ledger answer and the worker polls;
  503 naming what does not, and from the moment a shutdown starts.
- `GET /metrics`: Prometheus' text format: the application's metrics (`infra.metrics.WORKER`,
  with the ledger's gauges read at that moment) followed by the Temporal SDK's own, read from
  the SDK's exporter on a loopback address (`infra.temporal.metrics_runtime`): one scrape
  target per worker holds both.

None of them needs a credential or shows customer data; expose the port only to the
orchestrator's probes and the metrics scraper.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta

import asyncpg
import httpx
import structlog
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from temporalio.client import Client

from domain.notices import ORPHAN_REASONS
from infra import metrics
from ledger import metrics as ledger_metrics
from ledger import views
from workers import ComplaintsWorker

log = structlog.get_logger("worker.http")

PROBE_TIMEOUT = 3.0  # seconds for Temporal or the ledger to answer a probe or a scrape


def create_app(client: Client, worker: ComplaintsWorker, sdk_metrics: str | None) -> FastAPI:
    """The probes and `/metrics` of one worker; `sdk_metrics` is the SDK exporter's
    `host:port` (None: no SDK metrics)."""
    app = FastAPI(title="Complaints worker", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"worker": _worker_state(worker)}
        try:
            await client.service_client.check_health(timeout=timedelta(seconds=PROBE_TIMEOUT))
            checks["temporal"] = "ok"
        except Exception as err:  # readiness reports, it does not raise
            checks["temporal"] = f"unavailable: {type(err).__name__}"
        try:
            await asyncio.wait_for(views.ping(worker.pool), PROBE_TIMEOUT)
            checks["postgres"] = "ok"
        except Exception as err:
            checks["postgres"] = f"unavailable: {type(err).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(checks, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def scrape() -> Response:
        await _read_ledger(worker.pool)
        sdk_text = await _read_sdk(sdk_metrics) if sdk_metrics else b""
        ours = metrics.exposition(metrics.WORKER)
        return Response(ours + sdk_text, media_type=metrics.CONTENT_TYPE)

    return app


def _worker_state(worker: ComplaintsWorker) -> str:
    if worker.stopping:
        return "shutting down"
    return "ok" if worker.is_running else "not running"


async def _read_ledger(pool: asyncpg.Pool) -> None:
    """Set the ledger's gauges; on failure blank them (no series, NaN), so that a stale figure
    is not taken for a current one (the scrape still answers, with everything else)."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            cases = await ledger_metrics.open_cases(pool)
            backlog = await ledger_metrics.outbox_backlog(pool)
            orphaned = dict(await ledger_metrics.orphaned_cases(pool))
    except Exception as err:
        log.warning("metrics: ledger unavailable", error=f"{type(err).__name__}: {err}")
        metrics.OPEN_CASES.clear()
        metrics.ORPHANED_CASES.clear()
        for gauge in (metrics.OUTBOX_PENDING, metrics.OUTBOX_OLDEST_AGE):
            gauge.set(float("nan"))
        return
    metrics.OPEN_CASES.clear()  # no await from here on: a scrape never sees half of it
    for stage, grade, count in cases:
        metrics.OPEN_CASES.labels(stage=stage, grade=grade).set(count)
    for status in ORPHAN_REASONS:  # every status, 0 included: an alert needs the series
        metrics.ORPHANED_CASES.labels(status=status).set(orphaned.get(status, 0))
    metrics.OUTBOX_PENDING.set(backlog.pending)
    metrics.OUTBOX_OLDEST_AGE.set(backlog.oldest_age)


async def _read_sdk(address: str) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT) as sdk:
            answer = await sdk.get(f"http://{address}/metrics")
        answer.raise_for_status()
    except httpx.HTTPError as err:
        log.warning("metrics: the SDK's exporter did not answer", error=str(err))
        metrics.SDK_METRICS_UP.set(0)
        return b""
    metrics.SDK_METRICS_UP.set(1)
    body = answer.content
    return body if body.endswith(b"\n") or not body else body + b"\n"


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the worker's main owns SIGTERM and SIGINT, and stops this server itself


@asynccontextmanager
async def serving(app: FastAPI, host: str, port: int) -> AsyncIterator[int]:
    """Serve `app` on host:port (0: a free port) while inside; yields the bound port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="worker-http")
    try:
        while not server.started:  # bounded by uvicorn's own start-up, a few milliseconds
            if task.done():
                task.result()
                raise RuntimeError("the worker's HTTP server stopped while starting")
            await asyncio.sleep(0.01)
        bound: int = sock.getsockname()[1]
        yield bound
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, timeout=5)
        except Exception as err:
            log.warning("worker HTTP server did not stop cleanly", error=str(err))
        sock.close()
