"""R-CU-2: the customer's status page in a real (headless) Chromium, at a phone's size (390×844)
and a desktop's, for a case in each stage and for a link that opens nothing.

The real app is served by uvicorn on a free loopback port, with a real worker (time-skipping
Temporal) and PostgreSQL; each case is filed through the API and moved through its real
actions, and the page is opened from the link its delivered acknowledgement carries (the SMS
adapter posts to a local HTTP gateway). Checked in the browser: the stage in plain Chinese is
shown as the current step, the page's own style applies under its Content-Security-Policy (a
hash mismatch would leave it unstyled), nothing overflows the phone's width, and the console
reports no refused resource. Screenshots: /tmp/status-<stage>-<phone|desktop>.png.

Needs /usr/bin/chromium and `playwright` (`infra/browser_deps.sh`), as tests/e2e/test_browser.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_dev_launcher import free_port
from tests.integration.test_channels import Gateway, gateway  # noqa: F401 (a fixture)
from tests.integration.test_status_page import BASE, file, running, to_stage

from playwright.async_api import Page, ViewportSize, async_playwright  # isort: skip

SHOTS = Path("/tmp")
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}
STAGES = {  # stage -> what the page names it, and the customer
    "contact": ("联系您", "张伟"),
    "investigate": ("调查处理", "李秀英"),
    "approve": ("审批", "王芳"),
    "close": ("结案", "欧阳娜娜"),
    "callback": ("回访", "刘洋"),
    "closed": ("已结束", "陈静"),
}
UI_TIMEOUT_MS = 15_000
START_TIMEOUT = 10.0


@contextlib.asynccontextmanager
async def serving(app: object) -> AsyncIterator[str]:
    """The app on a free loopback port (uvicorn, in this loop); its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not server.started:
                assert not task.done(), "uvicorn stopped before it started"
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, START_TIMEOUT)


async def check_page(page: Page, url: str, shot: Path, stage: str | None) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    answer = await page.goto(url)
    assert answer is not None
    if stage is None:
        assert answer.status == 404
        await page.get_by_role("heading", name="页面不存在").wait_for()
    else:
        assert answer.status == 200
        current = page.locator("ol.steps li.current")
        words, name = STAGES[stage]
        assert await current.inner_text() == words
        assert await page.locator("p.stage").inner_text() == words
        masked = name[0] + "*" * (len(name) - 1)
        assert await page.get_by_text(masked).count() == 1
        assert name not in await page.content()
        # The inline style applied: the CSP hash matches the style the page carries.
        colour = await page.locator("p.stage").evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(11, 110, 79)", colour
    wide = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, "the page is wider than the screen"
    await page.screenshot(path=str(shot), full_page=True)
    if stage is None:  # the page's own 404 is reported; nothing else may be
        refused = [r for r in refused if "status of 404" not in r]
    assert refused == [], refused


async def test_r_cu_2_the_status_page_in_a_browser_for_each_stage_on_phone_and_desktop(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> None:
    assert CHROMIUM.exists()
    async with running(env, pool, gateway) as world:
        links: dict[str, str] = {}
        for stage, (_, name) in STAGES.items():
            cid, link = await file(world, customer={"name": name, "phone": "13812345678"})
            if stage != "contact":
                await to_stage(world, cid, stage)
            links[stage] = link
        async with serving(world.app) as origin, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for size, viewport in SIZES.items():
                    phone = size == "phone"
                    context = await browser.new_context(
                        viewport=viewport,
                        is_mobile=phone,
                        has_touch=phone,
                        device_scale_factor=2 if phone else 1,
                        locale="zh-CN",
                    )
                    page = await context.new_page()
                    page.set_default_timeout(UI_TIMEOUT_MS)
                    for stage, link in links.items():
                        url = origin + link.removeprefix(BASE).join(("/status", ""))
                        await check_page(page, url, SHOTS / f"status-{stage}-{size}.png", stage)
                    missing = f"{origin}/status/{'x' * 43}"
                    await check_page(page, missing, SHOTS / f"status-not-found-{size}.png", None)
                    await context.close()
            finally:
                await browser.close()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
