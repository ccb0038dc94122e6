"""The complaint desk over HTTP (api/desk/, docs/desk.md): the real app, a real worker on the
time-skipping server and a real PostgreSQL; a browser's requests, cookies and forms.

Proves: no page without a signed-in person (a redirect to the sign-in page); the session
cookie holds no key in clear; a form without its CSRF token is 403 and changes nothing; a case
of another branch is a 404 page; the queue is the ledger's, by next deadline, bounded by the
person's branches; an action the role may not take is neither offered nor accepted; a field
error is shown beside the field with nothing sent; the case's refusal is shown in words; an
unmasked customer view is in the access log, a masked one is not.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from api.desk.available import available_actions
from api.desk.session import COOKIE, OIDC_HEADER
from api.oidc import OidcSettings, OidcVerifier
from domain.state import ComplaintState
from domain.vocabulary import Role
from tests.desk import AWAY, HOME, Desk, csrf_of, desk_world
from tests.integration.test_codec import Provider, provider  # noqa: F401 (the fixture)
from workflows import contract


@pytest.fixture(scope="module")
async def desk(pg_server: str, migrated_template: str) -> AsyncIterator[Desk]:
    async with desk_world(pg_server, migrated_template) as world:
        yield world


async def events(desk: Desk, cid: str) -> int:
    return len((await contract.state(desk.env.client, cid)).timeline)


async def test_every_desk_page_needs_a_signed_in_person(desk: Desk) -> None:
    """Without a session (or a key), every page redirects to the sign-in page, back here after."""
    cid = await desk.file()
    async with desk.client() as http:
        for path in (
            "/desk",
            "/desk/queue/mine",
            "/desk/queue/team",
            "/desk/dashboard",
            f"/desk/cases/{cid}",
            f"/desk/cases/{cid}/act/record_contact",
            "/desk/report",
        ):
            answer = await http.get(path, headers={"Accept": "text/html"})
            assert answer.status_code == 303, (path, answer.status_code)
            assert answer.headers["location"].startswith("/desk/login?next=%2Fdesk"), path
        login = await http.get("/desk/login")
        assert login.status_code == 200 and "API 密钥 API key" in login.text


async def test_the_session_cookie_is_sealed_httponly_and_strict(desk: Desk) -> None:
    async with desk.signed_in("li.na") as http:
        cookie = next(c for c in http.cookies.jar if c.name == COOKIE)
        assert cookie.value is not None
        secret = desk.keys["li.na"].split("_", 2)[2]
        assert secret not in cookie.value and "li.na" not in cookie.value
        assert cookie.has_nonstandard_attr("HttpOnly")
        page = await http.get("/desk/queue/mine")
        assert page.status_code == 200 and "li.na" in page.text
    # A cookie changed by one character opens to nothing: back to the sign-in page.
    async with desk.client() as forged:
        bad = cookie.value[:-2] + ("A" if cookie.value[-2] != "A" else "B") + cookie.value[-1]
        forged.cookies.set(COOKIE, bad, domain="desk.test", path="/desk")
        assert (await forged.get("/desk/queue/mine")).status_code == 303


async def test_a_wrong_key_does_not_sign_in(desk: Desk) -> None:
    async with desk.client() as http:
        page = await http.get("/desk/login")
        wrong = "ck_00000000_" + "x" * 43
        answer = await http.post("/desk/login", data={"csrf": csrf_of(page.text), "key": wrong})
        assert answer.status_code == 401 and COOKIE not in http.cookies


async def test_a_sign_in_form_without_its_csrf_token_is_403(desk: Desk) -> None:
    async with desk.client() as http:
        await http.get("/desk/login")
        answer = await http.post("/desk/login", data={"key": desk.keys["li.na"]})
        assert answer.status_code == 403 and COOKIE not in http.cookies


async def test_a_form_without_its_csrf_token_is_403_and_changes_nothing(desk: Desk) -> None:
    cid = await desk.file()
    before = await events(desk, cid)
    async with desk.signed_in("li.na") as http:
        form = await http.get(f"/desk/cases/{cid}/act/record_contact")
        token = csrf_of(form.text)
        for data in ({"method": "phone"}, {"method": "phone", "csrf": token[:-1] + "x"}):
            answer = await http.post(
                f"/desk/cases/{cid}/act/record_contact", data=data, headers={"Accept": "text/html"}
            )
            assert answer.status_code == 403, answer.text
            assert "CSRF" in answer.text
        bulk = await http.post("/desk/bulk/reassign", data={"cid": cid, "owner": "zhao.lei"})
        assert bulk.status_code == 403
        assert (await http.post("/desk/logout")).status_code == 403  # still signed in
    assert await events(desk, cid) == before


async def test_a_case_of_another_branch_is_a_404_page(desk: Desk) -> None:
    """As the API answers an unknown case: the page does not confirm that it exists."""
    away = await desk.file(branch=AWAY, owner="chen.away")
    async with desk.signed_in("li.na") as http:
        html = {"Accept": "text/html"}
        for path in (
            f"/desk/cases/{away}",
            f"/desk/cases/{away}/act/record_contact",
            "/desk/cases/NOSUCHCASE",
        ):
            answer = await http.get(path, headers=html)
            assert answer.status_code == 404, path
            assert "找不到 Not found" in answer.text and "no complaint" in answer.text
        team = await http.get("/desk/queue/team")
        assert away not in team.text and AWAY not in team.text
        other = await http.get("/desk/queue/team", params={"branch": AWAY})
        assert other.status_code == 403


async def test_the_queue_is_sorted_by_next_deadline_with_buckets_and_filters(desk: Desk) -> None:
    """The team queue lists the branch's open cases soonest deadline first; the overdue and
    due-today buckets count from the ledger's running clocks; filters narrow it."""
    late, soon, major = (
        await desk.file(),
        await desk.file(),
        await desk.file(channel="regulator_provincial"),
    )
    now = datetime.now(UTC)
    # The ledger's running clocks, as a breached and an imminent deadline would leave them.
    await desk.pool.execute(
        "UPDATE sla_clocks SET due_at = $2 WHERE complaint_id = $1", late, now - timedelta(hours=3)
    )
    await desk.pool.execute(
        "UPDATE sla_clocks SET due_at = $2 WHERE complaint_id = $1",
        soon,
        now + timedelta(minutes=1),
    )
    async with desk.signed_in("wang.qiang") as http:
        page = (await http.get("/desk/queue/team")).text
        assert page.index(late) < page.index(soon) < page.index(major)
        assert 'data-bucket="overdue"' in page and "超时 overdue 3 小时 h" in page
        overdue = page.split('id="count-overdue"')[1].split("</b>")[0]
        assert int(overdue.rsplit(">", 1)[1]) >= 1
        majors = (
            await http.get(
                "/desk/queue/team",
                params={"grade": "major", "branch": "", "stage": "", "channel": "", "flag": ""},
            )
        ).text
        assert major in majors and late not in majors
        mine = (await http.get("/desk/queue/mine")).text
        assert late not in mine  # wang.qiang owns none of them


