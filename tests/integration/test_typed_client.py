"""A backend team can generate a typed client from `/openapi.json` with a standard generator
(`openapi-python-client`) and work with it: file a complaint and take actions through the
generated typed models (an enum-valued field among them), against the real app served by
uvicorn on a free port, a real worker on the time-skipping server and a real PostgreSQL.

The generator runs offline (no post hooks) into a temporary directory; a warning from it (a
part of the schema it could not turn into types) fails the test: the schema is to be fixed."""

from __future__ import annotations

import asyncio
import importlib
import json
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from tests.harness import Harness, eventually
from tests.integration.test_api import complaint

PACKAGE = "complaints_client"
GENERATE_TIMEOUT = 120.0  # seconds: the generator takes a few on this machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def served(harness: Harness) -> AsyncIterator[str]:
    """The real app on a real port; its base URL."""
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, what="the API serving")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(serving, timeout=30)


async def generate(schema: dict[str, Any], where: Path) -> str:
    """Run the generator on `schema` into `where`/complaints_client; its output."""
    spec = where / "openapi.json"
    spec.write_text(json.dumps(schema), encoding="utf-8")
    config = where / "generator.json"
    config.write_text(
        json.dumps(
            {"post_hooks": [], "package_name_override": PACKAGE, "project_name_override": PACKAGE}
        )
    )
    generator = Path(sys.executable).parent / "openapi-python-client"
    proc = await asyncio.create_subprocess_exec(
        str(generator),
        "generate",
        "--path",
        str(spec),
        "--config",
        str(config),
        "--meta",
        "none",
        "--output-path",
        str(where / PACKAGE),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=where,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=GENERATE_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = out.decode()
    assert proc.returncode == 0, text
    return text


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """`tmp_path` on the import path for the test's duration, and the generated package
    forgotten after it."""
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_a_generated_typed_client_files_a_complaint_and_acts_on_it(
    harness: Harness, served: str, importable: Path
) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=10) as http:
        schema = (await http.get("/openapi.json")).raise_for_status().json()
    said = await generate(schema, importable)
    assert "Warning" not in said and "WARNING" not in said, said

    models = module("models")
    file_complaint = module("api.complaints.file_complaint")
    get_complaint = module("api.complaints.get_complaint")
    record_contact = module("api.actions_handling.act_record_contact")
    pause_clock = module("api.actions_deadlines.act_pause_clock")
    flag_customer = module("api.actions_conduct_and_care.act_flag_customer")
    client_module = module("client")

    system = await create_key(harness.pool, "callcentre", [Role.SYSTEM])
    handler = await create_key(harness.pool, "li.na", [Role.HANDLER])
    as_system = client_module.AuthenticatedClient(base_url=served, token=system, timeout=10.0)
    as_handler = client_module.AuthenticatedClient(base_url=served, token=handler, timeout=10.0)

    # File: the body is the generated ComplaintIn, built from the same fields a caller sends.
    body = models.ComplaintIn.from_dict(complaint())
    assert body.channel is models.Channel.HOTLINE  # an enum, typed
    filed = await file_complaint.asyncio_detailed(client=as_system, body=body)
    assert filed.status_code == 201, filed.content
    intake = filed.parsed
    assert isinstance(intake, models.IntakeResult) and intake.created is True
    cid = intake.complaint.complaint_id
    assert intake.complaint.stage is models.Stage.CONTACT

    # record_contact with its typed body and its enum field; the answer is a typed view.
    contact = models.RecordContactBody(
        method=models.RecordContactBodyMethod.VISIT, note="Met the customer at the branch."
    )
    acted = await record_contact.asyncio_detailed(cid, client=as_handler, body=contact)
    assert acted.status_code == 200, acted.content
    view = acted.parsed
    assert isinstance(view, models.ComplaintView)
    assert view.stage is models.Stage.INVESTIGATE
    assert all(isinstance(c, models.ClockView) for c in view.clocks)

    # An action whose field is an enum (a Literal in the domain), and one with a list of enums.
    paused = await pause_clock.asyncio_detailed(
        cid,
        client=as_handler,
        body=models.PauseClockBody(reason=models.PauseClockBodyReason.APPRAISAL),
    )
    assert paused.status_code == 200, paused.content
    flagged = await flag_customer.asyncio_detailed(
        cid, client=as_handler, body=models.FlagCustomerBody(flags=[models.HelpFlag.VULNERABLE])
    )
    assert flagged.status_code == 200, flagged.content
    assert flagged.parsed.help_flags == [models.HelpFlag.VULNERABLE]

    # A refusal is the typed Problem with the case's reason: the contact was already made.
    again = await record_contact.asyncio_detailed(
        cid, client=as_handler, body=models.RecordContactBody()
    )
    assert again.status_code == 409 and isinstance(again.parsed, models.Problem), again.content
    assert again.parsed.detail

    read = await get_complaint.asyncio(cid, client=as_system)
    assert isinstance(read, models.ComplaintView) and read.complaint_id == cid
    assert any(c.paused_at for c in read.clocks), "the clock paused for the appraisal"
