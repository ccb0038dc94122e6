"""R-SLA-11 through the real app, a real worker on the time-skipping server and a real
PostgreSQL: an administrator enters next year's arrangement; a running case with provisional
deadlines re-plans at its next daily check; new cases use it at once; the library catching up
is compared and reported, never applied."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from temporalio.worker import Replayer

from activities.calendar_years import apply_entered, report_library_catch_up
from api.app import create_app
from api.auth import create_key
from domain.case import CALENDAR_CHECK_EVERY
from domain.sla import HandlingPolicy, SlaPolicy
from domain.vocabulary import Role
from infra import metrics
from reports.render import render_html
from reports.statistics import monthly_report
from tests.harness import TEST_CONVERTER, Harness, eventually, test_calendar
from tests.integration.test_api import Api
from tests.unit.test_arrangements import MADE_UP_2027
from workers import WORKFLOWS

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    pool = harness.pool
    keys = {
        "admin": await create_key(pool, "admin.chen", [Role.ADMIN]),
        "branch_admin": await create_key(
            pool, "admin.pudong", [Role.ADMIN], branches=["Shanghai Pudong"]
        ),
        "supervisor": await create_key(pool, "wang.qiang", [Role.SUPERVISOR]),
        "handler": await create_key(pool, "li.na", [Role.HANDLER]),
        "auditor": await create_key(pool, "audit", [Role.AUDITOR]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


def entry(arrangement: dict[str, Any] | None = None, **change: Any) -> dict[str, Any]:
    body = {k: v for k, v in (arrangement or MADE_UP_2027).items() if k != "year"}
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    reason = "the State Council's notice for 2027"
    return {"effective_from": since, "reason": reason, "arrangement": body} | change


async def test_r_sla_11_r_sla_3_a_running_case_re_plans_past_the_entered_holidays(
    api: Api, harness: Harness
) -> None:
    """Filed on 2026-12-30 (2027 not published: provisional), the 2027 arrangement entered
    while it runs: at its next check, within a day, the investigation's deadline moves past the
    entered holidays and counts the entered make-up Saturday, the regulatory limit's last day
    (an entered holiday) moves to the next working day, each move on the timeline with its
    basis; a new case uses the arrangement at once; the history replays."""
    h = harness
    h.policy.snapshot = HandlingPolicy(calendar=test_calendar(known_years=(2026,)), sla=SlaPolicy())
    await h.sleep_until(datetime(2026, 12, 30, 9, 30, tzinfo=SH))
    handle = await h.start(grade="major")
    await h.act(handle, "record_contact", method="phone")
    state = await h.state(handle)
    investigate, regulatory = state.clock("stage:investigate"), state.clock("regulatory")
    assert investigate is not None and investigate.provisional
    assert investigate.due_at == datetime(2027, 1, 6, 18, tzinfo=SH)  # weekdays only
    assert regulatory is not None and regulatory.provisional
    # The case view and the monthly report mark the provisional deadline as such.
    cid = state.complaint_id
    seen = (await api.get(f"/v1/complaints/{cid}", who="handler")).json()
    assert seen["stage_due_provisional"] is True
    assert [c["provisional"] for c in seen["clocks"] if c["key"] == "stage:investigate"] == [True]
    await eventually(
        lambda: h.pool.fetchval(
            "SELECT provisional FROM sla_clocks WHERE clock_key = 'stage:investigate'"
        ),
        what="the investigation's clock in the ledger",
    )
    sla = {s.stage: s for s in (await monthly_report(h.pool, "2026-12")).sla}
    assert sla["investigate"].provisional == 1 and sla["contact"].provisional == 0
    assert "open, provisional deadline" in render_html(await monthly_report(h.pool, "2026-12"))

    r = await api.post("/v1/calendar/2027", entry(), who="admin")
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    on = r.json()["changed_at"][:10]

    await h.sleep(CALENDAR_CHECK_EVERY)  # the next check is at most a day away
    state = await h.state(handle)
    moved = state.clock("stage:investigate")
    assert moved is not None and not moved.provisional
    # Dec 31, then Jan 7, 8, Saturday 9 (entered make-up day), Monday 11.
    assert moved.due_at == datetime(2027, 1, 11, 18, tzinfo=SH)
    assert date(2027, 1, 9) in moved.makeup_workdays
    basis = (
        f"2027 arrangement entered by admin.chen on {on} (test notice 2027-1; version {version})"
    )
    assert basis in moved.basis
    reg = state.clock("regulatory")
    assert reg is not None and reg.due_at == datetime(2027, 1, 19, tzinfo=SH)
    moves = [e.detail for e in state.timeline if e.kind == "clock" and "moved from" in e.detail]
    assert len(moves) == 2 and all(basis in m and "R-SLA-11" in m for m in moves), moves
    stage_move = f"{investigate.label} moved from 2027-01-06T18:00:00+08:00 to 2027-01-11T18"
    assert any(m.startswith(stage_move) for m in moves), moves
    seen = (await api.get(f"/v1/complaints/{cid}", who="handler")).json()
    assert seen["stage_due_provisional"] is False

    # A new case uses the arrangement at once: nothing provisional, nothing to re-plan.
    fresh = await h.state(await h.start(grade="major"))
    assert all(not c.provisional for c in fresh.clocks)
    reg_new = fresh.clock("regulatory")
    assert reg_new is not None and basis in reg_new.basis

    await handle.terminate("replay check")
    await Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER).replay_workflow(
        await handle.fetch_history()
    )


async def test_r_sla_11_bad_or_unauthorised_arrangements_are_refused(api: Api) -> None:
    bad = dict(MADE_UP_2027)
    bad["festivals"] = [MADE_UP_2027["festivals"][0] | {"makeup_workdays": ["2027-01-12"]}]
    r = await api.post("/v1/calendar/2027", entry(bad), who="admin")
    assert r.status_code == 422
    assert "2027-01-12 (Tue) is a weekday" in r.json()["detail"], r.text
    r = await api.post("/v1/calendar/2028", entry(), who="admin")  # 2027's days under 2028
    assert r.status_code == 422 and "is not in 2028" in r.json()["detail"]
    r = await api.post("/v1/calendar/2027", entry() | {"arrangement": {"notice": "x"}}, who="admin")
    assert r.status_code == 422 and "festivals" in r.json()["detail"]
    denied = await api.post("/v1/calendar/2027", entry(), who="supervisor")
    assert denied.status_code == 403 and "admin" in denied.json()["detail"]
    scoped = await api.post("/v1/calendar/2027", entry(), who="branch_admin")
    assert scoped.status_code == 403 and "a key for every branch" in scoped.json()["detail"]
    assert (
        await api.post(
            "/v1/calendar/2027/library",
            {"effective_from": datetime.now(UTC).isoformat(), "reason": "x"},
            who="admin",
        )
    ).status_code == 409
    view = (await api.get("/v1/calendar", who="auditor")).json()
    assert view["versions"] == []  # nothing refused was stored


async def test_r_sla_11_a_correction_is_a_new_version_and_years_are_shown(
    api: Api, harness: Harness
) -> None:
    assert (await api.post("/v1/calendar/2027", entry(), who="admin")).status_code == 201
    corrected = dict(MADE_UP_2027)
    corrected["festivals"] = [MADE_UP_2027["festivals"][0]]
    r = await api.post(
        "/v1/calendar/2027", entry(corrected, reason="memorial day withdrawn"), who="admin"
    )
    assert r.status_code == 201
    view = (await api.get("/v1/calendar", who="supervisor")).json()
    assert [v["reason"] for v in view["versions"]] == [
        "the State Council's notice for 2027",
        "memorial day withdrawn",
    ]
    years = {y["year"]: y for y in view["years"]}
    assert years[2026]["status"] == "official"
    assert years[2027]["status"] == "entered" and years[2027]["version"] == r.json()["version"]
    assert years[2028]["status"] == "provisional"
    cal = await apply_entered(
        harness.pool, test_calendar(known_years=(2026,)), [2027], datetime.now(UTC)
    )
    assert date(2027, 1, 14) not in cal.holidays and date(2027, 1, 1) in cal.holidays


async def test_r_sla_11_the_library_catching_up_is_reported_and_never_applied(
    api: Api, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """2026 is in the installed library; an administrator entered it by hand with one day
    different. At start-up the difference is logged, counted and shown; the entered one stays
    in force until the administrator puts the library's back."""
    from tests.unit.test_arrangements import library_arrangement

    by_hand = library_arrangement(2026)
    new_year = next(f for f in by_hand["festivals"] if f["name"] == "New Year's Day")
    new_year["holidays"] = [d for d in new_year["holidays"] if d != date(2026, 1, 3)]
    as_json = [
        {k: [str(d) for d in v] if isinstance(v, list) else v for k, v in f.items()}
        for f in by_hand["festivals"]
    ]
    body = entry({**by_hand, "notice": "国办发明电〔2025〕x号", "festivals": as_json})
    r = await api.post("/v1/calendar/2026", body, who="admin")
    assert r.status_code == 201, r.text

    statuses = await report_library_catch_up(harness.pool, datetime.now(UTC))
    y2026 = next(s for s in statuses if s.year == 2026)
    assert y2026.status == "entered"
    assert y2026.library_differences == [
        "2026-01-03 (Sat): a day off in the library, not as entered"
    ]
    scraped = metrics.exposition(metrics.API).decode()
    assert 'complaints_calendar_library_differences{year="2026"} 1.0' in scraped
    view = (await api.get("/v1/calendar", who="admin")).json()
    assert next(y for y in view["years"] if y["year"] == 2026)["library_differences"]
    # Still in force: the entered arrangement, not the library's.
    from domain.calendar_data import china_calendar

    cal = await apply_entered(harness.pool, china_calendar([2026]), [2026], datetime.now(UTC))
    assert date(2026, 1, 3) not in cal.holidays and 2026 in cal.entered
    # The administrator chooses the library's.
    back = await api.post(
        "/v1/calendar/2026/library",
        {
            "effective_from": datetime.now(UTC).isoformat(),
            "reason": "library 1.11 is right about 3 January",
        },
        who="admin",
    )
    assert back.status_code == 201, back.text
    cal = await apply_entered(harness.pool, china_calendar([2026]), [2026], datetime.now(UTC))
    assert date(2026, 1, 3) in cal.holidays and cal.entered == {}
    view = (await api.get("/v1/calendar", who="admin")).json()
    assert next(y for y in view["years"] if y["year"] == 2026)["status"] == "official"