async def test_an_action_the_role_may_not_take_is_not_offered_nor_accepted(desk: Desk) -> None:
    cid = await desk.file()
    await desk.act(cid, "record_contact", "li.na")
    await desk.act(cid, "submit_investigation", "li.na", findings="f", proposed_resolution="pay")
    async with desk.signed_in("li.na") as handler:
        page = (await handler.get(f"/desk/cases/{cid}")).text
        assert 'data-action="decide_resolution"' not in page
        form = await handler.get(f"/desk/cases/{cid}/act/decide_resolution")
        assert form.status_code == 403
        token = csrf_of(page)
        sent = await handler.post(
            f"/desk/cases/{cid}/act/decide_resolution", data={"csrf": token, "approved": "true"}
        )
        assert sent.status_code == 403
    async with desk.signed_in("wang.qiang") as supervisor:
        page = (await supervisor.get(f"/desk/cases/{cid}")).text
        assert 'data-action="decide_resolution"' in page
    async with desk.signed_in("sun.audit") as auditor:
        page = (await auditor.get(f"/desk/cases/{cid}")).text
        assert 'id="no-actions"' in page and "data-action=" not in page


def test_available_actions_follow_the_stage_and_the_role() -> None:
    """The one decision (api/desk/available.py): the stages table and the role gate."""
    state = ComplaintState.model_validate(
        {
            "complaint_id": "X1",
            "stage": "approve",
            "grade": "general",
            "channel": "hotline",
            "branch": HOME,
            "department": None,
            "owner": "li.na",
            "supervisor": "wang.qiang",
            "category": "c",
            "received_at": datetime(2026, 11, 2, tzinfo=UTC),
        }
    )
    handler = available_actions(state, [Role.HANDLER], actor="li.na")
    supervisor = available_actions(state, [Role.SUPERVISOR], actor="wang.qiang")
    assert "decide_resolution" in supervisor and "decide_resolution" not in handler
    assert "record_contact" not in handler + supervisor  # another stage's action
    assert "resume_clock" not in supervisor  # nothing is paused
    assert "record_repeat" not in handler  # the intake's, not a form
    assert available_actions(state, [Role.AUDITOR]) == []
    assert available_actions(state, [Role.ADMIN]) == []


