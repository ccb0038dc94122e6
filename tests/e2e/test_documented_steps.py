"""The documented steps work when pasted: the shell blocks of README.md and
docs/web-ui-and-cli.md marked `<!-- tested: ... -->` run with bash against a real stack
(`python -m launcher --demo`, as `make demo` starts it), and what they do lands on the cases'
timelines under the right person (R-AC-1: the CLI through the codec server, with a personal
key of the case's branch).

The launcher runs on free ports and a temporary data folder; the blocks run from a folder that
looks like the project's (`.venv`, `data`), with the documented default ports replaced by the
test's. Nothing else in them is changed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from infra.config import PROJECT_ROOT
from tests.e2e.test_dev_launcher import alive, children, free_port, ids
from workflows import contract

START_TIMEOUT = 30.0
SCRIPT_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0
MARKER = "<!-- tested: tests/e2e/test_documented_steps.py"
DEFAULT_API, DEFAULT_GRPC = "127.0.0.1:8000", "127.0.0.1:7233"


def marked_blocks(path: Path) -> list[str]:
    """The ```sh blocks right after a marker line, without the indentation of their fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip().startswith(MARKER):
            continue
        fence = lines[i + 1]
        assert fence.strip() == "```sh", f"{path.name}:{i + 2}: a tested block is ```sh"
        indent = len(fence) - len(fence.lstrip())
        end = next(j for j in range(i + 2, len(lines)) if lines[j].strip() == "```")
        blocks.append("\n".join(text[indent:] for text in lines[i + 2 : end]))
    return blocks


def test_the_marked_blocks_are_found() -> None:
    """The markers are where the steps are: a marker moved off its block fails here, fast."""
    assert len(marked_blocks(PROJECT_ROOT / "docs" / "web-ui-and-cli.md")) == 2
    [tour] = marked_blocks(PROJECT_ROOT / "README.md")
    assert "curl" in tour and "record_contact" in tour


@dataclass
class Stack:
    port: int
    api_port: int
    data: Path
    log: Path

    def localised(self, block: str) -> str:
        """The block with the documented default ports replaced by this stack's."""
        assert DEFAULT_API in block or DEFAULT_GRPC in block or "data/" in block, block
        return block.replace(DEFAULT_API, f"127.0.0.1:{self.api_port}").replace(
            DEFAULT_GRPC, f"127.0.0.1:{self.port}"
        )


def environment(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env["COMPLAINTS_DATA_DIR"] = str(data)
    env["TEMPORAL_CONFIG_FILE"] = str(data / "no-temporal-profile.toml")  # not the user's
    return env


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """`make demo` on free ports, until the demo's cases are listed; then Ctrl-C."""
    s = Stack(free_port(), free_port(), tmp_path / "data", tmp_path / "launcher.log")
    env = environment(s.data)
    env["COMPLAINTS_SMTP_PORT"] = str(free_port())
    command = [sys.executable, "-m", "launcher", "--demo", "--headless", "--port", str(s.port)]
    command += ["--ui-port", str(free_port()), "--api-port", str(s.api_port)]
    command += ["--worker-http-port", str(free_port())]
    output = s.log.open("wb")
    launcher = await asyncio.create_subprocess_exec(
        *command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT
    )
    servers: dict[int, str] = {}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        client: Client | None = None
        complaints: set[str] = set()
        while contract.workflow_id("DEMO-0001") not in complaints:
            assert launcher.returncode is None, f"launcher exited early: {launcher.returncode}"
            assert loop.time() < deadline, "the demo's cases were not listed in time"
            await asyncio.sleep(0.5)
            try:
                client = client or await Client.connect(f"127.0.0.1:{s.port}")
                complaints = await ids(client, f'WorkflowType = "{contract.WORKFLOW_TYPE}"')
            except RuntimeError:
                continue  # the dev server is not up yet
        async with httpx.AsyncClient(timeout=5) as http:
            while (await http.get(f"http://127.0.0.1:{s.api_port}/healthz")).status_code != 200:
                assert loop.time() < deadline, "the API did not answer in time"
                await asyncio.sleep(0.3)
        servers = {p: name for p, name in children(launcher.pid).items() if "temporal" in name}
        yield s
        launcher.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(launcher.wait(), timeout=STOP_TIMEOUT) == 0
    except BaseException:
        output.flush()
        print(s.log.read_text(errors="replace")[-5000:])
        raise
    finally:
        if launcher.returncode is None:
            launcher.kill()
            await launcher.wait()
        for pid in servers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        output.close()


async def run_pasted(stack: Stack, folder: Path, script: str) -> str:
    """Bash runs the script as a person pastes it, but stops at the first failing command."""
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -euo pipefail\n" + script,
        cwd=folder,
        env=environment(stack.data),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=SCRIPT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(
            f"the documented steps did not finish in {SCRIPT_TIMEOUT:g} s"
        ) from None
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{script}\n---\n{text}"
    return text


async def timeline(stack: Stack, complaint_id: str) -> list[dict[str, Any]]:
    key = (stack.data / "dev-api-key").read_text().strip()
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(
            f"http://127.0.0.1:{stack.api_port}/v1/complaints/{complaint_id}/timeline",
            headers={"Authorization": f"Bearer {key}"},
        )
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


async def actions_by(stack: Stack, complaint_id: str, wanted: list[str]) -> list[tuple[str, str]]:
    """(action, actor) of the case's accepted actions, once `wanted` are all there (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        entries = await timeline(stack, complaint_id)
        taken = [(e["action"], e["actor"]) for e in entries if e["kind"] == "action"]
        if {a for a, _ in taken} >= set(wanted) or loop.time() > deadline:
            refused = [e["detail"] for e in entries if e["kind"] == "refused"]
            assert not refused, refused
            return taken
        await asyncio.sleep(0.3)


async def test_r_ac_1_documented_cli_and_http_steps_work_as_pasted(
    stack: Stack, tmp_path: Path
) -> None:
    folder = tmp_path / "project"  # what the docs' "from the project folder" means
    folder.mkdir()
    (folder / ".venv").symlink_to(PROJECT_ROOT / ".venv", target_is_directory=True)
    (folder / "data").symlink_to(stack.data, target_is_directory=True)

    # The Web UI and the CLI: zhang.wei, supervisor of Shanghai Pudong, works DEMO-0001 through.
    cli = [stack.localised(b) for b in marked_blocks(PROJECT_ROOT / "docs/web-ui-and-cli.md")]
    out = await run_pasted(stack, folder, "\n".join(cli))
    assert f"http://127.0.0.1:{stack.api_port}/codec/u/cu_" in out  # the personal endpoint
    wanted = [
        "record_contact",
        "pause_clock",
        "resume_clock",
        "submit_investigation",
        "decide_resolution",
    ]
    taken = await actions_by(stack, "DEMO-0001", wanted)
    assert [a for a in taken if a[0] in wanted] == [(name, "zhang.wei") for name in wanted]

    # The README's tour: a complaint filed and contacted over HTTP with the dev key.
    [tour] = marked_blocks(PROJECT_ROOT / "README.md")
    out = await run_pasted(stack, folder, stack.localised(tour) + '\necho; echo "FILED=$ID"')
    filed = re.search(r"^FILED=(\S+)$", out, re.M)
    assert filed is not None, out
    taken = await actions_by(stack, filed.group(1), ["record_contact"])
    assert taken == [("record_contact", "dev")]
