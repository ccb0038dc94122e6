"""R-CU-1: the decision notice "kept in the ledger as sent, and printable as a letter" over the real
app, a real worker (time-skipping Temporal) and a real PostgreSQL; the notice goes out through the
real SMS adapter to a local HTTP gateway, and the letter is compared with what the gateway got.

What is proven: no letter before a decision notice was sent (404); the letter carries the SMS's
words line by line, with the letterhead, the customer and an A4 print style, in the customer's
language; a template saved after the notice does not re-word the letter; the customer's name and
number are whole for the handler (and the read is in the access log), masked for a senior
manager (and not logged); a handler not on the case is refused (R-CR-2), another branch's key
gets 404, an auditor 403; the desk's case page links the letter and serves it.
"""

from __future__ import annotations

import html
import json

import asyncpg
from temporalio.testing import WorkflowEnvironment

from api.auth import create_key
from domain.vocabulary import Role
from tests.harness import eventually
from tests.integration.test_channels import Gateway, gateway  # noqa: F401 (a fixture)
from tests.integration.test_status_page import (
    AWAY,
    HOME,
    World,
    file,
    running,
    status_settings,
    to_stage,
)

COMPANY = "示例财产保险股份有限公司北京分公司"
ADDRESS = "北京市海淀区中关村大街1号"
SETTINGS = status_settings(letter_company=COMPANY, letter_address=ADDRESS)
RESULT = "Paid 8,200 yuan; customer informed"


def letter_path(cid: str) -> str:
    return f"/v1/complaints/{cid}/decision-letter"


async def decision_sms(world: World, cid: str) -> str:
    """The decision's SMS text as the gateway received it."""

    async def found() -> str | None:
        for request in world.gateway.requests:
            text: str = request.json()["text"]
            if cid in text and RESULT in text:
                return text
        return None

    text: str = await eventually(found, what="the decision SMS at the gateway")
    return text


async def test_r_cu_1_the_decision_letter_prints_the_notice_as_sent(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> None:
    async with running(env, pool, gateway, SETTINGS) as world:
        owner = {"Authorization": f"Bearer {await create_key(pool, 'li.na', [Role.HANDLER])}"}
        admin = {"Authorization": f"Bearer {await create_key(pool, 'admin', [Role.ADMIN])}"}
        cid, _ = await file(world, customer={"name": "张伟", "phone": "13812345678"})
        await to_stage(world, cid, "close")
        early = await world.http.get(letter_path(cid), headers=owner)
        assert early.status_code == 404 and "no decision notice" in early.text, early.text

        await to_stage_from_close(world, cid)
        sms = await decision_sms(world, cid)
        # An administrator rewords the decision afterwards: the letter keeps the words sent.
        saved = await world.http.post(
            "/v1/notice-templates/decision/zh",
            json={
                "subject": "处理结果（新版）",
                "body": "新措辞：{{ complaint_id }} {{ outcome }} {{ review_by }} {{ handler }}",
                "reason": "wording changed after the notice went out",
            },
            headers=admin,
        )
        assert saved.status_code == 201, saved.text

        answer = await world.http.get(letter_path(cid), headers=owner)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["cache-control"] == "no-store"
        page = html.unescape(answer.text)
        assert "新措辞" not in page and "新版" not in page
        lines = [line.strip() for line in sms.splitlines() if line.strip()]
        assert len(lines) >= 5, sms
        for line in lines:  # the subject, then every line of the notice, as sent
            assert line in page, (line, page)
        for part in (COMPANY, ADDRESS, "尊敬的张伟：", "13812345678", cid, "12378", 'lang="zh-CN"'):
            assert part in page, part
        assert "size: A4" in page and "@media print" in page
        logged = await pool.fetchval(
            "SELECT count(*) FROM access_log WHERE actor = 'li.na' AND $1 = ANY(complaint_ids)"
            " AND via = 'api:GET /v1/complaints/{id}/decision-letter'",
            cid,
        )
        assert logged == 1

        manager = await world.http.get(
            letter_path(cid), headers=world.key(Role.SENIOR_MANAGER, HOME)
        )
        assert manager.status_code == 200, manager.text
        assert "张*" in manager.text and "138****5678" in manager.text
        assert "张伟" not in manager.text and "13812345678" not in manager.text
        assert RESULT in manager.text
        assert not await pool.fetchval(
            "SELECT count(*) FROM access_log WHERE actor = $1", f"senior_manager@{HOME}"
        )

        stranger = await world.http.get(letter_path(cid), headers=world.key(Role.HANDLER, HOME))
        assert stranger.status_code == 403 and "R-CR-2" in stranger.text, stranger.text
        away = await world.http.get(letter_path(cid), headers=world.key(Role.SUPERVISOR, AWAY))
        assert away.status_code == 404 and json.loads(away.text) == {
            "detail": f"no complaint {cid}"
        }
        auditor = await world.http.get(letter_path(cid), headers=world.key(Role.AUDITOR, HOME))
        assert auditor.status_code == 403, auditor.text

        desk = await world.http.get(f"/desk/cases/{cid}", headers=owner)
        assert desk.status_code == 200, desk.text
        assert f'href="/desk/cases/{cid}/decision-letter"' in desk.text
        printed = await world.http.get(f"/desk/cases/{cid}/decision-letter", headers=owner)
        assert printed.status_code == 200 and RESULT in printed.text, printed.text


async def test_r_cu_1_the_letter_is_in_the_customer_language(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> None:
    async with running(env, pool, gateway, SETTINGS) as world:
        cid, _ = await file(
            world, customer={"name": "Jane Roe", "phone": "13812345678", "language": "en"}
        )
        await to_stage(world, cid, "callback")
        sms = await decision_sms(world, cid)
        answer = await world.http.get(letter_path(cid), headers=world.key(Role.SUPERVISOR, HOME))
        assert answer.status_code == 200, answer.text
        page = html.unescape(answer.text)
        assert (
            'lang="en"' in page
            and "Dear Jane Roe," in page
            and "Decision on your complaint" in page
        )
        for line in (line.strip() for line in sms.splitlines() if line.strip()):
            assert line in page, (line, page)


async def to_stage_from_close(world: World, cid: str) -> None:
    """Close the case (the decision notice goes out), the customer having accepted (R-CU-3)."""
    accepted = await world.http.post(
        f"/v1/complaints/{cid}/actions/record_customer_response",
        json={"response": "accepts"},
        headers=world.key(Role.SUPERVISOR, HOME),
    )
    assert accepted.status_code == 200, accepted.text
    answer = await world.http.post(
        f"/v1/complaints/{cid}/actions/close_case",
        json={"result": RESULT, "reasons": "The garage invoice is genuine."},
        headers=world.key(Role.SUPERVISOR, HOME),
    )
    assert answer.status_code == 200, answer.text
