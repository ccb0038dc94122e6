"""The Temporal Web UI made easier where it stays the tool (docs/web-ui-and-cli.md): the real app,
a real worker on the time-skipping server, a real PostgreSQL, the codec server's routes.

Proves: the desk's view links answer 303 to the Web UI's list with the query's dates computed
when opened (today's bounds in the branch's zone) and bounded by the person's branches; the
workflow's current details say the case in words and list the actions it accepts now with a
payload that, sent as a signal through the codec server with a person's key, is taken (and one
left unfilled is refused naming the field, the refusal then in the details in words); the
start's static summary and details mark the input as the complaint as filed; a new case
carries ComplaintBranchCode.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    DescribeWorkflowExecutionResponse,
    SignalWorkflowExecutionRequest,
)

from api.desk.views import VIEWS
from tests.desk import AWAY, HOME, Desk, desk_world
from tests.harness import eventually
from workflows import contract

ZONE = ZoneInfo("Asia/Shanghai")  # the desk's default zone, every branch's
UI_LIST = "http://localhost:8233/namespaces/default/workflows"  # the default UI URL
RUNNING = 'ExecutionStatus = "Running"'


@pytest.fixture(scope="module")
async def desk(pg_server: str, migrated_template: str) -> AsyncIterator[Desk]:
    async with desk_world(pg_server, migrated_template, with_codec=True) as world:
        yield world


async def open_view(desk: Desk, person: str, view: str, **params: str) -> tuple[str, datetime]:
    """The visibility query a view link leads to, and the moment it was opened."""
    async with desk.signed_in(person) as http:
        opened = datetime.now(ZONE)
        answer = await http.get(f"/desk/views/{view}", params=params)
    assert answer.status_code == 303, answer.text
    url = urlsplit(answer.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == UI_LIST
    [query] = parse_qs(url.query)["query"]
    return query, opened


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=8), text  # written in the branch's zone
    return moment


def midnight(day: datetime, days: int) -> datetime:
    return datetime.combine(day.date() + timedelta(days=days), time(0), tzinfo=ZONE)


async def test_a_view_link_opens_the_web_ui_list_with_todays_bounds_in_the_branch_zone(
    desk: Desk,
) -> None:
    """Due today: from the moment the link is opened to the next midnight in Asia/Shanghai, in
    the person's branch; due tomorrow: that midnight to the next; no fixed date anywhere."""
    home = f'ComplaintBranch IN ("{HOME}")'
    query, opened = await open_view(desk, "li.na", "due-today")
    found = re.fullmatch(
        rf'{RUNNING} AND StageDueAt >= "([^"]+)" AND StageDueAt < "([^"]+)" AND {re.escape(home)}',
        query,
    )
    assert found is not None, query
    now, end = instant(found[1]), instant(found[2])
    assert opened - timedelta(seconds=1) <= now <= datetime.now(ZONE), (opened, now)
    assert end == midnight(now, 1)

    query, opened = await open_view(desk, "li.na", "due-tomorrow")
    found = re.fullmatch(
        rf'{RUNNING} AND StageDueAt >= "([^"]+)" AND StageDueAt < "([^"]+)" '
        rf"AND {re.escape(home)}",
        query,
    )
    assert found is not None, query
    assert (instant(found[1]), instant(found[2])) == (midnight(opened, 1), midnight(opened, 2))

    query, opened = await open_view(desk, "li.na", "overdue")
    found = re.fullmatch(rf'{RUNNING} AND StageDueAt < "([^"]+)" AND {re.escape(home)}', query)
    assert found is not None, query
    assert opened - timedelta(seconds=1) <= instant(found[1]) <= datetime.now(ZONE)

    query, opened = await open_view(desk, "li.na", "crisis-this-week")
    found = re.fullmatch(rf'Crisis = true AND StartTime >= "([^"]+)" AND {re.escape(home)}', query)
    assert found is not None, query
    monday = instant(found[1])
    assert monday.weekday() == 0 and monday == midnight(opened, -opened.weekday())

    query, _ = await open_view(desk, "li.na", "breached-major")
    assert query == f'{RUNNING} AND SlaBreached = true AND ComplaintGrade = "major" AND {home}'


async def test_a_view_is_bounded_by_the_person_branches(desk: Desk) -> None:
    """A key limited to branches sees their cases only; asking for another branch is 403; a
    view needs a signed-in person (or a key); an unknown view is 404."""
    away = f'ComplaintBranch IN ("{AWAY}")'
    query, _ = await open_view(desk, "chen.away", "my-branch")
    assert query == f'{RUNNING} AND WorkflowType = "ComplaintWorkflow" AND {away}'
    query, _ = await open_view(desk, "chen.away", "crisis-open", branch=AWAY)
    assert query == f"{RUNNING} AND Crisis = true AND {away}"
    async with desk.client() as http:
        key = desk.bearer("chen.away")
        refused = await http.get("/desk/views/my-branch", params={"branch": HOME}, headers=key)
        assert refused.status_code == 403 and HOME in refused.json()["detail"], refused.text
        unknown = await http.get("/desk/views/everything", headers=key)
        assert unknown.status_code == 404 and "due-today" in unknown.json()["detail"]
        keyed = await http.get("/desk/views/overdue", headers=key)
        assert keyed.status_code == 303 and keyed.headers["location"].startswith(UI_LIST)
        anonymous = await http.get("/desk/views/due-today", headers={"Accept": "text/html"})
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/desk/login?next=%2Fdesk%2Fviews")