async def test_a_field_error_is_shown_beside_the_field_and_nothing_is_sent(desk: Desk) -> None:
    cid = await desk.file()
    before = await events(desk, cid)
    async with desk.signed_in("li.na") as http:
        form = await http.get(f"/desk/cases/{cid}/act/request_extension")
        assert 'type="datetime-local"' in form.text
        answer = await http.post(
            f"/desk/cases/{cid}/act/request_extension",
            data={"csrf": csrf_of(form.text), "new_due_at": "not a date", "reason": ""},
        )
        assert answer.status_code == 422
        field = answer.text.split('data-field="new_due_at"')[1].split('data-field="')[0]
        assert 'class="error"' in field and "2026-12-08T10:30" in field
    assert await events(desk, cid) == before


async def test_the_case_refusal_is_shown_in_words_beside_the_form(desk: Desk) -> None:
    """An extension to a date before the current deadline: the case's own reason, in the
    branch's zone, to the minute."""
    cid = await desk.file()
    async with desk.signed_in("li.na") as http:
        form = await http.get(f"/desk/cases/{cid}/act/request_extension")
        answer = await http.post(
            f"/desk/cases/{cid}/act/request_extension",
            data={
                "csrf": csrf_of(form.text),
                "new_due_at": "2026-01-05T10:00",
                "reason": "the appraisal takes longer",
            },
        )
        assert answer.status_code == 409
        refusal = answer.text.split('id="refusal"')[1].split("</div>")[0]
        assert "is not later than the current deadline" in refusal
        assert "(Asia/Shanghai)" in refusal and "+00:00" not in refusal


async def test_an_accepted_action_shows_on_the_case_with_who_and_how(desk: Desk) -> None:
    cid = await desk.file()
    async with desk.signed_in("li.na") as http:
        form = await http.get(f"/desk/cases/{cid}/act/record_contact")
        answer = await http.post(
            f"/desk/cases/{cid}/act/record_contact",
            data={"csrf": csrf_of(form.text), "method": "visit"},
        )
        assert answer.status_code == 303
        page = await http.get(answer.headers["location"])
        assert 'id="done"' in page.text and "调查 Investigate" in page.text
        row = page.text.split('<tr class="action">')[1].split("</tr>")[0]
        assert "li.na" in row and "接口 API" in row
    state = await contract.state(desk.env.client, cid)
    assert state.stage.value == "investigate"