async def calendar_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COMPLAINTS_LOG_FORMAT": "json"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.calendar",
        *args,
        cwd=Path(__file__).parents[2],
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_r_sla_11_the_command_enters_an_arrangement_and_refuses_a_bad_one(
    database: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    good = tmp_path / "2027.json"
    good.write_text(json.dumps(MADE_UP_2027))
    code, out, err = await calendar_cli(
        database, "enter", str(good), "--by", "admin.chen", "--reason", "the notice for 2027"
    )
    assert code == 0, err
    assert json.loads(out)["changed_by"] == "admin.chen"
    bad = tmp_path / "bad.json"
    wrong = dict(MADE_UP_2027)
    wrong["festivals"] = [MADE_UP_2027["festivals"][0] | {"holidays": ["2026-12-31"]}]
    bad.write_text(json.dumps(wrong))
    code, out, err = await calendar_cli(
        database, "enter", str(bad), "--by", "admin.chen", "--reason", "typo"
    )
    assert code == 2 and "2026-12-31 (Thu) is not in 2027" in err
    code, out, err = await calendar_cli(database, "show")
    assert code == 0, err
    years = {y["year"]: y["status"] for y in json.loads(out)["years"]}
    assert years[2027] == "entered" and years[2026] == "official"
    assert [v["reason"] for v in json.loads(out)["versions"]] == ["the notice for 2027"]
