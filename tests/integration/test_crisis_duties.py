"""Crisis duties of rules 5 on the time-skipping server with a real worker and a real ledger:
the insurer on site (R-CR-10), the review after a crisis and the early warnings (R-CR-11);
the pure rules: tests/unit/test_crisis_duties.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.app import create_app
from api.auth import create_key
from domain import crisis
from domain.notice_models import Notification
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ComplaintState
from domain.vocabulary import Role
from ledger import policy as policies
from tests.harness import Harness, eventually, test_calendar

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
OUTLET = {"bank": "工商银行", "outlet": "浦东支行", "responsible_person": "zhou.outlet"}
CROWD = {"people_count": 8, "media": True}


async def sent(h: Harness, which: Callable[[Notification], bool], what: str) -> Any:
    async def probe() -> list[Notification]:
        return [n for n in h.notifier.sent if which(n)]

    return await eventually(probe, what=what)


async def test_r_cr_10_an_unanswered_call_chases_at_once_and_the_arrival_stops_it(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(channel="bank_outlet", bank_outlet=OUTLET)
    state = await h.act(
        handle, "call_insurer_on_site", person="chen.jie", soothing="script read twice"
    )
    clock = state.clock(crisis.ON_SITE)
    assert clock is not None and clock.due_at - clock.started_at == timedelta(hours=1)
    await h.sleep_until(clock.due_at + timedelta(hours=1, minutes=5))
    state = await h.state(handle)
    running = state.clock(crisis.ON_SITE)
    assert running is not None and running.breached_at is not None and running.reminders >= 2
    chased = await sent(
        h, lambda n: n.clock == crisis.ON_SITE and n.kind.value == "crisis_report", "the chase"
    )
    assert chased[0].recipient == "wang.qiang" and "insurer" in chased[0].subject
    state = await asyncio.wait_for(h.act(handle, "insurer_on_site"), timeout=20)
    assert state.clock(crisis.ON_SITE) is None
    kinds = await eventually(
        lambda: _kinds(h, state.complaint_id, 2), what="the call and the arrival in the ledger"
    )
    assert kinds == [("insurer_called", "chen.jie", False), ("insurer_on_site", "chen.jie", True)]
    # R-CR-11: a media report on the case warns the crisis group (no chain here: the supervisor)
    await h.act(handle, "record_media_report", media="新民晚报", detail="page 7")
    warned = await sent(h, lambda n: n.kind.value == "early_warning", "the early warning")
    assert warned[0].recipient == "wang.qiang" and "新民晚报" in warned[0].body


async def _kinds(h: Harness, cid: str, count: int) -> list[tuple[str, str, bool]] | None:
    rows = await h.pool.fetch(
        "SELECT kind, person, late FROM crisis_records WHERE complaint_id = $1 ORDER BY seq", cid
    )
    found = [(r["kind"], r["person"], r["late"]) for r in rows]
    return found if len(found) >= count else None


async def test_r_cr_11_a_closed_crisis_waits_out_its_review_and_its_reminder(
    harness: Harness,
) -> None:
    """The review window (2 days here) ends before the review (10 working days) is due: the
    case keeps running until the review's reminder has told the supervisor, then ends."""
    h = harness
    h.policy.snapshot = HandlingPolicy(
        calendar=test_calendar(), sla=SlaPolicy(review_window_days=2)
    )
    handle = await h.start(crisis=CROWD, department_head="zhao.min")  # R-ST-8
    await h.act(handle, "record_contact", method="phone")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    await h.act(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min"],
    )
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="done")
    state = await h.act(handle, "record_callback", satisfied=True)
    review = state.clock(crisis.REVIEW)
    assert state.stage.value == "closed" and review is not None
    await h.sleep(timedelta(days=3))  # past the review window
    # Still running: it takes an action (an update to a finished workflow fails).
    state = await asyncio.wait_for(
        h.act(handle, "record_media_report", media="m", detail="d"), timeout=20
    )
    assert state.clock(crisis.REVIEW) is not None
    await h.sleep_until(review.due_at + timedelta(days=4))
    result = await asyncio.wait_for(handle.result(), timeout=30)
    final = ComplaintState.model_validate(result, from_attributes=True)
    ended = next(c for c in final.clocks if c.key == crisis.REVIEW)
    assert ended.breached_at is not None and ended.reminders >= 1
    # The supervisor heard twice: the review due (at closing), then overdue (its reminder).
    told = await sent(
        h,
        lambda n: n.clock == crisis.REVIEW and n.recipient == "wang.qiang",
        "the review's notices to the supervisor",
    )
    await eventually(
        lambda: _at_least(h, crisis.REVIEW, "wang.qiang", 2), what="the review's reminder"
    )
    assert "record_crisis_review" in told[0].body


async def _at_least(h: Harness, clock: str, person: str, count: int) -> bool:
    return len([n for n in h.notifier.sent if n.clock == clock and n.recipient == person]) >= count


async def test_r_cr_11_a_peer_crisis_warns_the_head_office_contacts(harness: Harness) -> None:
    """`POST /v1/crisis/peer-warnings`: recorded in the ledger, the early warning in the outbox
    to the directory's head office contacts; a key for some branches only: 403."""
    h = harness
    app = create_app(h.client, h.pool, task_queue=h.task_queue)
    group = await create_key(h.pool, "crisis.group", [Role.SUPERVISOR])
    scoped = await create_key(h.pool, "pudong.lead", [Role.SUPERVISOR], ["Shanghai Pudong"])
    handler = await create_key(h.pool, "li.na", [Role.HANDLER])
    body = {"peer": "某人寿", "detail": "Forty customers at its Nanjing outlets.", "source": "news"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as http:

        async def post(key: str, payload: Any = body) -> httpx.Response:
            return await http.post(
                "/v1/crisis/peer-warnings", json=payload, headers={"Authorization": f"Bearer {key}"}
            )

        none = await post(group)
        assert none.status_code == 409 and "head office" in none.json()["detail"], none.text
        since = datetime(2026, 1, 1, tzinfo=UTC)
        head = {
            "level": "head_office",
            "name": "总公司",
            "contacts": [
                {"name": "危机小组", "user": "crisis.desk"},
                {"name": "王总", "user": "wang.hq"},
            ],
        }
        await policies.add_version(h.pool, "contacts", "Head Office", since, head, "d", "admin")
        assert (await post(scoped)).status_code == 403
        assert (await post(handler)).status_code == 403
        bad = await post(group, body | {"detail": " "})
        assert bad.status_code == 422 and "detail" in bad.text, bad.text
        done = await post(group)
        assert done.status_code == 201, done.text
        saved = done.json()
    assert saved["warned"] == ["crisis.desk", "wang.hq"] and saved["recorded_by"] == "crisis.group"
    rows = await h.pool.fetch(
        "SELECT recipient, kind FROM notifications WHERE complaint_id = $1 ORDER BY recipient",
        f"peer-warning-{saved['peer_warning_id']}",
    )
    assert {(r["recipient"], r["kind"]) for r in rows} == {
        ("crisis.desk", "early_warning"),
        ("wang.hq", "early_warning"),
    }
    count = await h.pool.fetchval("SELECT count(*) FROM peer_warnings")
    assert count == 1  # the refused requests left nothing
