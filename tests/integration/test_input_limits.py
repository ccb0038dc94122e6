"""Request bodies are limited while they arrive, per route (api/limits.py, docs/input.md),
against the real app: served by a real uvicorn on a free port for a chunked body, through
the ASGI transport for the rest."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from api.app import MAX_BODY, create_app
from api.auth import create_key
from domain.vocabulary import Role
from infra.config import Settings
from tests.harness import Harness, eventually

CHUNK = 64 * 1024
ATTACK = 40 * 1024 * 1024  # what the probe sent: 40 MB, chunked, no Content-Length


def resident_bytes() -> int:
    """This process's resident memory (Linux: /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def chunks(total: int, sent: list[int]) -> AsyncIterator[bytes]:
    """A body without a length (httpx sends it chunked), counting what it handed out."""
    while sent[0] < total:
        sent[0] += CHUNK
        yield b"x" * CHUNK


async def test_a_chunked_body_past_the_limit_gets_a_413_before_it_is_read(
    bare_harness: Harness,
) -> None:
    """40 MB chunked at the intake (limit 64 KiB): 413 with a Problem body; the app read at
    most one message past the limit and the server's memory did not take the body."""
    h = bare_harness
    app = create_app(h.client, h.pool, task_queue=h.task_queue)
    pulled: list[int] = []  # the size of each body message the app took

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                pulled.append(len(message.get("body", b"")))
            return message

        await app(scope, counted, send)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(counting, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, what="the API serving")
    before = resident_bytes()
    sent = [0]
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.post(
                f"http://127.0.0.1:{port}/v1/complaints",
                content=chunks(ATTACK, sent),
                headers={"Content-Type": "application/json"},
            )
        assert r.status_code == 413, r.text
        assert r.json() == {"detail": f"the request body may be at most {MAX_BODY} bytes"}
        # Every message but the one that passed the limit fits in it: nothing read after.
        assert sum(pulled[:-1]) <= MAX_BODY < sum(pulled), pulled
        # uvicorn drains (and drops) what the client still sends; the body is not kept.
        assert resident_bytes() - before < ATTACK // 4
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=10)


async def test_a_declared_length_past_the_limit_is_refused_unread(
    bare_harness: Harness,
) -> None:
    """A Content-Length above the route's limit: 413 before a byte of the body is read."""
    h = bare_harness
    app = create_app(h.client, h.pool, task_queue=h.task_queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        r = await http.post("/v1/complaints", content=b"{" + b" " * MAX_BODY + b"}")
        assert r.status_code == 413 and "at most 65536 bytes" in r.json()["detail"]
        bad = await http.post("/v1/complaints", content=b"{}", headers={"Content-Length": "2x"})
        assert bad.status_code == 413 and "not a number" in bad.json()["detail"]


async def test_the_evidence_limit_goes_with_the_upload_route_only(harness: Harness) -> None:
    """R-IN-9: the upload route takes `evidence_max_bytes`, chunked or declared; another POST
    whose path ends in `/evidence` (an action named so) keeps the 64 KiB of everything else."""
    h = harness
    limits = Settings(evidence_max_bytes=200 * 1024)
    app = create_app(h.client, h.pool, task_queue=h.task_queue, settings=limits)
    handler = {"Authorization": f"Bearer {await create_key(h.pool, 'li.na', [Role.HANDLER])}"}
    system = {"Authorization": f"Bearer {await create_key(h.pool, 'cc', [Role.SYSTEM])}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        filed = await http.post("/v1/complaints", headers=system, json=complaint())
        assert filed.status_code == 201, filed.text
        upload = f"/v1/complaints/{filed.json()['complaint']['complaint_id']}/evidence"
        text = {**handler, "Content-Type": "text/plain"}

        async def post(path: str, size: int, **kw: Any) -> httpx.Response:
            return await http.post(path, content=chunks(size, [0]), headers=text, **kw)

        big = await post(upload, 1024 * 1024, params={"filename": "a.txt"})
        assert big.status_code == 413
        assert big.json()["detail"] == f"R-IN-9: evidence may be at most {200 * 1024} bytes"
        declared = await http.post(
            upload, content=b"x" * (200 * 1024 + 1), headers=text, params={"filename": "a.txt"}
        )
        assert declared.status_code == 413 and "R-IN-9" in declared.json()["detail"]
        fits = await post(upload, 128 * 1024, params={"filename": "a.txt"})
        assert fits.status_code == 201, fits.text  # past 64 KiB, within the upload's own limit
        action = await post(upload.replace("/evidence", "/actions/evidence"), 128 * 1024)
        assert action.status_code == 413
        assert action.json()["detail"] == f"the request body may be at most {MAX_BODY} bytes"


def complaint() -> dict[str, Any]:
    return {
        "external_id": "LIMITS-1",
        "channel": "hotline",
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "claims settlement",
        "matter": "Not paid.",
        "demands": "Pay.",
    }
