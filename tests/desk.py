"""A world for the complaint desk's tests (tests/integration/test_desk.py, the browser test
tests/e2e/test_desk_browser.py): a time-skipping Temporal, a real PostgreSQL, the real worker
and the real app, with people of two branches and a way to file cases and sign in."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import create_key
from api.codec import codec_router
from api.desk.config import DeskSettings
from domain.sla import HandlingPolicy, SlaPolicy
from domain.vocabulary import Role
from infra.binaries import find
from infra.codec import EncryptionCodec
from infra.postgres import create_database, create_pool, drop_database
from infra.temporal import register_search_attributes
from tests.harness import (
    TEST_CONVERTER,
    TEST_KEY_RING,
    FixedPolicySource,
    RecordingNotifier,
    eventually,
    test_calendar,
)
from workers import build_worker
from workflows import contract

HOME = "Beijing Haidian"
AWAY = "Shanghai Pudong"
# Who works here: name -> (roles, branch).
PEOPLE: dict[str, tuple[list[Role], str]] = {
    "li.na": ([Role.HANDLER], HOME),
    "zhao.lei": ([Role.HANDLER], HOME),
    "wang.qiang": ([Role.SUPERVISOR], HOME),
    "sun.audit": ([Role.AUDITOR], HOME),
    "chen.away": ([Role.HANDLER], AWAY),
    "intake": ([Role.SYSTEM], HOME),
    "intake.away": ([Role.SYSTEM], AWAY),
}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Desk:
    app: FastAPI
    pool: asyncpg.Pool
    env: WorkflowEnvironment
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, base_url: str = "http://desk.test") -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url)

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    async def file(self, branch: str = HOME, owner: str = "li.na", **over: Any) -> str:
        """A complaint filed through the API; its id, once the ledger has it."""
        body: dict[str, Any] = {
            "external_id": f"DESK-{uuid.uuid4().hex[:10]}",
            "channel": "hotline",
            "branch": branch,
            "owner": owner,
            "supervisor": "wang.qiang",
            "customer": {"name": "张伟", "phone": "13812345678", "id_number": "110101198001011234"},
            "policy_number": f"P{uuid.uuid4().hex[:8]}",
            "category": "claims settlement",
            "matter": "The claim for my car repair has not been paid after 40 days.",
            "demands": "Pay the claim in full.",
        } | over
        who = "intake" if branch == HOME else "intake.away"
        async with self.client() as http:
            filed = await http.post("/v1/complaints", json=body, headers=self.bearer(who))
        assert filed.status_code == 201, filed.text
        cid: str = filed.json()["complaint"]["complaint_id"]
        await eventually(lambda: self.in_ledger(cid), what=f"{cid} in the ledger")
        return cid

    async def in_ledger(self, cid: str) -> bool:
        return bool(
            await self.pool.fetchval("SELECT true FROM complaints WHERE complaint_id = $1", cid)
        )

    async def act(self, cid: str, action: str, who: str, **body: Any) -> dict[str, Any]:
        """An action through the HTTP API (the desk's tests use it to set a case up)."""
        async with self.client() as http:
            done = await http.post(
                f"/v1/complaints/{cid}/actions/{action}", json=body, headers=self.bearer(who)
            )
        assert done.status_code == 200, done.text
        answer: dict[str, Any] = done.json()
        return answer

    @asynccontextmanager
    async def signed_in(self, name: str) -> AsyncIterator[httpx.AsyncClient]:
        """A browser-like client signed in at /desk/login with the person's key."""
        async with self.client() as http:
            page = await http.get("/desk/login")
            answer = await http.post(
                "/desk/login",
                data={
                    "csrf": csrf_of(page.text),
                    "key": self.keys[name],
                    "next": "/desk/queue/mine",
                },
            )
            assert answer.status_code == 303, answer.text
            yield http


@asynccontextmanager
async def desk_world(
    pg_server: str, migrated_template: str, *, with_codec: bool = False
) -> AsyncIterator[Desk]:
    """`with_codec`: the app serves the codec server's routes too (the Web UI's way to act)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER, test_server_existing_path=find("temporal-test-server")
    )
    name = f"test_{uuid.uuid4().hex[:16]}"
    dsn = await create_database(pg_server, name, template=migrated_template)
    pool = await create_pool(dsn, min_size=1, max_size=10)
    try:
        await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
        queue = f"desk-{uuid.uuid4().hex[:8]}"
        policy = FixedPolicySource(HandlingPolicy(calendar=test_calendar(), sla=SlaPolicy()))
        worker = build_worker(
            env.client,
            pool=pool,
            task_queue=queue,
            sender=RecordingNotifier(),
            policy_source=policy,
        )
        async with worker:
            codec = codec_router(EncryptionCodec(TEST_KEY_RING)) if with_codec else None
            app = create_app(
                env.client, pool, task_queue=queue, key_ring=TEST_KEY_RING, codec_router=codec
            )
            app.state.desk_settings = DeskSettings(secret=b"desk-test-secret-0123456789abcdef")
            desk = Desk(app, pool, env)
            for person, (roles, branch) in PEOPLE.items():
                desk.keys[person] = await create_key(pool, person, roles, [branch])
            yield desk
    finally:
        await pool.close()
        await env.shutdown()
        await drop_database(pg_server, name)
