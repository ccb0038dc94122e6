"""Escalation duties of rules 5 on the time-skipping server with a real worker: R-GR-4 (the
regulator, a government body or the media coming in later), R-ST-8 (the department head in the
decision) and R-ST-9 (the first receiver chases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import outside_bodies
from domain.accountability import CaseFacts, propose
from domain.notice_models import Notification
from domain.vocabulary import Grade
from ledger import accountability
from tests.harness import Harness, eventually

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


async def sent(h: Harness, which: Callable[[Notification], bool], what: str) -> Any:
    """The notices sent so far that `which` picks, once there is one (bounded)."""

    async def probe() -> list[Notification]:
        return [n for n in h.notifier.sent if which(n)]

    return await eventually(probe, what=what)


async def test_r_gr_4_media_repeat_regrades_and_puts_a_crisis_with_a_one_hour_clock(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(channel="hotline")
    state = await h.act(handle, "record_repeat", channel="media")
    assert state.grade is Grade.MAJOR
    contact = state.clock("stage:contact")
    assert contact is not None and "(major)" in contact.label
    decision = state.clock(outside_bodies.DECISION)
    assert decision is not None
    told = await sent(h, lambda n: n.clock == outside_bodies.DECISION, "the crisis put")
    assert told[0].recipient == "wang.qiang" and "escalate_crisis" in told[0].body
    # Left undecided, the clock breaches and the owner and the supervisor are reminded.
    await h.sleep_until(decision.due_at + timedelta(hours=5))
    state = await h.state(handle)
    assert outside_bodies.DECISION in [b.clock for b in state.breaches]
    # The supervisor records why not: the clock ends, the reason stays on the timeline.
    state = await h.act(
        handle, "decline_crisis", **SUPERVISOR, reason="The reporter called once; no story ran."
    )
    assert state.clock(outside_bodies.DECISION) is None and not state.crisis
    assert any(e.action == "decline_crisis" and "no story ran" in e.detail for e in state.timeline)


async def test_r_gr_4_a_regulator_transfer_declared_a_crisis_meets_the_clock(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(channel="online")
    state = await h.act(
        handle,
        "transfer",
        department="Claims",
        requirements="Answer the CBIRC.",
        hours=4,
        via="regulator_provincial",
    )
    assert state.grade is Grade.MAJOR and state.clock(outside_bodies.DECISION) is not None
    state = await h.act(handle, "escalate_crisis", **SUPERVISOR, reasons=["regulator involved"])
    assert state.crisis and state.clock(outside_bodies.DECISION) is None
    assert outside_bodies.DECISION not in [b.clock for b in state.breaches]


async def test_r_gr_4_a_recorded_government_contact_regrades_and_puts_a_crisis(
    harness: Harness,
) -> None:
    """A contact of a government body recorded on an open case, not a repeat or a transfer:
    major at once, the crisis put to the supervisor (who is asked for the department head the
    major case now needs, R-ST-8), and the approval waits for that head."""
    h = harness
    handle = await h.start(channel="online")
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    state = await h.act(
        handle,
        "record_outside_contact",
        body="government",
        note="The district government's letters office forwarded the customer's letter.",
    )
    assert state.grade is Grade.MAJOR and state.clock(outside_bodies.DECISION) is not None
    told = await sent(h, lambda n: n.clock == outside_bodies.DECISION, "the crisis put")
    assert told[0].recipient == "wang.qiang" and "government came in" in told[0].body
    assert "name_department_head" in told[0].body
    approval = {"approved": True, "collective": True, "participants": ["wang.qiang", "zhao.min"]}
    refused = await h.refusal(handle, "decide_resolution", **SUPERVISOR, **approval)
    assert "R-ST-8" in refused and "names no department head" in refused, refused
    state = await h.act(handle, "decline_crisis", **SUPERVISOR, reason="A forwarded letter.")
    assert state.clock(outside_bodies.DECISION) is None and state.grade is Grade.MAJOR
    await h.act(handle, "name_department_head", **SUPERVISOR, head="zhao.min")
    state = await h.act(handle, "decide_resolution", **SUPERVISOR, **approval)
    assert state.stage.value == "close"


async def test_r_st_9_first_receiver_is_told_of_an_overdue_stage_after_reassignment(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    state = await h.act(handle, "reassign", owner="zhao.min")
    contact = state.clock("stage:contact")
    assert contact is not None and state.first_receiver == "li.na"
    await h.sleep_until(contact.due_at + timedelta(days=1))
    chased = await sent(h, lambda n: n.recipient_role == "first_receiver", "the chase")
    assert [(n.recipient, n.clock) for n in chased] == [("li.na", "stage:contact")]


async def test_r_ac_4_a_media_contact_recorded_on_the_case_makes_it_a_media_complaint(
    harness: Harness,
) -> None:
    """R-AC-4 with R-GR-4 and R-ST-8: the accountability facts count a case the media contacted
    or reported on (recorded on the case, not only its channel or a repeat) as a media
    complaint, and its department head, as the case named them, is held accountable; a
    government contact is not the media, whatever its note says."""
    h = harness
    media = await h.start(channel="online", department_head="sun.hao")
    await h.act(media, "record_contact")
    told = await h.act(
        media, "record_outside_contact", body="media", note="A reporter of 新民晚报 called."
    )
    other = await h.start(channel="online")
    await h.act(other, "record_contact")
    quoted = await h.act(
        other, "record_outside_contact", body="government", note="Not the 'body': 'media'}"
    )
    reported = await h.start(channel="online")
    await h.act(reported, "record_contact")
    article = await h.act(reported, "record_media_report", media="新民晚报", detail="page 7")
    wanted = (told.complaint_id, quoted.complaint_id, article.complaint_id)

    async def facts() -> dict[str, CaseFacts] | None:
        async with h.pool.acquire() as conn:
            rows = await accountability.case_facts(
                conn, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
            )
        found = {f.complaint_id: f for f in rows}
        return found if all(w in found for w in wanted) else None

    found = await eventually(facts, what="the cases in the ledger")
    assert [found[cid].media for cid in wanted] == [True, False, True]
    # R-ST-8: the head the case named is the facts' department head (no determination names
    # another), and with the media in, R-AC-4 proposes them.
    assert found[told.complaint_id].department_head == "sun.hao"
    proposals = propose(found[told.complaint_id].model_copy(update={"effective": True}))
    assert ("sun.hao", "department_head") in {(p.person, p.responsibility) for p in proposals}
