"""The Temporal Web UI as ops staff use it, in a real (headless) Chromium.

Starts `python -m launcher --demo` on free ports and a temporary data folder (as
`tests/e2e/test_dev_launcher.py` does), then with Playwright driving Debian's Chromium:

1. the workflow list filtered on `ComplaintGrade="major"` shows the regulator's complaint
   (DEMO-0002) and not the general one (DEMO-0001);
2. DEMO-0002's page shows its static summary decrypted (payloads are encrypted; the UI
   decodes them through the API's codec endpoint, `api/codec.py`);
3. "Send a Signal" `decide_resolution` from the UI through a handler's personal codec
   endpoint is refused (the approval needs a supervisor; the timeline names the handler), and
   the same through a supervisor's personal endpoint is accepted under the supervisor's name
   (the codec server seals who sends it), checked through the `state` query.

Needs /usr/bin/chromium and the `playwright` package (`infra/browser_deps.sh`); skipped
without them. Playwright is only the driver: no browser is downloaded. Screenshots go to
`test-artifacts/browser-<step>.png`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import Client

from domain.identity import VerifiedIdentity
from domain.state import ComplaintState, TimelineEntry
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

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402


@dataclass
class Stack:
    ui: str
    client: Client
    data: Path
    api: str


@pytest.fixture
async def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    """The dev launcher with the Web UI, its demo complaints filed; stopped with SIGINT."""
    port, ui_port, api_port, worker_port = free_port(), free_port(), free_port(), free_port()
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
    command += ["--worker-http-port", str(worker_port)]  # never the 9400 of a make run
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
        yield Stack(
            ui=f"http://localhost:{ui_port}",
            client=client,
            data=data,
            api=f"http://127.0.0.1:{api_port}",
        )

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
            await asyncio.wait_for(launcher.wait(), timeout=STOP_TIMEOUT)
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


async def to_approval(client: Client, complaint_id: str) -> None:
    """Contacted and investigated, as the handler would (sealed as the system's tests are)."""
    for action, payload in (
        ("record_contact", {}),
        ("submit_investigation", {"findings": "f", "proposed_resolution": "refund 5,000"}),
    ):
        identity = VerifiedIdentity(
            actor="zhao.min",
            roles=["handler"],
            via="system",
            bound_to=contract.workflow_id(complaint_id),
            action=action,
            issued_at=datetime.now(UTC),
            nonce=uuid.uuid4().hex,
        )
        sent = {**payload, "actor": "zhao.min", "role": "handler"}
        await asyncio.wait_for(
            contract.act(client, complaint_id, action, sent, identity), timeout=STOP_TIMEOUT
        )


async def personal_endpoint(stack: Stack, name: str, role: str) -> str:
    """A key for the person and its personal codec endpoint, with the key CLI."""
    env = {**os.environ, "COMPLAINTS_DATA_DIR": str(stack.data)}
    env.pop("DATABASE_URL", None)

    async def cli(*args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.keys",
            *args,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=STOP_TIMEOUT)
        assert proc.returncode == 0, err.decode()
        return out.decode().strip()

    key = await cli("create", "--name", name, "--role", role)
    return await cli("codec-url", key.split("_")[1], "--base", stack.api)


async def as_person(browser: Browser, endpoint: str) -> Page:
    """A browser whose Web UI uses this person's codec endpoint (the UI's own setting, kept
    in the browser's local storage; the dev server's default is the dev user's)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(
        f"localStorage.setItem('endpoint', JSON.stringify({endpoint!r}));"
        "localStorage.setItem('overrideRemoteCodecConfiguration', 'true');"
    )
    page = await context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    return page


async def send_signal(page: Page, name: str, data: str) -> None:
    """More Actions → Send a Signal, pick `name`, type `data`, send."""
    await page.get_by_role("button", name="More Actions").click()
    await page.get_by_role("menuitem", name="Send a Signal").click()
    dialog = page.locator("dialog[open]")
    await dialog.get_by_test_id("signal-select-button").click()
    await dialog.get_by_role("option").filter(has=page.get_by_text(name, exact=True)).click()
    editor = dialog.get_by_role("textbox", name="Data")
    await editor.click()
    # insert_text: no typed keys, so the JSON editor adds no closing brackets.
    await page.keyboard.insert_text(data)
    await dialog.get_by_text("Single JSON payload supported.").click()  # the editor commits on blur
    await dialog.get_by_test_id("confirm-modal-button").click()
    await page.locator("dialog[open]").wait_for(state="hidden")


async def last_entry_by(client: Client, complaint_id: str, actor: str) -> TimelineEntry:
    """The case's newest timeline entry by `actor`, once the signal has reached it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STATE_TIMEOUT
    while True:
        state = await state_of(client, complaint_id)
        mine = [e for e in state.timeline if e.actor == actor and e.kind in ("action", "refused")]
        if mine:
            return mine[-1]
        assert loop.time() < deadline, state.timeline[-5:]
        await asyncio.sleep(0.3)


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

            # 3. "Send a Signal" decide_resolution, as a handler (refused), then as a supervisor.
            await to_approval(stack.client, "DEMO-0002")
            decision = json.dumps(
                {
                    "workflow_id": MAJOR,
                    "action": "decide_resolution",
                    "approved": True,
                    "collective": True,
                    # R-ST-8: the demo case's department head takes part
                    "participants": ["wang.qiang", "zhao.min", "liu.min"],
                }
            )
            for who, role in (("li.na", "handler"), ("wang.qiang", "supervisor")):
                step = f"signal-{role}"
                endpoint = await personal_endpoint(stack, who, role)
                page = await as_person(browser, endpoint)
                await page.goto(f"{stack.ui}/namespaces/default/workflows/{quote(MAJOR)}")
                await send_signal(page, "decide_resolution", decision)
                await shot(page, step)
                entry = await last_entry_by(stack.client, "DEMO-0002", who)
                if role == "handler":
                    assert entry.kind == "refused" and "supervisor" in entry.detail, entry
                else:
                    assert entry.kind == "action" and entry.action == "decide_resolution", entry
                    assert "via codec" in entry.detail, entry
            assert (await state_of(stack.client, "DEMO-0002")).stage.value == "close"
            step = "done"
            await page.get_by_role("tab", name="Event History").click()
            await page.get_by_text("Workflow Execution Signaled").first.wait_for()
            await shot(page, step)
        except BaseException:
            await shot(page, f"{step}-failed")
            raise
        finally:
            await browser.close()


async def test_a_case_cannot_be_ended_from_the_web_ui(stack: Stack) -> None:
    """A case ends only through its own actions: the launcher's Web UI (the embedded UI behind
    `launcher/ui_guard.py`) shows no Terminate, Reset, Cancel or batch actions, and refuses
    (403) the UI API's terminate, reset, cancel and batch requests sent by hand; the case runs
    on. Signals still work (the first test sends them) and the codec endpoint stays set."""
    open_case = GENERAL
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        step = "guard-workflow"
        try:
            # The workflow's page: cancellation disabled, no Terminate or Reset in its menu.
            await page.goto(f"{stack.ui}/namespaces/default/workflows/{quote(open_case)}")
            await page.get_by_role("heading", name=open_case).wait_for()
            cancel = page.get_by_role("button", name="Request Cancellation")
            assert await cancel.count() == 0 or await cancel.is_disabled()
            await page.get_by_role("button", name="More Actions").click()
            signal_item = page.get_by_role("menuitem", name="Send a Signal")
            await signal_item.wait_for()
            items = await page.get_by_role("menuitem").all_inner_texts()  # the enabled ones
            assert not any(re.search(r"Terminate|Reset|Cancel", item) for item in items), items
            # UI 2.54 lists them greyed out ("... is not enabled"), hidden from assistive tech.
            ending = page.locator("li[data-testid=terminate-button], li[data-testid=reset-button]")
            assert await ending.count() >= 1
            for item in await ending.all():
                assert await item.get_attribute("aria-disabled") == "true"
            await shot(page, step)

            # The list: no row selection, so no bulk Cancel, Reset or Terminate.
            step = "guard-list"
            await page.goto(f"{stack.ui}/namespaces/default/workflows")
            await page.get_by_role("link", name=open_case, exact=True).first.wait_for()
            assert await page.get_by_role("checkbox").count() == 0
            buttons = await page.get_by_role("button").all_inner_texts()
            assert not any(re.search(r"Terminate|Reset|Cancel", b) for b in buttons), buttons
            await shot(page, step)

            # By hand, through the UI's own port and its CSRF token: refused.
            step = "guard-refused"
            path = f"/api/v1/namespaces/default/workflows/{quote(open_case, safe='')}"
            statuses = await page.evaluate(
                """async (paths) => {
                    const csrf = (document.cookie.match(/_csrf=([^;]+)/) || [])[1] || "";
                    const out = [];
                    for (const p of paths) {
                        const r = await fetch(p, {method: "POST", body: '{"reason": "by hand"}',
                            headers: {"X-CSRF-TOKEN": csrf, "Content-Type": "application/json"}});
                        out.push(r.status);
                    }
                    return out;
                }""",
                [
                    f"{path}/terminate",
                    f"{path}/reset",
                    f"{path}/cancel",
                    "/api/v1/namespaces/default/batch-operations/by-hand",
                ],
            )
            assert statuses == [403, 403, 403, 403], statuses
            settings = await page.evaluate("fetch('/api/v1/settings').then(r => r.json())")
            for flag in (
                "WorkflowTerminateDisabled",
                "WorkflowResetDisabled",
                "WorkflowCancelDisabled",
                "BatchActionsDisabled",
            ):
                assert settings[flag] is True, (flag, settings)
            codec = (stack.data / "dev-ui-codec").read_text().strip()
            assert settings["Codec"]["Endpoint"] == codec
            described = await stack.client.get_workflow_handle(open_case).describe()
            assert described.status is not None and described.status.name == "RUNNING"
        except BaseException:
            await shot(page, f"{step}-failed")
            raise
        finally:
            await browser.close()


async def test_details_panel_and_a_desk_view_link_in_the_web_ui(stack: Stack) -> None:
    """The Web UI as ops staff find it now: DEMO-0001's User Metadata shows the start's details
    (the input is the complaint as filed) and the Current Details in Markdown with the actions
    the case accepts now and a payload to paste; the desk's `due-today` link, opened after
    signing in as the dev user, lands on the UI's list filtered on today's deadlines in the
    branch's zone (the query as the desk wrote it, sent to the server as is)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 1400})
        page.set_default_timeout(UI_TIMEOUT_MS)
        step = "webui-details"
        try:
            await page.goto(f"{stack.ui}/namespaces/default/workflows/{quote(GENERAL)}")
            await page.get_by_role("heading", name=GENERAL).wait_for()
            await page.get_by_role("tab", name="User Metadata").click()
            # The start's details, decrypted through the codec endpoint.
            start = page.frame_locator("#user-metadata-details")
            await start.get_by_text("Input below = the complaint as filed").wait_for()
            # The current details: the case in words, then what it accepts now.
            now = page.frame_locator("#user-metadata-current-details")
            await now.get_by_text(re.compile(r"Actions it accepts now")).wait_for()
            await now.get_by_text("(Asia/Shanghai)").wait_for()
            payload = f'{{"workflow_id": "{GENERAL}",\n "action": "record_contact"}}'
            await now.locator("pre", has_text='"action": "record_contact"}').wait_for()
            pasted = await now.locator("pre", has_text='"action": "record_contact"}').inner_text()
            assert json.loads(pasted) == json.loads(payload), pasted
            summary = page.frame_locator("#user-metadata-summary")
            await summary.get_by_text(re.compile(r"受理时 as filed$")).wait_for()
            await shot(page, step)

            step = "webui-view"
            await page.goto(f"{stack.api}/desk/login")
            await page.locator("#dev-login").click()
            await page.goto(f"{stack.api}/desk/dashboard")
            link = page.locator('a[data-view="due-today"]')
            await link.wait_for()
            await shot(page, "webui-dashboard")
            async with page.context.expect_page() as opened:
                await link.click()
            view = await opened.value
            view.set_default_timeout(UI_TIMEOUT_MS)
            await view.wait_for_url(re.compile(r"/namespaces/default/workflows\?query="))
            await view.get_by_text("StageDueAt", exact=False).first.wait_for()
            query = view.url.split("?query=", 1)[1]
            assert "StageDueAt >= " in unquote(query) and "+08:00" in unquote(query), view.url
            sent: list[str] = []
            view.on(
                "request",
                lambda r: (
                    sent.append(r.url) if "/api/v1/namespaces/default/workflows?" in r.url else None
                ),
            )
            await view.reload()
            await view.get_by_text("StageDueAt").first.wait_for()
            late = datetime.now(ZoneInfo("Asia/Shanghai")).hour == 23  # the demo's due tomorrow
            if not late:
                await view.locator("a[href*='/workflows/complaint-DEMO-']").first.wait_for()
            assert any(unquote(u.replace("+", " ")).endswith(unquote(query)) for u in sent), sent
            page = view
            await shot(page, step)
        except BaseException:
            await shot(page, f"{step}-failed")
            raise
        finally:
            await browser.close()
