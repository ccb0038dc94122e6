"""The complaint desk as its people use it, in a real (headless) Chromium.

The real app served by uvicorn on a free port, over a real worker on the time-skipping
server and a real PostgreSQL (`tests/desk.py`); Playwright drives Debian's Chromium
(`infra/browser_deps.sh`; no browser is downloaded), at a desktop's and a phone's size:

1. a handler signs in with her key, works her queue: records the contact and submits the
   investigation through the generated forms; the case page says so, in words;
2. a supervisor finds the case in the team queue (filtered to the approve stage) and approves
   it; a major case approved without a collective decision is refused, the case's reason shown
   beside the form;
3. leave cover: the supervisor selects 20 cases in the team queue and reassigns them to one
   person; the result page lists 20 results, and the cases have their new owner.

Screenshots go to /tmp/desk-<step>-<size>.png.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.desk import Desk, desk_world
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_dev_launcher import free_port
from workflows import contract

SHOTS = Path("/tmp")
TIMEOUT_MS = 15_000
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """None: the test runner owns the signals."""


@pytest.fixture(scope="module")
async def served(pg_server: str, migrated_template: str) -> AsyncIterator[tuple[Desk, str]]:
    async with desk_world(pg_server, migrated_template) as desk:
        port = free_port()
        server = _Server(
            uvicorn.Config(
                desk.app, host="127.0.0.1", port=port, log_level="warning", access_log=False
            )
        )
        serving = asyncio.create_task(server.serve())
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started, "the app did not start"
        try:
            yield desk, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, timeout=10)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def signed_in(browser: Browser, base: str, desk: Desk, name: str, size: str) -> Page:
    context = await browser.new_context(viewport=SIZES[size], locale="zh-CN")  # type: ignore[arg-type]
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{base}/desk/queue/mine")
    assert "/desk/login" in page.url  # no page without a signed-in person
    await shot(page, "login", size)
    await page.fill("#key", desk.keys[name])
    await page.click("#key-login")
    await page.wait_for_url("**/desk/queue/mine")
    return page


async def shot(page: Page, step: str, size: str) -> None:
    await page.screenshot(path=str(SHOTS / f"desk-{step}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_handler_works_her_queue_and_a_supervisor_approves(
    served: tuple[Desk, str], browser: Browser, size: str
) -> None:
    desk, base = served
    cid = await desk.file()
    major = await desk.file(channel="regulator_provincial")  # major on arrival
    for case in (major,):
        await desk.act(case, "record_contact", "li.na")
        await desk.act(case, "submit_investigation", "li.na", findings="f", proposed_resolution="p")

    page = await signed_in(browser, base, desk, "li.na", size)
    row = page.locator(f'tr[data-case="{cid}"]')
    await expect(row).to_be_visible()
    await shot(page, "my-queue", size)
    await row.locator("a").first.click()
    await page.wait_for_url(f"**/desk/cases/{cid}")
    await expect(page.locator("#stage")).to_have_text("联系 Contact")
    await shot(page, "case", size)
    await page.click('a[data-action="record_contact"]')
    await page.select_option("#f-method", "visit")
    await shot(page, "form-record-contact", size)
    await page.click("#submit")
    await page.wait_for_url(f"**/desk/cases/{cid}?done=record_contact")
    await expect(page.locator("#stage")).to_have_text("调查 Investigate")
    await page.click('a[data-action="submit_investigation"]')
    await page.fill("#f-findings", "The repair invoice was lost between departments.")
    await page.fill("#f-proposed_resolution", "Pay the claim in full within 5 working days.")
    await page.click("#submit")
    await page.wait_for_url("**?done=submit_investigation")
    await expect(page.locator("#stage")).to_have_text("审批 Approve")
    await expect(page.locator("#actions")).not_to_contain_text("审批处理方案")  # not hers
    await shot(page, "case-after-investigation", size)
    await page.context.close()

    page = await signed_in(browser, base, desk, "wang.qiang", size)
    await page.goto(f"{base}/desk/queue/team?stage=approve")
    await expect(page.locator(f'tr[data-case="{cid}"]')).to_be_visible()
    await expect(page.locator(f'tr[data-case="{major}"]')).to_be_visible()
    await shot(page, "team-queue-approve", size)
    await page.locator(f'tr[data-case="{major}"] a').first.click()
    await page.click('a[data-action="decide_resolution"]')
    await page.check('input[name="approved"]')
    await page.click("#submit")
    refusal = page.locator("#refusal")
    await expect(refusal).to_contain_text("R-ST-2")  # a major case needs a collective decision
    await shot(page, "refusal", size)
    assert (await contract.state(desk.env.client, major)).stage.value == "approve"

    await page.goto(f"{base}/desk/cases/{cid}/act/decide_resolution")
    await page.check('input[name="approved"]')
    await page.click("#submit")
    await page.wait_for_url("**?done=decide_resolution")
    await expect(page.locator("#stage")).to_have_text("办结 Close")
    timeline = page.locator("#timeline")
    await expect(timeline).to_contain_text("wang.qiang")
    await expect(timeline).to_contain_text("接口 API")
    await shot(page, "case-approved", size)
    await page.goto(f"{base}/desk/dashboard")
    await expect(page.locator(".branch").first).to_be_visible()
    await shot(page, "dashboard", size)
    await page.context.close()


async def test_leave_cover_reassigns_twenty_cases_with_a_result_each(
    served: tuple[Desk, str], browser: Browser
) -> None:
    desk, base = served
    ids = [await desk.file(owner="zhao.lei") for _ in range(20)]
    for size in SIZES:
        page = await signed_in(browser, base, desk, "wang.qiang", size)
        await page.goto(f"{base}/desk/queue/team")
        await shot(page, "team-queue", size)
        await page.context.close()
    page = await signed_in(browser, base, desk, "wang.qiang", "desktop")
    await page.goto(f"{base}/desk/queue/team")
    for cid in ids:
        await page.check(f'tr[data-case="{cid}"] input[name="cid"]')
    await page.fill("#bulk-owner", "li.na")
    await page.click("#bulk-go")
    await page.wait_for_url("**/desk/bulk/reassign")
    await expect(page.locator("#results tbody tr")).to_have_count(20)
    await expect(page.locator("#results tr.ok")).to_have_count(20)
    await expect(page.locator("#summary")).to_contain_text("20 / 20")
    await shot(page, "bulk-result", "desktop")
    for cid in ids:
        assert (await contract.state(desk.env.client, cid)).owner == "li.na"
    await page.context.close()
