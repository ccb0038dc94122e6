"""The ledger down: every keyed route answers 503 with a Problem body and `Retry-After`, never a
500 (api/app.py). The PostgreSQL the app uses is really stopped (its own embedded server), then
its pool closed; the routes are the scope matrix's table, so a new route is covered here too."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import create_key, create_ui_token
from api.codec import codec_router
from domain.vocabulary import Role
from infra.codec import EncryptionCodec
from infra.postgres import EmbeddedPostgres, create_database, create_pool, embedded_server
from ledger.migrate import migrate
from tests.harness import TEST_KEY_RING
from tests.integration.test_api_scope import TABLE, UI_ORIGIN, Key, World, send


@pytest.fixture
async def own_server() -> AsyncIterator[EmbeddedPostgres]:
    """An embedded PostgreSQL of this test alone, which it may stop."""
    folder = Path(tempfile.mkdtemp(prefix="complaints-outage-"))
    server = await asyncio.to_thread(embedded_server, folder)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)  # a no-op when the test stopped it
        shutil.rmtree(folder, ignore_errors=True)


def keyed_routes() -> list[tuple[str, str]]:
    return sorted(r for r, door in TABLE.items() if door.kind != "public")


async def test_the_ledger_down_is_503_with_retry_after_on_every_keyed_route(
    env: WorkflowEnvironment, own_server: EmbeddedPostgres
) -> None:
    dsn = await create_database(own_server.dsn, f"test_{uuid.uuid4().hex[:12]}")
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=3)
    codec = codec_router(EncryptionCodec(TEST_KEY_RING), ui_origins=[UI_ORIGIN])
    app = create_app(env.client, pool, codec_router=codec, key_ring=TEST_KEY_RING)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        keys = {}
        for role in Role:  # never used before the outage: each request must look its key up
            bearer = await create_key(pool, role.value, [role])
            token = await create_ui_token(pool, bearer.split("_")[1])
            assert token is not None
            keys[role] = Key(role, "*", bearer, token)
        used = await create_key(pool, "used", [Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR])
        as_used = {"Authorization": f"Bearer {used}"}
        assert (await http.get("/v1/complaints", headers=as_used)).status_code == 200  # cached
        world = World(http, pool, env, "C0", "E0", '{"payloads": []}', acted="C0")

        async def all_unavailable(when: str) -> None:
            for route in keyed_routes():
                role = TABLE[route].roles[0]
                answer = await send(world, route, keys[role])
                what = f"{when}: {route} as {role.value}: {answer.status_code} {answer.text[:200]}"
                assert answer.status_code == 503, what
                assert answer.headers["content-type"] == "application/json", what
                assert "PostgreSQL" in answer.json()["detail"], what
                assert int(answer.headers["Retry-After"]) > 0, what
            # A key looked up before the outage passes; the route's own query is 503 then.
            for path in ("/v1/complaints", "/v1/complaints/C0", "/v1/access-log"):
                answer = await http.get(path, headers=as_used)
                assert answer.status_code == 503, f"{when}: {path}: {answer.text[:200]}"
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and "unavailable" in ready.json()["postgres"]
            assert (await http.get("/healthz")).status_code == 200

        await asyncio.to_thread(own_server.stop)  # the server the pool connects to is gone
        with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
            await asyncpg.connect(dsn, timeout=5)
        await all_unavailable("server stopped")
        await pool.close()  # and the pool itself closed
        await all_unavailable("pool closed")
