"""The complaint ledger in a real PostgreSQL (R-IN-2, R-IN-3, R-ST-7, R-SLA-4), idempotent
writes, and durable notifications delivered to a real SMTP server."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerActivities
from domain.calendar import add_working_hours, next_working_instant
from domain.ledger_records import LedgerRecord
from domain.notice_models import Notification
from domain.state import ComplaintState
from domain.vocabulary import Stage
from infra.mailsink import MailSink
from notices.channels import Channels, ChannelSettings
from tests.harness import Harness, eventually
from workers import build_worker

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
COLLECTIVE = ["wang.qiang", "zhao.min"]  # R-ST-2: who took part in a collective decision


async def ledger_timeline(pool: asyncpg.Pool, complaint_id: str) -> list[tuple[object, ...]]:
    rows = await pool.fetch(
        "SELECT seq, at, kind, actor, action, detail, request_id FROM complaint_events"
        " WHERE complaint_id = $1 ORDER BY seq",
        complaint_id,
    )
    return [tuple(r) for r in rows]


def workflow_timeline(state: ComplaintState) -> list[tuple[object, ...]]:
    return [
        (e.seq, e.at, e.kind, e.actor, e.action, e.detail, e.request_id) for e in state.timeline
    ]


async def test_r_in_2_complaint_is_in_the_ledger_before_the_customer_is_told(
    harness: Harness,
) -> None:
    h = harness
    seen_at_ack: list[asyncpg.Record | None] = []

    async def check(notice: Notification) -> None:
        if notice.kind.value == "acknowledgement":
            seen_at_ack.append(
                await h.pool.fetchrow(
                    "SELECT customer_name, customer_phone, matter, owner, stage FROM complaints"
                    " WHERE complaint_id = $1",
                    notice.complaint_id,
                )
            )

    h.notifier.before_send.append(check)
    await h.start()
    await h.notifier.wait_for("acknowledgement")
    row = seen_at_ack[0]
    assert row is not None, "the acknowledgement went out before the ledger had the complaint"
    # R-IN-2 / R-IN-3: everything a ledger row needs, with a named owner.
    assert row["customer_name"] == "张伟" and row["customer_phone"] == "13812345678"
    assert row["owner"] == "li.na" and row["stage"] == "contact" and row["matter"]
    # ... and the acknowledgement was queued by the very transaction that recorded the intake
    # (now() is the transaction's start time): had it failed, there would be nothing to send.
    recorded = await h.pool.fetchval("SELECT updated_at FROM complaints")
    queued = await h.pool.fetchval(
        "SELECT created_at FROM notifications WHERE kind = 'acknowledgement'"
    )
    assert recorded is not None and recorded == queued


async def test_r_st_7_ledger_timeline_equals_the_workflows_after_a_full_life(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(grade="major", department_head="zhao.min")  # R-ST-8
    state = await h.state(handle)
    contact = state.clock("stage:contact")
    assert contact is not None
    await h.sleep_until(next_working_instant(h.policy.snapshot.calendar, contact.due_at))
    await h.act(handle, "record_contact", request_id="c-1")
    await h.act(handle, "record_contact", request_id="c-1")  # a retried request: no-op
    state = await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    await h.refusal(handle, "close_case", result="too early")  # refused: on the timeline too
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=False, reason="more proof")
    await h.act(
        handle,
        "request_extension",
        reason="appraisal",
        new_due_at=(state.received_at + timedelta(days=9)).isoformat(),
    )
    await h.act(handle, "decide_extension", **SUPERVISOR, approved=True)
    await h.act(handle, "submit_investigation", findings="f2", proposed_resolution="r2")
    await h.act(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=COLLECTIVE,
    )
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid")
    await h.act(handle, "record_callback", satisfied=False)
    await h.act(handle, "submit_investigation", findings="f3", proposed_resolution="r3")
    await h.act(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=COLLECTIVE,
    )
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid more")
    await h.act(handle, "record_callback", satisfied=True)
    final: ComplaintState = await handle.result()

    cid = final.complaint_id
    assert await ledger_timeline(h.pool, cid) == workflow_timeline(final)
    row = await h.pool.fetchrow("SELECT * FROM complaints WHERE complaint_id = $1", cid)
    assert row is not None
    assert (row["stage"], row["outcome"], row["grade"], row["reopen_count"]) == (
        "closed",
        "resolved",
        "major",
        1,
    )
    assert row["last_event_seq"] == final.timeline[-1].seq and row["closed_at"] is not None
    breaches = await h.pool.fetch("SELECT clock_key FROM sla_breaches WHERE complaint_id = $1", cid)
    assert [b["clock_key"] for b in breaches] == [b.clock for b in final.breaches]
    assert "stage:contact" in [b["clock_key"] for b in breaches]
    clocks = await h.pool.fetch(
        "SELECT clock_key, due_at, met_at FROM sla_clocks WHERE complaint_id = $1", cid
    )
    assert len(clocks) == len(final.finished_clocks) + len(final.clocks)
    assert all(c["met_at"] is not None for c in clocks)
    extension = await h.pool.fetchrow("SELECT * FROM extensions WHERE complaint_id = $1", cid)
    assert extension is not None and extension["approved"] is True


async def test_ledger_write_repeated_by_a_retry_changes_nothing(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    state = await h.state(handle)
    intake = await h.intake(complaint_id=state.complaint_id, received_at=state.received_at)
    record = LedgerRecord(workflow_id=handle.id, intake=intake, state=state)
    activity = LedgerActivities(h.pool).record
    env = ActivityEnvironment()

    async def snapshot() -> list[object]:
        tables = ("complaint_events", "sla_clocks", "sla_breaches", "extensions")
        rows: list[object] = [
            await h.pool.fetch(f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables
        ]
        rows.append(await h.pool.fetchrow("SELECT stage, last_event_seq, owner FROM complaints"))
        return rows

    before = await snapshot()
    await env.run(activity, record)
    await env.run(activity, record)  # the retry
    assert await snapshot() == before

    # A late retry of an older record never rolls the case back.
    older = state.model_copy(update={"stage": Stage.CONTACT, "timeline": state.timeline[:2]})
    await env.run(activity, record.model_copy(update={"state": older}))
    row = await h.pool.fetchrow("SELECT stage, last_event_seq FROM complaints")
    assert row is not None and row["stage"] == "investigate"
    assert row["last_event_seq"] == state.timeline[-1].seq


async def test_a_retried_workflow_tasks_record_replaces_what_its_failed_attempt_wrote(
    harness: Harness,
) -> None:
    """A local activity writes inside a workflow task; a task that fails afterwards (a worker
    killed, a signal arriving as a run continues as new) is retried with other entries at the
    same seq. The later version wins, whichever commits last; a notice already sent stays."""
    h = harness
    handle = await h.start()
    state = await h.act(handle, "record_contact")
    full = await h.state(handle)
    intake = await h.intake(complaint_id=full.complaint_id, received_at=full.received_at)
    activity = LedgerActivities(h.pool).record
    env = ActivityEnvironment()
    last = full.timeline[-1]
    cid = full.complaint_id

    def attempt(version: int, detail: str, body: str) -> LedgerRecord:
        entry = last.model_copy(update={"seq": last.seq + 1, "detail": detail})
        notice = Notification(
            key=f"{handle.id}:n99",
            complaint_id=cid,
            kind="reminder",
            recipient_role="owner",
            recipient="li.na",
            channels=["email"],
            subject="s",
            body=body,
        )
        s = full.model_copy(update={"timeline": [entry]})
        return LedgerRecord(
            workflow_id=handle.id, version=version, intake=intake, state=s, notices=[notice]
        )

    async def written() -> tuple[str, str]:
        detail = await h.pool.fetchval(
            "SELECT detail FROM complaint_events WHERE complaint_id = $1 AND seq = $2",
            cid,
            last.seq + 1,
        )
        body = await h.pool.fetchval(
            "SELECT body FROM notifications WHERE notice_key = $1", f"{handle.id}:n99"
        )
        return detail, body

    async def tried() -> bool:
        return bool(
            await h.pool.fetchval(
                "SELECT attempts > 0 OR status <> 'pending' FROM notifications"
                " WHERE notice_key = $1",
                f"{handle.id}:n99",
            )
        )

    await env.run(activity, attempt(100, "the failed attempt's entry", "failed attempt"))
    await env.run(activity, attempt(200, "the retry's entry", "retry"))
    detail, body = await written()
    assert detail == "the retry's entry"
    # The retry's notice, unless the relay already took the failed attempt's (it stays: what
    # went out is what the ledger says).
    assert body == "retry" or (body == "failed attempt" and await tried()), body
    await env.run(activity, attempt(100, "the failed attempt's entry", "failed attempt"))
    assert await written() == ("the retry's entry", body)  # a late stale write never wins
    # A notice already tried is not rewritten: what went out stays what the ledger says.
    await h.pool.execute("UPDATE notifications SET attempts = 1 WHERE notice_key LIKE '%:n99'")
    await env.run(activity, attempt(300, "a third", "third"))
    assert await written() == ("a third", body)
    assert state.stage is Stage.INVESTIGATE


async def test_r_sla_4_breach_in_ledger_and_reminder_delivered_by_email_through_the_outbox(
    bare_harness: Harness, tmp_path: Path
) -> None:
    h = bare_harness
    sink = MailSink(tmp_path / "mail", port=0)
    sink.start()
    channels = Channels(ChannelSettings(smtp_host="127.0.0.1", smtp_port=sink.port))
    queue = f"outbox-{uuid.uuid4().hex[:6]}"
    worker = build_worker(
        h.env.client,
        pool=h.pool,
        task_queue=queue,
        sender=channels,
        policy_source=h.policy,
    )
    try:
        async with worker:
            h.task_queue = queue
            handle = await h.start()
            state = await h.state(handle)
            clock = state.clock("stage:contact")
            assert clock is not None
            cal = h.policy.snapshot.calendar
            first = next_working_instant(cal, clock.due_at)
            await h.sleep_until(add_working_hours(cal, first, 1).at)
            breach = await h.pool.fetchrow("SELECT * FROM sla_breaches")
            assert breach is not None and breach["clock_key"] == "stage:contact"
            rows = await _wait_for_rows(h.pool, "reminder", "email")
            await _wait_for_rows(h.pool, "escalation", "email")  # delivered side by side
    finally:
        await channels.aclose()
        sink.stop()
    assert rows[0]["status"] == "delivered" and rows[0]["delivered_at"] is not None
    assert rows[0]["attempts"] == 1
    mails = sorted((str(m["To"]), str(m["Subject"])) for m in sink.messages())
    overdue = [(to, subject.split(":")[0]) for to, subject in mails if "Overdue" in subject]
    assert overdue == [
        ("li.na@staff.local", "Overdue"),  # the owner is reminded
        ("wang.qiang@staff.local", "Overdue in your team"),  # the supervisor is told, once
    ]
    # SMS has no gateway configured in this test: recorded, not silently dropped.
    sms = await h.pool.fetchrow(
        "SELECT status, provider_id FROM notifications WHERE kind = 'reminder' AND channel = 'sms'"
    )
    assert sms is not None and sms["status"] == "skipped"


async def _wait_for_rows(pool: asyncpg.Pool, kind: str, channel: str) -> list[asyncpg.Record]:
    query = "SELECT * FROM notifications WHERE kind = $1 AND channel = $2 AND status <> 'pending'"
    rows: list[asyncpg.Record] = await eventually(
        lambda: pool.fetch(query, kind, channel), what=f"{kind} by {channel}"
    )
    return rows
