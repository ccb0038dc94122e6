"""The Temporal Web UI as ops staff use it, in a real (headless) Chromium.

Starts `python -m launcher --demo` on free ports and a temporary data folder (as
`tests/e2e/test_dev_launcher.py` does), then with Playwright driving Debian's Chromium:

1. the workflow list filtered on `ComplaintGrade="major"` shows the regulator's complaint
   (DEMO-0002) and not the general one (DEMO-0001);
2. DEMO-0002's page shows its static summary decrypted (payloads are encrypted; the UI
   decodes them through the API's codec endpoint, `api/codec.py`);
3. "Send a Signal" `record_contact` with `{"actor": "ops.browser"}` from the UI moves the
   case to `investigate`, checked through the Temporal client's `state` query.

Needs /usr/bin/chromium and the `playwright` package (`infra/browser_deps.sh`); skipped
without them. Playwright is only the driver: no browser is downloaded. Screenshots go to
`test-artifacts/browser-<step>.png`.
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
from urllib.parse import quote

import pytest
from temporalio.client import Client

from domain.models import ComplaintState
from infra.config import PROJECT_ROOT
from infra.temporal import connect
from tests.e2e.test_dev_launcher import alive, children, free_port, ids
from workflows import contract

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # without these the closed network refuses Chromium
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
START_TIMEOUT = 30.0  # launcher up and the demo complaints filed
UI_TIMEOUT_MS = 15_000  # each wait on the page
STATE_TIMEOUT = 15.0  # the signal reaching the workflow
STOP_TIMEOUT = 15.0
MAJOR = contract.workflow_id("DEMO-0002")  # from the regulator: major on arrival
GENERAL = contract.workflow_id("DEMO-0001")

# `make test` installs both (infra/browser_deps.sh): a missing browser fails, never skips.
assert CHROMIUM.exists(), f"{CHROMIUM} missing: run `bash infra/browser_deps.sh`"

from playwright.async_api import Page, async_playwright  # noqa: E402


@dataclass
class Stack:
    ui: str
    client: Client


@pytest.fixture
async def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    """The dev launcher with the Web UI, its demo complaints filed; stopped with SIGINT."""
    port, ui_port, api_port = free_port(), free_port(), free_port()
    data = tmp_path / "data"
    # The launcher makes its own codec keys and UI token in the data folder (not the tests').
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "COMPLAINTS_CODEC_"))
    }
    env["COMPLAINTS_DATA_DIR"] = str(data)
    env["COMPLAINTS_SMTP_PORT"] = str(free_port())  # never the 8025 of a developer's make run
    log_path = tmp_path / "launcher.log"
    output = log_path.open("wb")
    command = [sys.executable, "-m", "launcher", "--demo"]
    command += ["--port", str(port), "--ui-port", str(ui_port), "--api-port", str(api_port)]
    launcher = await asyncio.create_subprocess_exec(
        *command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT
    )
    servers: dict[int, str] = {}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        keys = data / "codec-keys.json"
        while not keys.exists():
            assert launcher.returncode is None, f"launcher exited early: {launcher.returncode}"
            assert loop.time() < deadline, "the launcher made no codec keys in time"
            await asyncio.sleep(0.2)
        # What the launcher puts in its own environment, so that this client decrypts.
        monkeypatch.delenv("COMPLAINTS_CODEC_KEYS", raising=False)
        monkeypatch.delenv("COMPLAINTS_CODEC_ACTIVE_KEY", raising=False)
        monkeypatch.delenv("TEMPORAL_NAMESPACE", raising=False)
        monkeypatch.setenv("COMPLAINTS_CODEC_KEYS_FILE", str(keys))
        monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{port}")
        client: Client | None = None
        major: set[str] = set()
        while MAJOR not in major:
            assert launcher.returncode is None, f"launcher exited early: {launcher.returncode}"
            assert loop.time() < deadline, f"DEMO-0002 not listed as major in time: {major}"
            await asyncio.sleep(0.3)
            try:
                if client is None:
                    client = await asyncio.wait_for(connect(), timeout=5)
                major = await ids(client, 'ComplaintGrade = "major"')
            except (RuntimeError, TimeoutError):
                continue  # the dev server is not up yet
        assert client is not None
        yield Stack(ui=f"http://localhost:{ui_port}", client=client)

        servers = {pid: name for pid, name in children(launcher.pid).items() if "temporal" in name}
        launcher.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(launcher.wait(), timeout=STOP_TIMEOUT) == 0
    except BaseException:
        output.flush()
        print(log_path.read_text(errors="replace")[-5000:])
        raise
    finally:
        if launcher.returncode is None:
            launcher.kill()
            await launcher.wait()
        for pid in servers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        output.close()


async def shot(page: Page, step: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"browser-{step}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def state_of(client: Client, complaint_id: str) -> ComplaintState:
    return await contract.state(client, complaint_id)


async def test_ops_filter_open_decrypted_summary_and_signal(stack: Stack) -> None:
    query = quote('ComplaintGrade="major"')
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        step = "list"
        try:
            # 1. The filtered list: the regulator's (major) complaint, not the general one.
            await page.goto(f"{stack.ui}/namespaces/default/workflows?query={query}")
            rows = page.get_by_role("link", name=MAJOR, exact=True)
            await rows.first.wait_for()
            assert await page.get_by_role("link", name=GENERAL).count() == 0
            await shot(page, step)

            # 2. Its page: the static summary, decrypted through the codec endpoint.
            step = "summary"
            await rows.first.click()
            await page.get_by_role("heading", name=MAJOR).wait_for()
            await page.get_by_role("tab", name="User Metadata").click()
            # The UI renders markdown metadata in an iframe (`/render?content=...`).
            rendered = page.frame_locator("iframe").first
            summary = rendered.get_by_text(re.compile(r"^DEMO-0002 · major · Beijing Haidian"))
            await summary.wait_for()
            await shot(page, step)

            # 3. "Send a Signal": record_contact by ops.browser.
            step = "signal"
            before = await state_of(stack.client, "DEMO-0002")
            assert before.stage.value == "contact", before.stage
            await page.get_by_role("button", name="More Actions").click()
            await page.get_by_role("menuitem", name="Send a Signal").click()
            dialog = page.locator("dialog[open]")
            await dialog.get_by_test_id("signal-select-button").click()
            option = dialog.get_by_role("option").filter(
                has=page.get_by_text("record_contact", exact=True)
            )
            await option.click()
            editor = dialog.get_by_role("textbox", name="Data")
            await editor.click()
            # insert_text: no typed keys, so the JSON editor adds no closing brackets.
            await page.keyboard.insert_text('{"actor": "ops.browser"}')
            await shot(page, "signal-form")
            await dialog.get_by_test_id("confirm-modal-button").click()
            await page.locator("dialog[open]").wait_for(state="hidden")

            loop = asyncio.get_running_loop()
            deadline = loop.time() + STATE_TIMEOUT
            while True:
                state = await state_of(stack.client, "DEMO-0002")
                # The dev UI's codec endpoint is the dev user's: the actor is who sent it.
                by_ops = [e for e in state.timeline if e.actor == "dev"]
                if state.stage.value == "investigate" and by_ops:
                    break
                assert loop.time() < deadline, (state.stage, state.timeline[-5:])
                await asyncio.sleep(0.3)
            assert any(e.action == "record_contact" for e in by_ops), by_ops
            step = "done"
            await page.get_by_role("tab", name="Event History").click()
            await page.get_by_text("Workflow Execution Signaled").first.wait_for()
            await shot(page, step)
        except BaseException:
            await shot(page, f"{step}-failed")
            raise
        finally:
            await browser.close()
