"""R-CU-1: the printable decision letter in a real (headless) Chromium.

The real app is served by uvicorn on a free loopback port, with a real worker (time-skipping
Temporal) and PostgreSQL; the case is filed through the API and decided through its real actions,
its decision SMS goes out through the real adapter to a local gateway. Checked in the browser, as
the case's handler (the key in a header, as the desk takes it): the letter's own style applies
under its Content-Security-Policy (a hash mismatch would leave it unstyled), the console reports
nothing refused, the letterhead, the customer and the notice are on the page, and printed to PDF
it is one A4 page without the screen-only note. Screenshot: /work/screens/decision-letter.png
(and /tmp/decision-letter-print.pdf).

Needs /usr/bin/chromium and `playwright` (`infra/browser_deps.sh`), as tests/e2e/test_browser.py.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
from temporalio.testing import WorkflowEnvironment

from api.auth import create_key
from domain.vocabulary import Role
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_status_browser import serving
from tests.integration.test_channels import Gateway, gateway  # noqa: F401 (a fixture)
from tests.integration.test_decision_letter import COMPANY, SETTINGS, decision_sms
from tests.integration.test_status_page import file, running, to_stage

from playwright.async_api import async_playwright  # isort: skip

SHOT = Path("/work/screens/decision-letter.png")
PDF = Path("/tmp/decision-letter-print.pdf")
UI_TIMEOUT_MS = 15_000
A4_POINTS = (595.0, 842.0)  # 210 x 297 mm


async def test_r_cu_1_the_decision_letter_in_a_browser_prints_as_one_a4_page(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> None:
    assert CHROMIUM.exists()
    async with running(env, pool, gateway, SETTINGS) as world:
        bearer = await create_key(pool, "li.na", [Role.HANDLER])
        cid, _ = await file(world, customer={"name": "欧阳娜娜", "phone": "13812345678"})
        await to_stage(world, cid, "callback")
        sms = await decision_sms(world, cid)
        async with serving(world.app) as origin, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(
                    viewport={"width": 1000, "height": 1300},
                    locale="zh-CN",
                    extra_http_headers={"Authorization": f"Bearer {bearer}"},
                )
                desk = await context.new_page()
                desk.set_default_timeout(UI_TIMEOUT_MS)
                answer = await desk.goto(f"{origin}/desk/cases/{cid}")
                assert answer is not None and answer.status == 200
                href = await desk.locator("#decision-letter-link").get_attribute("href")
                assert href == f"/desk/cases/{cid}/decision-letter"
                await desk.close()
                # The letter in a page of its own: only its own console counts (the desk's page
                # asks for a favicon it has not, which may be reported late).
                page = await context.new_page()
                page.set_default_timeout(UI_TIMEOUT_MS)
                refused: list[str] = []
                page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
                answer = await page.goto(origin + href)
                assert answer is not None and answer.status == 200
                await page.get_by_role("heading", name="投诉处理结果").wait_for()
                # The inline style applied: the CSP hash matches the style the page carries.
                colour = await page.locator(".company").evaluate("e => getComputedStyle(e).color")
                assert colour == "rgb(122, 31, 31)", colour
                text = await page.locator("article.sheet").inner_text()
                for part in (COMPANY, "尊敬的欧阳娜娜：", "13812345678", cid, "12378"):
                    assert part in text, part
                for line in (ln.strip() for ln in sms.splitlines() if ln.strip()):
                    assert line in text, line
                SHOT.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SHOT), full_page=True)
                assert refused == [], refused

                await page.emulate_media(media="print")
                assert await page.locator(".screen-note").is_hidden()
                await page.pdf(path=str(PDF), prefer_css_page_size=True)
                pdf = await asyncio.to_thread(PDF.read_bytes)
                pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
                assert len(pages) == 1, f"{len(pages)} pages"
                box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
                assert box is not None
                size = (float(box.group(1)), float(box.group(2)))
                assert all(abs(a - b) < 2 for a, b in zip(size, A4_POINTS, strict=True)), size
                await context.close()
            finally:
                await browser.close()
