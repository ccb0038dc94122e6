"""The Temporal CLI as a supervisor uses it: `temporal workflow signal
--codec-endpoint <api>/codec --codec-auth "Bearer <key>"` sends an action that counts under
the key's holder; the same signal without the codec is refused as unverified."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from temporalio.client import WorkflowHandle

from api.app import create_app
from api.auth import create_key
from api.codec import codec_router
from domain.vocabulary import Role, Stage
from infra.binaries import find
from infra.codec import EncryptionCodec
from tests.harness import TEST_KEY_RING, Harness, eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def codec_url(harness: Harness) -> AsyncIterator[str]:
    """The HTTP API with its codec server, served on a real port for the CLI."""
    router = codec_router(EncryptionCodec(TEST_KEY_RING), namespace=harness.client.namespace)
    app = create_app(
        harness.client, harness.pool, task_queue=harness.task_queue, codec_router=router
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, what="the API serving")
    yield f"http://127.0.0.1:{port}/codec"
    server.should_exit = True
    await asyncio.wait_for(serving, timeout=30)


async def temporal_cli(h: Harness, *args: str) -> tuple[int, str]:
    target = h.client.service_client.config.target_host
    proc = await asyncio.create_subprocess_exec(
        find("temporal"),
        *args,
        "--address",
        target,
        "--namespace",
        h.client.namespace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out.decode()


async def test_r_ac_1_a_cli_signal_through_the_codec_with_a_supervisor_key_counts(
    harness: Harness, codec_url: str
) -> None:
    h = harness
    handle: WorkflowHandle[Any, Any] = await h.start()
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay")
    key = await create_key(h.pool, "wang.qiang", [Role.SUPERVISOR])
    decision = json.dumps(
        {"workflow_id": handle.id, "action": "decide_resolution", "approved": True}
    )

    # Plain, as typed at the CLI: refused, recorded.
    code, out = await temporal_cli(
        h,
        "workflow",
        "signal",
        "--workflow-id",
        handle.id,
        "--name",
        "decide_resolution",
        "--input",
        decision,
    )
    assert code == 0, out
    # Through the codec with the supervisor's key: sealed as wang.qiang, accepted.
    code, out = await temporal_cli(
        h,
        "workflow",
        "signal",
        "--workflow-id",
        handle.id,
        "--name",
        "decide_resolution",
        "--input",
        decision,
        "--codec-endpoint",
        codec_url,
        "--codec-auth",
        f"Bearer {key}",
    )
    assert code == 0, out

    async def decided() -> bool:
        return (await h.state(handle)).stage is Stage.CLOSE

    await eventually(decided, what="the supervisor's decision")
    timeline = (await h.state(handle)).timeline
    refused = [e for e in timeline if e.kind == "refused"]
    assert len(refused) == 1 and "identity not verified" in refused[0].detail
    taken = [e for e in timeline if e.action == "decide_resolution" and e.kind == "action"]
    assert [(e.actor, "via codec" in e.detail) for e in taken] == [("wang.qiang", True)]
