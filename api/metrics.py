"""The API's own metrics: requests counted and timed by route template and status
(`infra.metrics.API`), served at `GET /metrics` in Prometheus' text format.

`/metrics` asks for no API key: it holds counts and timings by route template
(`/v1/complaints/{complaint_id}`, never a complaint id, a query or a codec token), method and
status code, and the process's CPU and memory: no customer data. Let only the metrics
scraper reach it (a network policy, or the ingress not routing `/metrics`).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra import metrics

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def scrape() -> Response:
    return Response(metrics.exposition(metrics.API), media_type=metrics.CONTENT_TYPE)


class RequestMetrics:
    """ASGI middleware: one count and one timing per HTTP request, labelled with the route
    template the router matched (`unmatched` for a path no route has)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        counted = False

        def count(status: int) -> None:
            nonlocal counted
            counted = True
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            metrics.API_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.API_LATENCY.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )

        async def sending(message: Message) -> None:
            # Counted before the answer leaves: a client that reads /metrics right after
            # its request always finds the request counted.
            if message["type"] == "http.response.start":
                count(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not counted:  # the app raised before it answered: the client gets a 500
                count(500)