async def test_customer_numbers_are_masked_for_auditors_and_a_plain_view_is_logged(
    desk: Desk,
) -> None:
    cid = await desk.file()

    async def logged() -> int:
        count: int = await desk.pool.fetchval(
            "SELECT count(*) FROM access_log WHERE $1 = ANY(complaint_ids) AND via LIKE 'desk:%'",
            cid,
        )
        return count

    async with desk.signed_in("sun.audit") as auditor:
        page = (await auditor.get(f"/desk/cases/{cid}")).text
        assert "13812345678" not in page and "110101198001011234" not in page
    assert await logged() == 0
    async with desk.signed_in("li.na") as handler:
        assert "13812345678" in (await handler.get(f"/desk/cases/{cid}")).text
    assert await logged() == 1


async def test_the_dashboard_counts_per_branch_and_stage(desk: Desk) -> None:
    await desk.file()
    async with desk.signed_in("wang.qiang") as http:
        page = await http.get("/desk/dashboard")
        assert page.status_code == 200
        assert f'data-branch="{HOME}"' in page.text and AWAY not in page.text
        assert '<meta http-equiv="refresh"' in page.text


async def test_bulk_reassignment_reports_each_case(desk: Desk) -> None:
    ids = [await desk.file() for _ in range(3)]
    away = await desk.file(branch=AWAY, owner="chen.away")
    async with desk.signed_in("wang.qiang") as http:
        token = csrf_of((await http.get("/desk/queue/team")).text)
        refused = await http.post(
            "/desk/bulk/reassign", data={"csrf": token, "cid": [*ids, away], "owner": "zhao.lei"}
        )
        assert refused.status_code == 403  # a case outside the branch: nothing done
        answer = await http.post(
            "/desk/bulk/reassign", data={"csrf": token, "cid": ids, "owner": "zhao.lei"}
        )
        assert answer.status_code == 200
        assert answer.text.count('<tr class="ok">') == 3
    for cid in ids:
        assert (await contract.state(desk.env.client, cid)).owner == "zhao.lei"


async def test_the_monthly_report_is_a_page_for_supervisors(desk: Desk) -> None:
    async with desk.signed_in("wang.qiang") as supervisor:
        page = await supervisor.get("/desk/report")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    async with desk.signed_in("li.na") as handler:
        assert (await handler.get("/desk/report")).status_code == 403


async def test_sign_out_ends_the_session(desk: Desk) -> None:
    async with desk.signed_in("li.na") as http:
        token = csrf_of((await http.get("/desk/queue/mine")).text)
        assert (await http.post("/desk/logout", data={"csrf": token})).status_code == 303
        assert (await http.get("/desk/queue/mine")).status_code == 303


async def test_a_person_behind_the_sign_in_proxy_is_their_oidc_identity(
    desk: Desk, request: pytest.FixtureRequest
) -> None:
    """The proxy's `X-Forwarded-Access-Token`, verified by api/oidc.py, is the person: their
    branches bound the pages, their forms need the CSRF token, a forged token is 401."""
    idp: Provider = request.getfixturevalue("provider")  # tests/integration/test_codec.py
    cid = await desk.file()
    before = desk.app.state.desk_settings
    oidc = OidcVerifier(
        OidcSettings(issuer=idp.issuer, audience="complaints-ui", jwks_url=idp.jwks_url)
    )
    desk.app.state.desk_settings = replace(before, oidc=oidc)
    try:
        async with desk.client() as http:
            token = idp.token(complaints_branches=[HOME])  # wang.qiang, supervisor
            signed = {OIDC_HEADER: token}
            team = await http.get("/desk/queue/team", headers=signed)
            assert team.status_code == 200 and cid in team.text and "wang.qiang" in team.text
            path = f"/desk/cases/{cid}/act/flag_customer"
            form = await http.get(path, headers=signed)
            refused = await http.post(path, data={"flags": "vulnerable"}, headers=signed)
            assert refused.status_code == 403
            done = await http.post(
                path, headers=signed, data={"flags": "vulnerable", "csrf": csrf_of(form.text)}
            )
            assert done.status_code == 303, done.text
            away = idp.token(complaints_branches=[AWAY])
            hidden = await http.get(f"/desk/cases/{cid}", headers={OIDC_HEADER: away})
            assert hidden.status_code == 404
            forged = await http.get(
                "/desk/queue/team", headers={OIDC_HEADER: idp.token(aud="someone-else")}
            )
            assert forged.status_code == 401
    finally:
        desk.app.state.desk_settings = before
    state = await contract.state(desk.env.client, cid)
    assert state.help_flags == ["vulnerable"]
    assert state.timeline[-1].actor == "wang.qiang"


