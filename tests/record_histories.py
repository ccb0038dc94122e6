"""Record histories for the replay tests: `python -m tests.record_histories RELEASE [CASE...]`
(every case when none is named).

Run it when a release is cut: the JSON files it writes (`<case>-<RELEASE>.json`) are the
histories of cases that every later release must still replay
(tests/integration/test_replay.py). Never regenerate or delete them to make a replay test
pass: a failing replay means running cases would break (use workflow.patched). Histories
retire only with the patch they depend on (tests/histories/retired/README.md). Each case's
complaint id is its file's name, so that a replay runs under the same workflow id (an action's
sealed identity is bound to it: domain/identity.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.sla import HandlingPolicy, SlaPolicy
from infra.binaries import find
from infra.postgres import create_pool, embedded_server
from infra.temporal import register_search_attributes
from ledger.migrate import migrate
from tests.harness import (
    TEST_CONVERTER,
    FixedPolicySource,
    Harness,
    RecordingNotifier,
    eventually,
    test_calendar,
)
from workers import build_worker
from workflows import contract
from workflows.search_attributes import BRANCH_CODE

HERE = Path(__file__).parent / "histories"
SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


async def main(release: str, only: list[str]) -> None:
    HERE.mkdir(exist_ok=True)
    ledger = embedded_server(Path(tempfile.mkdtemp()))
    await migrate(ledger.dsn)
    pool = await create_pool(ledger.dsn)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=find("temporal-test-server"),
    )
    await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
    now = await env.get_current_time()
    holidays = {now.date() + timedelta(days=3 + i): "Recorded Festival" for i in range(3)}
    source = FixedPolicySource(HandlingPolicy(calendar=test_calendar(holidays), sla=SlaPolicy()))
    h = Harness(
        env=env, task_queue="record", notifier=RecordingNotifier(), policy=source, pool=pool
    )
    async with build_worker(
        env.client, pool=pool, task_queue="record", sender=h.notifier, policy_source=source
    ):
        for case in CASES:
            if not only or case.__name__ in only:
                await case(h, release)
    await env.shutdown()
    await pool.close()
    ledger.stop()
    print(f"recorded into {HERE} (calendar holidays {sorted(holidays)}; {date.today()})")


async def save(handle: WorkflowHandle[Any, Any], name: str) -> None:
    (HERE / name).write_text((await handle.fetch_history()).to_json())


async def general_full_life(h: Harness, release: str) -> None:
    """Late contact (breach and reminders), an extension, a pause, a rejected resolution,
    refusals (a malformed signal, an unverified one), a dissatisfied callback, then resolved
    and the review window run out."""
    handle = await h.start(channel="hotline", complaint_id=f"general_full_life-{release}")
    await h.sleep(timedelta(days=2))
    await h.act(handle, "record_contact")
    state = await h.state(handle)
    due = state.clocks[-1].due_at
    await h.act(
        handle,
        "request_extension",
        new_due_at=(due + timedelta(days=1)).isoformat(),
        reason="invoice",
    )
    await h.act(handle, "decide_extension", **SUPERVISOR, approved=True)
    await h.act(handle, "pause_clock", reason="appraisal")
    await h.sleep(timedelta(days=1))
    await h.act(handle, "resume_clock")
    await h.act(
        handle,
        "submit_investigation",
        findings="f",
        proposed_resolution="r",
        difficulty="loss_assessment",
        report_to="claims.tech",  # R-ST-1 (rules 5): no directory here, the department named
    )
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=False)
    await h.signal(handle, "submit_investigation", findings="f2", proposed_resolution="r2")
    await h.signal(handle, "decide_resolution", actor="ops", approved="maybe")
    await handle.signal(
        "decide_resolution", {"actor": "mallory", "role": "supervisor", "approved": True}
    )  # fmt: skip  (not sealed)
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid")
    await h.act(handle, "record_callback", satisfied=False)
    await h.act(handle, "submit_investigation", findings="f3", proposed_resolution="r3")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid more")
    await h.act(handle, "record_callback", satisfied=True)
    await handle.result()
    await save(handle, f"general_full_life-{release}.json")


async def crisis_withdrawn(h: Harness, release: str) -> None:
    """From the regulator; escalated to a crisis, reported, graded special, expedited,
    reassigned, then withdrawn."""
    handle = await h.start(channel="regulator", complaint_id=f"crisis_withdrawn-{release}")
    await h.act(handle, "escalate_crisis", reasons=["media called"], people_count=7)
    await h.act(handle, "report_crisis", level="superior", summary="s")
    await h.sleep(timedelta(days=2))
    deadlines = {"contact_hours": 3, "investigate_days": 8, "approve_days": 2}
    await h.act(handle, "designate_special", **SUPERVISOR, deadlines=deadlines)
    await h.act(handle, "expedite", **SUPERVISOR, minutes=90)
    await h.act(handle, "reassign", owner="zhao.min")
    await h.act(handle, "withdraw", actor="zhao.min", reason="settled")
    await handle.result()
    await save(handle, f"crisis_withdrawn-{release}.json")


async def continued_run(h: Harness, release: str) -> None:
    """A case whose history reached its budget: the run it continued as new, which starts
    from the carried snapshot (actions sent in waves while it switches)."""
    snapshot = h.policy.snapshot
    h.policy.snapshot = snapshot.model_copy(update={"history_budget": 150})
    handle = await h.start(channel="online", complaint_id=f"continued_run-{release}")
    for wave in range(0, 60, 10):
        await asyncio.gather(
            *(
                h.act(
                    handle,
                    "record_repeat",
                    actor="callcentre",
                    role="system",
                    channel="hotline",
                    request_id=f"rep-{i}",
                )
                for i in range(wave, wave + 10)
            )
        )
    await h.act(handle, "record_contact")
    await h.sleep(timedelta(days=1))  # an overdue investigation: breach and reminders
    h.policy.snapshot = snapshot
    current = h.client.get_workflow_handle(handle.id)
    await current.terminate("recorded")
    history = await current.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id, "the case did not continue as new"
    (HERE / f"continued_run-{release}.json").write_text(history.to_json())


async def bank_outlet_crisis(h: Harness, release: str) -> None:
    """Rules 3: a bank-outlet complaint handed to the insurer, its policy classed flawed and
    referred, the amount corrected, a transfer done, the customer flagged, early signs and a
    group event with the police and the on-site commander, every crisis report filed (one with
    evidence ids), conduct recorded, the branch closed ad hoc, then withdrawn."""
    handle = await h.start(
        channel="bank_outlet",
        complaint_id=f"bank_outlet_crisis-{release}",
        bank_outlet={"bank": "工商银行", "outlet": "陆家嘴支行"},
        amount_involved={"amount": "50000.00"},
    )
    await h.act(handle, "acknowledge_script")
    await h.act(handle, "transfer_to_insurer", insurer="太平洋人寿", days=3, owner="chen.jie")
    await h.act(
        handle,
        "classify_policy",
        signed_personally=False,
        callback_compliant=True,
        insurer="太平洋人寿",
        days=5,
    )
    await h.act(handle, "correct_amount", amount="48000.00", reason="the invoice")
    await h.act(handle, "transfer", department="理赔部", requirements="re-assess", days=2)
    await h.act(handle, "complete_transfer", transfer="transfer-1", outcome="re-assessed")
    await h.act(handle, "flag_customer", flags=["group_risk"])
    await h.act(handle, "record_early_signs", detail="a crowd at the outlet", people_count=3)
    await h.act(handle, "report_crisis", level="early_signs", summary="crowd forming")
    await h.act(handle, "record_police_contact", police="陆家嘴派出所")
    await h.act(handle, "record_group_event", **SUPERVISOR, commander="zhou.hq", people_count=8)
    await h.act(
        handle, "report_crisis", level="superior", summary="group event", attachments=["photo-1"]
    )
    await h.act(handle, "report_crisis", level="headquarters", summary="group event")
    await h.act(
        handle, "report_crisis", level="regulator", summary="group event", to="上海银保监局"
    )
    await h.act(handle, "record_conduct", **SUPERVISOR, person="li.na", kind="unauthorised_promise")
    today = (await h.now()).date()
    await h.act(
        handle,
        "announce_closure",
        actor="admin.chen",
        role="admin",
        closure_key="typhoon-1",
        first_day=(today + timedelta(days=1)).isoformat(),
        last_day=(today + timedelta(days=1)).isoformat(),
        reason="typhoon",
    )
    await h.sleep(timedelta(days=1))
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    await save(handle, f"bank_outlet_crisis-{release}.json")


async def regraded_after_breach(h: Harness, release: str) -> None:
    """Rules 4: a general complaint's contact overdue (breach, reminders), then a crisis makes
    it major: its contact deadline moves earlier and is not breached again; then contacted,
    the crisis reported, and withdrawn."""
    handle = await h.start(channel="hotline", complaint_id=f"regraded_after_breach-{release}")
    contact = (await h.state(handle)).clock("stage:contact")
    assert contact is not None
    await h.sleep_until(contact.due_at + timedelta(minutes=30))
    await h.act(handle, "escalate_crisis", **SUPERVISOR, reasons=["media called"], people_count=1)
    await h.sleep(timedelta(hours=2))
    state = await h.act(handle, "record_contact")
    assert [b.clock for b in state.breaches].count("stage:contact") == 1
    await h.act(handle, "report_crisis", level="superior", summary="s")
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    await save(handle, f"regraded_after_breach-{release}.json")


async def calendar_entered(h: Harness, release: str) -> None:
    """Rules 5 (R-SLA-11): filed on 2026-12-30 with 2027 unpublished (provisional deadlines),
    checked daily (timers); the 2027 arrangement entered meanwhile; the next check re-plans the
    investigation and the regulatory limit; then handled to the end and withdrawn. Record it
    alone (it moves the server's clock to the year's end): `... rules-5 calendar_entered`."""
    from zoneinfo import ZoneInfo

    from activities.calendar_years import apply_entered
    from ledger import calendar as entered
    from tests.unit.test_arrangements import MADE_UP_2027

    h.policy.snapshot = HandlingPolicy(calendar=test_calendar(known_years=(2026,)), sla=SlaPolicy())
    await h.sleep_until(datetime(2026, 12, 30, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    handle = await h.start(
        channel="hotline", grade="major", complaint_id=f"calendar_entered-{release}"
    )
    await h.act(handle, "record_contact")
    await h.sleep(timedelta(days=1))  # a daily check: not published yet
    since = datetime.now(UTC) - timedelta(days=1)
    await entered.add_version(h.pool, 2027, since, MADE_UP_2027, "test notice", "admin.chen")
    assert (
        2027
        in (
            await apply_entered(
                h.pool, test_calendar(known_years=(2026,)), [2027], datetime.now(UTC)
            )
        ).known_years
    )
    await h.sleep(timedelta(days=1))  # the next check re-plans
    state = await h.state(handle)
    assert any("moved from" in e.detail for e in state.timeline), state.timeline[-5:]
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    await save(handle, f"calendar_entered-{release}.json")


async def action_input_rules(h: Harness, release: str) -> None:
    """Rules 5: signals (the Web UI's way) whose text holds a control character or is blank
    are refused naming the field; the same action typed cleanly is taken (CR LF kept as LF);
    then withdrawn."""
    handle = await h.start(channel="hotline", complaint_id=f"action_input_rules-{release}")
    await h.act(handle, "record_contact")
    await h.signal(
        handle, "submit_investigation", findings="late\x1b[2J", proposed_resolution="pay"
    )
    await h.signal(handle, "submit_investigation", findings="  ", proposed_resolution="pay")
    await h.act(
        handle,
        "submit_investigation",
        findings="filed late\r\nthen paid",
        proposed_resolution="pay",
    )
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    await save(handle, f"action_input_rules-{release}.json")


async def cancel_requested(h: Harness, release: str) -> None:
    """Rules 5: a request id reused by another sender (refused), a supervisor's seal for the
    resolution sent as the extension decision (refused), a cancellation request (recorded, the
    supervisor told, the case keeps running), then resolved and the review window run out."""
    handle = await h.start(channel="hotline", complaint_id=f"cancel_requested-{release}")
    await h.act(handle, "reassign", owner="zhao.min", request_id="ra-1")
    await h.act(handle, "reassign", owner="zhao.min", request_id="ra-1")  # a repeat: a no-op
    reason = await h.refusal(handle, "reassign", **SUPERVISOR, owner="chen.jie", request_id="ra-1")
    assert "already taken" in reason
    await h.act(handle, "record_contact", actor="zhao.min")
    await h.act(
        handle, "submit_investigation", actor="zhao.min", findings="f", proposed_resolution="r"
    )
    due = (await h.state(handle)).clocks[-1].due_at
    await h.act(
        handle,
        "request_extension",
        actor="zhao.min",
        new_due_at=(due + timedelta(days=1)).isoformat(),
        reason="committee",
    )
    sealed = await h.sealed_raw(
        handle,
        {**SUPERVISOR, "approved": True},
        actor="wang.qiang",
        roles=["supervisor"],
        action="decide_resolution",
    )
    await handle.signal("decide_extension", sealed)
    await handle.cancel(reason="tidying up")

    async def recorded() -> bool:
        return any(e.action == "cancel" for e in (await h.state(handle)).timeline)

    await eventually(recorded, what="the cancellation request on the timeline")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", actor="zhao.min", result="paid")
    await h.act(handle, "record_callback", actor="zhao.min", satisfied=True)
    await handle.result()
    await save(handle, f"cancel_requested-{release}.json")


async def crisis_chain(h: Harness, release: str) -> None:
    """Rules 5 (R-CR-9, R-AN-8): the development directory entered; a bank-outlet crisis at one
    of its outlets: the notice to report within the hour reaches the outlet's contact, the
    superior's report the levels above it, the headquarters report the head office's contacts;
    then handled, closed with a root cause, and withdrawn after the callback was asked."""
    from launcher.dev import seed_contacts

    await seed_contacts(h.pool)
    handle = await h.start(
        channel="bank_outlet",
        complaint_id=f"crisis_chain-{release}",
        branch="Nanjing Gulou",
        bank_outlet={"bank": "中国邮政储蓄银行", "outlet": "南京新街口支行"},
        crisis={"people_count": 6, "outlet_disrupted": True},
        department_head="chen.jing",  # R-ST-8: takes part in the collective decision
    )
    await h.act(handle, "report_crisis", level="superior", summary="six at the counter")
    await h.act(handle, "report_crisis", level="headquarters", summary="handling opinion")
    await h.act(handle, "report_crisis", level="regulator", summary="opinion", to="江苏监管局")
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    await h.act(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=["wang.qiang", "chen.jing"],
    )
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid", root_cause="sales_misselling")
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    await save(handle, f"crisis_chain-{release}.json")


async def escalation_duties(h: Harness, release: str) -> None:
    """Rules 5 (R-GR-4, R-ST-9, R-ST-8): the media come in by a repeat (graded major, a crisis
    put to the supervisor), the decision clock breaches, the supervisor declines with a
    reason; reassigned, the contact overdue tells the first receiver; the department head is
    named and takes part in the collective approval; closed, then withdrawn."""
    handle = await h.start(channel="hotline", complaint_id=f"escalation_duties-{release}")
    state = await h.act(handle, "record_repeat", channel="media")
    decision = state.clock("decision:crisis")
    assert decision is not None and state.grade.value == "major"
    await h.sleep_until(decision.due_at + timedelta(hours=1))
    await h.act(handle, "decline_crisis", **SUPERVISOR, reason="one call, no story ran")
    state = await h.act(handle, "reassign", owner="zhao.min")
    contact = state.clock("stage:contact")
    assert contact is not None
    await h.sleep_until(contact.due_at + timedelta(hours=6))
    await h.act(handle, "record_contact", actor="zhao.min")
    await h.act(
        handle, "submit_investigation", actor="zhao.min", findings="f", proposed_resolution="r"
    )
    await h.act(handle, "name_department_head", **SUPERVISOR, head="sun.hao")
    await h.signal(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min"],
    )  # refused: R-ST-8
    await h.act(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=["wang.qiang", "sun.hao"],
    )
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", actor="zhao.min", result="paid")
    await h.act(handle, "withdraw", actor="zhao.min", reason="settled")
    await handle.result()
    await save(handle, f"escalation_duties-{release}.json")


async def branch_code(h: Harness, release: str) -> None:
    """Rules 5: a branch whose name holds a space (`Shanghai Pudong`) also gets the search
    attribute ComplaintBranchCode (`shanghai-pudong`) at intake; a supervisor's action signalled
    by a handler (refused: the details panel names it), then contacted and withdrawn."""
    handle = await h.start(
        channel="hotline", complaint_id=f"branch_code-{release}", branch="Shanghai Pudong"
    )
    await h.signal(handle, "expedite", minutes=120)
    await eventually(lambda: _refused(h, handle), what="the refusal on the timeline")
    await h.act(handle, "record_contact")
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    assert await search_attribute(h.client, handle.id, BRANCH_CODE.name) == "shanghai-pudong"
    await save(handle, f"branch_code-{release}.json")


async def search_attribute(client: Client, workflow_id: str, name: str) -> Any:
    """One search attribute of a workflow, as the server holds it (None: unset)."""
    # The raw call: `describe()` parses every attribute, and the time-skipping server answers
    # an unset datetime in a form the SDK cannot parse.
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    fields = described.workflow_execution_info.search_attributes.indexed_fields
    if name not in fields:
        return None
    return json.loads(fields[name].data)


async def _refused(h: Harness, handle: WorkflowHandle[Any, Any]) -> bool:
    return any(e.kind == "refused" for e in (await h.state(handle)).timeline)


async def customer_duties(h: Harness, release: str) -> None:
    """Rules 5 (R-CU-1, R-CU-5, R-CU-6): a complaint about sun.li; reassigning and transferring
    it to sun.li refused; conduct recorded against sun.li (who apologises) and chen.jie (who
    does not); closed with reasons and an amount: the decision notice to the customer, the
    supervisor told of chen.jie's apology owed; the callback satisfied and the review window
    run out."""
    handle = await h.start(
        channel="hotline",
        complaint_id=f"customer_duties-{release}",
        staff_complained_about=["sun.li"],
    )
    assert "R-CU-6" in await h.refusal(handle, "reassign", owner="sun.li")
    assert "R-CU-6" in await h.refusal(
        handle, "transfer", department="理赔部", owner="sun.li", requirements="re-assess", days=2
    )
    await h.act(handle, "record_contact")
    await h.act(
        handle, "record_conduct", **SUPERVISOR, person="sun.li", kind="unauthorised_promise"
    )
    await h.act(handle, "record_conduct", **SUPERVISOR, person="chen.jie", kind="disclosure")
    await h.act(handle, "record_apology", person="sun.li", method="phone")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid", reasons="covered", amount="8200.00")
    await h.act(handle, "record_callback", satisfied=True)
    await handle.result()
    await save(handle, f"customer_duties-{release}.json")


async def customer_told(h: Harness, release: str) -> None:
    """Rules 5 (R-CU-4, R-CU-2): a bank-outlet complaint reassigned before contact (nothing
    told), contacted, handed to the insurer and reported back with its opinion (told), its
    policy classed flawed, referred and reported back (told), reassigned and transferred to new
    owners (told each), to the same owner (nothing), closed, the callback satisfied and the
    review window run out."""
    handle = await h.start(
        channel="bank_outlet",
        complaint_id=f"customer_told-{release}",
        bank_outlet={"bank": "工商银行", "outlet": "陆家嘴支行"},
    )
    await h.act(handle, "reassign", owner="zhao.min")
    await h.act(handle, "record_contact", actor="zhao.min")
    await h.act(handle, "transfer_to_insurer", insurer="太平洋人寿", days=3, owner="chen.jie")
    await h.act(
        handle,
        "complete_transfer",
        transfer="outlet-1",
        outcome="the outlet's file was incomplete",
        opinion="保单有效，同意为您办理保单更正",
    )
    await h.act(
        handle,
        "classify_policy",
        signed_personally=False,
        callback_compliant=True,
        insurer="太平洋人寿",
        days=5,
    )
    await h.act(handle, "complete_transfer", transfer="referral-1", outcome="更正已完成")
    await h.act(handle, "reassign", owner="sun.li", department="理赔部")
    await h.act(handle, "reassign", owner="sun.li")
    await h.act(
        handle, "transfer", department="核保部", owner="zhou.yu", requirements="复核", days=2
    )
    await h.act(handle, "complete_transfer", transfer="transfer-1", outcome="复核完成")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="保单已更正")
    await h.act(handle, "record_callback", satisfied=True)
    await handle.result()
    await save(handle, f"customer_told-{release}.json")


async def staff_duties(h: Harness, release: str) -> None:
    """Rules 5 (R-ST-1, R-GR-4, R-ST-8): the development directory entered; a hard case's
    written report reaches the supervisor, the head office's contacts and the department named;
    a government body's contact is recorded (graded major, a crisis put to the supervisor, who
    declines it); the approval is refused until the department head is named, then taken with
    them; withdrawn."""
    from launcher.dev import seed_contacts

    await seed_contacts(h.pool)
    handle = await h.start(channel="hotline", complaint_id=f"staff_duties-{release}")
    await h.act(handle, "record_contact")
    await h.act(
        handle,
        "submit_investigation",
        findings="f",
        proposed_resolution="r",
        difficulty="coverage",
        report_to="claims.tech",
    )
    state = await h.act(
        handle, "record_outside_contact", body="government", note="The letters office called."
    )
    assert state.grade.value == "major"
    await h.act(handle, "decline_crisis", **SUPERVISOR, reason="A forwarded letter.")
    approval = {"approved": True, "collective": True, "participants": ["wang.qiang", "sun.hao"]}
    await h.signal(handle, "decide_resolution", **SUPERVISOR, **approval)  # refused: R-ST-8
    await h.act(handle, "name_department_head", **SUPERVISOR, head="sun.hao")
    await h.act(handle, "decide_resolution", **SUPERVISOR, **approval)
    await h.act(handle, "withdraw", reason="settled")
    await handle.result()
    await save(handle, f"staff_duties-{release}.json")


async def customer_response(h: Harness, release: str) -> None:
    """Rules 5 (R-CU-3): an approved resolution put to the customer; closing refused while
    their answer is awaited; they reject it with objections (back to investigation); approved
    again, no answer within 2 working days (the clock lapses by its timer); closed, the
    callback satisfied and the review window run out."""
    handle = await h.start(channel="hotline", complaint_id=f"customer_response-{release}")
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay 500")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    assert "R-CU-3" in await h.refusal(handle, "close_case", result="paid")
    await h.act(handle, "record_customer_response", response="rejects", objections="too little")
    await h.act(handle, "submit_investigation", findings="f2", proposed_resolution="pay 900")
    state = await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    asked = state.clock("customer:response")
    assert asked is not None
    await h.sleep_until(asked.due_at)
    await h.act(handle, "close_case", result="paid 900")
    await h.act(handle, "record_callback", satisfied=True)
    await handle.result()
    await save(handle, f"customer_response-{release}.json")


async def crisis_duties(h: Harness, release: str) -> None:
    """Rules 5 (R-CR-10, R-CR-11, R-CR-12): a crisis at a bank outlet; soothing fails, the
    insurer's person is called on site and arrives late (the clock breaches and chases); a
    media report warns the crisis group; the outlet hands the case to the insurer's person;
    handled with the department head, the customer accepts, closed, called back; the review
    after the crisis is recorded and the case ends with its review window."""
    handle = await h.start(
        channel="bank_outlet",
        complaint_id=f"crisis_duties-{release}",
        bank_outlet={"bank": "中国工商银行", "outlet": "陆家嘴支行"},
        crisis={"people_count": 6, "outlet_disrupted": True},
        department_head="sun.hao",
    )
    state = await h.act(
        handle, "call_insurer_on_site", person="chen.jie", soothing="the script read twice"
    )
    called = state.clock("onsite:insurer")
    assert called is not None
    await h.sleep_until(called.due_at + timedelta(minutes=10))
    await h.act(handle, "insurer_on_site")
    await h.act(handle, "record_media_report", media="新民晚报", detail="page 7")
    await h.act(handle, "transfer_to_insurer", insurer="太平洋人寿", days=3, owner="chen.jie")
    await h.act(handle, "record_contact", actor="chen.jie")
    await h.act(
        handle, "submit_investigation", actor="chen.jie", findings="f", proposed_resolution="r"
    )
    approval = {"approved": True, "collective": True, "participants": ["wang.qiang", "sun.hao"]}
    await h.act(handle, "decide_resolution", **SUPERVISOR, **approval)
    await h.act(handle, "record_customer_response", actor="chen.jie", response="accepts")
    await h.act(handle, "close_case", actor="chen.jie", result="paid")
    await h.act(handle, "record_callback", actor="chen.jie", satisfied=True)
    await h.act(
        handle,
        "record_crisis_review",
        **SUPERVISOR,
        causes="a sales script that overstated the returns",
        what_was_done="refunds, an apology at the outlet",
        screening_changes="returns questions screened at the counter",
    )
    await handle.result()
    await save(handle, f"crisis_duties-{release}.json")


CASES = [
    general_full_life,
    crisis_withdrawn,
    continued_run,
    bank_outlet_crisis,
    regraded_after_breach,
    calendar_entered,
    action_input_rules,
    cancel_requested,
    crisis_chain,
    branch_code,
    customer_duties,
    escalation_duties,
    customer_told,
    staff_duties,
    customer_response,
    crisis_duties,
]


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