async def test_the_dashboard_lists_every_view(desk: Desk) -> None:
    async with desk.signed_in("wang.qiang") as http:
        page = (await http.get("/desk/dashboard")).text
    for view in VIEWS:
        assert f'href="/desk/views/{view}"' in page, view


async def current_details(desk: Desk, cid: str) -> str:
    """What the Web UI's "Current Details" panel shows (the SDK's metadata query)."""
    handle = desk.env.client.get_workflow_handle(contract.workflow_id(cid))
    meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert isinstance(meta, WorkflowMetadata)
    return str(meta.current_details)


def ready_payload(details: str, action: str) -> dict[str, Any]:
    """The payload the details offer for `action`."""
    found = re.search(rf"`{action}` · [^\n]*\n```json\n(.+?)\n```", details, re.S)
    assert found is not None, details
    payload: dict[str, Any] = json.loads(found[1])
    return payload


async def send_through_codec(desk: Desk, cid: str, person: str, payload: dict[str, Any]) -> None:
    """As the Web UI sends a signal: the typed JSON encoded by the codec server with the
    person's key, then signalled as encoded (the server never sees it in clear)."""
    typed = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(payload).encode())
    async with desk.client() as http:
        encoded = await http.post(
            "/codec/encode",
            content=json_format.MessageToJson(Payloads(payloads=[typed])),
            headers={**desk.bearer(person), "Content-Type": "application/json"},
        )
    assert encoded.status_code == 200, encoded.text
    client = desk.env.client
    await client.workflow_service.signal_workflow_execution(
        SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=contract.workflow_id(cid)),
            signal_name=payload["action"],
            input=json_format.Parse(encoded.content, Payloads()),
            identity="web-ui",
        )
    )


async def described(desk: Desk, cid: str) -> DescribeWorkflowExecutionResponse:
    # The raw call: `describe()` parses every search attribute, and the time-skipping server
    # answers an unset datetime in a form the SDK cannot parse.
    client = desk.env.client
    return await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=contract.workflow_id(cid)),
        )
    )


async def test_the_details_offer_a_payload_the_case_takes_through_the_codec(desk: Desk) -> None:
    cid = await desk.file()
    details = await current_details(desk, cid)
    state = await contract.state(desk.env.client, cid)
    contact = state.clock("stage:contact")
    assert contact is not None
    # The case in words: grade, stage, owner, first receiver, deadlines in the zone.
    assert f"**{cid}** · general · stage **contact** · owner li.na · {HOME}" in details
    assert "first receiver (首问负责制): li.na" in details
    assert "(Asia/Shanghai)" in details
    assert f"{contact.due_at.astimezone(ZONE):%Y-%m-%d %H:%M}" in details
    assert "`decide_resolution`" not in details  # another stage's action
    assert "`expedite` · supervisor, senior_manager" in details  # who may take it

    contact_payload = ready_payload(details, "record_contact")
    assert contact_payload == {"workflow_id": contract.workflow_id(cid), "action": "record_contact"}
    await send_through_codec(desk, cid, "li.na", contact_payload)

    async def investigating() -> bool:
        return (await contract.state(desk.env.client, cid)).stage.value == "investigate"

    await eventually(investigating, what="record_contact taken")
    taken = [
        e
        for e in (await contract.state(desk.env.client, cid)).timeline
        if e.action == "record_contact" and e.kind == "action"
    ]
    assert taken and taken[-1].actor == "li.na" and "via codec" in taken[-1].detail

    # Sent as offered, its nulls unfilled: refused naming the field, the refusal in words.
    async def offers_investigation() -> bool:
        return "`submit_investigation`" in await current_details(desk, cid)

    await eventually(offers_investigation, what="the details at the investigation")
    unfilled = ready_payload(await current_details(desk, cid), "submit_investigation")
    assert unfilled["findings"] is None and unfilled["proposed_resolution"] is None
    await send_through_codec(desk, cid, "li.na", unfilled)

    async def refusal_shown() -> bool:
        return "Last refusal" in await current_details(desk, cid)

    await eventually(refusal_shown, what="the refusal in the details")
    details = await current_details(desk, cid)
    # (A payload the case cannot read is refused before its sender is read: "from unknown".)
    assert "Last refusal" in details and "submit_investigation from" in details, details
    assert "findings: Input should be a valid string" in details, details


async def test_the_input_is_marked_as_the_complaint_as_filed(desk: Desk) -> None:
    """The start's summary and details (Web UI: User Metadata) say the input holds the grade at
    intake and point to the current details for the case now; a new case carries the branch
    code for the UI's filter chips (rules 5)."""
    cid = await desk.file()
    answer = await described(desk, cid)
    meta = answer.execution_config.user_metadata
    converter = desk.env.client.data_converter
    summary, details = await converter.decode([meta.summary, meta.details], [str, str])
    assert summary.startswith(cid) and summary.endswith(contract.AS_FILED)
    assert details == contract.INTAKE_DETAILS
    assert "Input below = the complaint as filed (grade at intake)" in details
    assert "受理时" in details and "Current Details" in details
    fields = answer.workflow_execution_info.search_attributes.indexed_fields
    assert json.loads(fields["ComplaintBranchCode"].data) == "beijing-haidian"
    assert json.loads(fields["ComplaintBranch"].data) == HOME