async def test_r_cu_6_the_desk_intake_names_the_staff_complained_about(desk: Desk) -> None:
    """The desk files a complaint as the API does, with the staff it is about (one a line):
    an owner who is one of them is refused beside the field and nothing is filed; otherwise
    the case is filed with them on its intake and the person lands on its page; reassigning
    the case to one of them is then refused (R-CU-6). An auditor may not file."""
    external = f"DESK-{uuid.uuid4().hex[:10]}"
    fields = {
        "external_id": external,
        "channel": "visit",
        "branch": HOME,
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer.name": "张伟",
        "customer.phone": "13812345678",
        "category": "claims settlement",
        "matter": "The surveyor was rude and delayed my claim.",
        "demands": "An apology and the claim paid.",
        "grade": "general",
        "amount_involved.currency": "CNY",
        "staff_complained_about": "zhou.kan\nli.na\n",
    }
    async with desk.signed_in("li.na") as http:
        form = await http.get("/desk/file")
        assert form.status_code == 200
        assert 'name="staff_complained_about"' in form.text
        refused = await http.post("/desk/file", data={"csrf": csrf_of(form.text), **fields})
        assert refused.status_code == 422, refused.text
        field = refused.text.split('data-field="staff_complained_about"')[1].split("data-field=")[0]
        assert 'class="error"' in field and "R-CU-6" in field, field
        assert not await desk.pool.fetchval(
            "SELECT true FROM complaints WHERE external_id = $1", external
        )
        fields["staff_complained_about"] = "zhou.kan\n"
        filed = await http.post("/desk/file", data={"csrf": csrf_of(form.text), **fields})
        assert filed.status_code == 303, filed.text
        cid = filed.headers["location"].removeprefix("/desk/cases/")
        state = await contract.state(desk.env.client, cid)
        assert state.crisis is False and state.bank_outlet is None
        assert state.amount_involved is None  # the currency alone is no amount
        page = await http.get(f"/desk/cases/{cid}/act/reassign")
        answer = await http.post(
            f"/desk/cases/{cid}/act/reassign",
            data={"csrf": csrf_of(page.text), "owner": "zhou.kan"},
        )
        assert answer.status_code == 409 and "R-CU-6" in answer.text, answer.text
    async with desk.signed_in("sun.audit") as http:
        assert (await http.get("/desk/file")).status_code == 403


async def test_r_st_8_the_desk_intake_names_the_department_head(desk: Desk) -> None:
    """The desk's intake form has the API's `department_head` (R-ST-8): a major complaint filed
    with it carries it, and the case's page shows who takes part in its collective decision."""
    fields = {
        "external_id": f"DESK-{uuid.uuid4().hex[:10]}",
        "channel": "regulator_provincial",  # major on arrival
        "branch": HOME,
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer.name": "张伟",
        "customer.phone": "13812345678",
        "category": "claims settlement",
        "matter": "The regulator forwarded my unpaid claim.",
        "demands": "Pay the claim.",
        "grade": "general",
        "amount_involved.currency": "CNY",
        "department_head": "sun.hao",
    }
    async with desk.signed_in("li.na") as http:
        form = await http.get("/desk/file")
        assert 'name="department_head"' in form.text and "Department head" in form.text
        filed = await http.post("/desk/file", data={"csrf": csrf_of(form.text), **fields})
        assert filed.status_code == 303, filed.text
        cid = filed.headers["location"].removeprefix("/desk/cases/")
        state = await contract.state(desk.env.client, cid)
        assert state.grade.value == "major" and state.department_head == "sun.hao"
        page = await http.get(f"/desk/cases/{cid}")
        assert "部门负责人 Department head" in page.text and "sun.hao" in page.text
