"""The case page and its action forms: `/desk/cases/{id}` and `/desk/cases/{id}/act/{action}`,
and the monthly report as a page (`/desk/report`).

The case reads in words: grade, stage, owner, first receiver, every running deadline in the
branch's zone to the minute, the customer (masked for roles that may not see the numbers; an
unmasked view goes in the access log), the timeline with who acted and how it was verified,
the evidence, and links to the workflow in the Temporal Web UI and to the monthly report.

An action goes through the API's own path (`api.cases.act`: an update carrying the person's
verified identity). The form offers only what `available.available_actions` allows; a field
error is shown beside the field and nothing is sent; the case's refusal is shown in words
beside the form.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import cases, letters, scope
from api.cases import Ledger, Temporal
from api.desk import forms
from api.desk.available import acting_role, available_actions, role_may
from api.desk.config import settings
from api.desk.pages import DeskRoute, render
from api.desk.session import Person, Signed, checked_form
from api.models import SEES_CUSTOMER_NUMBERS, ComplaintId, from_row, from_state
from api.reports import READERS
from domain.actions import ACTION_MODELS
from domain.fields import evidence_fields
from domain.state import ComplaintState, TimelineEntry
from ledger import evidence, views
from ledger.letters import last_decision
from reports.render import render_html
from reports.statistics import monthly_report
from workflows import contract

router = APIRouter(route_class=DeskRoute, include_in_schema=False)

ActionName = Annotated[str, Path(max_length=64)]
_VIA = re.compile(r" via (api|codec|system)\b")


def _via(entry: TimelineEntry) -> str | None:
    found = _VIA.search(entry.detail)
    return found.group(1) if found else None


@router.get("/desk/cases/{complaint_id}")
async def case_page(
    complaint_id: ComplaintId,
    request: Request,
    who: Signed,
    client: Temporal,
    pool: Ledger,
    done: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    identity = who.identity
    await scope.case_to_read(client, pool, identity, complaint_id)
    state = await cases.running_state(client, complaint_id)
    row = await views.complaint(pool, complaint_id)
    if state is not None:
        shown = from_state(state, identity, row=row)
    elif row is not None:
        shown = from_row(row, identity)
    else:
        raise scope.not_found(complaint_id)
    if shown.customer is not None:
        await cases.accessed(pool, identity, "desk:GET /desk/cases/{id}", [complaint_id])
    entries = {e.seq: e for e in await views.timeline(pool, complaint_id)}
    if state is not None:
        entries.update((e.seq, e) for e in state.timeline)
    timeline = [(entries[q], _via(entries[q])) for q in sorted(entries, reverse=True)]
    s = settings(request)
    workflow = contract.workflow_id(complaint_id)
    ui = f"{s.temporal_ui_url}/namespaces/{quote(client.namespace)}/workflows/{quote(workflow)}"
    period = shown.received_at.astimezone(s.zone).strftime("%Y-%m")
    # R-CU-1: the decision letter, once a decision notice was sent, for the staff who may print it
    letter = identity.has(*letters.LETTER_STAFF) and await last_decision(pool, complaint_id)
    return render(
        request,
        "case.html",
        who,
        c=shown,
        state=state,
        timeline=timeline,
        clocks=[c for c in (state.clocks if state else []) if c.met_at is None],
        actions=available_actions(state, identity.roles, actor=identity.name) if state else [],
        evidence=await evidence.listed(pool, complaint_id)
        if identity.has(*SEES_CUSTOMER_NUMBERS)
        else None,
        sees_numbers=identity.has(*SEES_CUSTOMER_NUMBERS),
        ui_url=ui,
        report_url=f"/desk/report?period={period}" if identity.has(*READERS) else None,
        letter_url=f"/desk/cases/{quote(complaint_id)}/decision-letter" if letter else None,
        done=done if done in ACTION_MODELS else None,
        bzone=s.zone_of(shown.branch),
    )


async def _form_context(
    client: Any, pool: Any, who: Person, complaint_id: str, action: str, *, change: bool
) -> ComplaintState:
    """The running case, once the action is known, the person's role may take it and the case
    is in their branches (403 / 404 as the API answers); 409 when the case has finished."""
    identity = who.identity
    if action not in ACTION_MODELS:
        raise HTTPException(404, f"unknown action {action!r}")
    if not role_may(action, identity.roles):
        role = acting_role(identity.roles)
        raise HTTPException(
            403,
            f"{action}: not an action {identity.name} may take "
            f"(acting role: {role.value if role else 'none'})",
        )
    if change:
        await scope.case_to_change(client, pool, identity, complaint_id)
    else:
        await scope.case_to_read(client, pool, identity, complaint_id)
    state = await cases.running_state(client, complaint_id)
    if state is None:
        raise HTTPException(409, f"complaint {complaint_id} is finished")
    return state


@router.get("/desk/cases/{complaint_id}/act/{action}")
async def action_form(
    complaint_id: ComplaintId,
    action: ActionName,
    request: Request,
    who: Signed,
    client: Temporal,
    pool: Ledger,
) -> Response:
    state = await _form_context(client, pool, who, complaint_id, action, change=False)
    offered = action in available_actions(state, who.identity.roles, actor=who.identity.name)
    return _form(
        request, who, state, action, {}, {}, None, 200 if offered else 409, offered=offered
    )


def _form(
    request: Request,
    who: Person,
    state: ComplaintState,
    action: str,
    values: dict[str, Any],
    errors: dict[str, str],
    refusal: str | None,
    status: int,
    *,
    offered: bool = True,
    request_id: str | None = None,
) -> Response:
    return render(
        request,
        "action.html",
        who,
        status,
        state=state,
        action=action,
        fields=forms.fields_of(ACTION_MODELS[action]),
        values=values,
        errors=errors,
        refusal=refusal,
        offered=offered,
        request_id=request_id or uuid.uuid4().hex,
        bzone=settings(request).zone_of(state.branch),
    )


@router.post("/desk/cases/{complaint_id}/act/{action}")
async def act(
    complaint_id: ComplaintId,
    action: ActionName,
    request: Request,
    who: Signed,
    client: Temporal,
    pool: Ledger,
) -> Response:
    form = await checked_form(request, who)
    state = await _form_context(client, pool, who, complaint_id, action, change=True)
    identity = who.identity
    role = acting_role(identity.roles)
    assert role is not None  # role_may held
    model = ACTION_MODELS[action]
    fields = forms.fields_of(model)
    answer = forms.read(
        model,
        fields,
        form,
        actor=identity.name,
        role=role.value,
        zone=settings(request).zone_of(state.branch),
    )
    request_id = str(form.get("request_id") or "") or None
    if answer.errors:
        return _form(
            request,
            who,
            state,
            action,
            answer.values,
            answer.errors,
            None,
            422,
            request_id=request_id,
        )
    for name in evidence_fields(model):  # R-IN-9: only the case's own evidence, by field
        named = answer.payload.get(name)
        if not named:
            continue
        ids = [str(a) for a in (named if isinstance(named, list) else [named])]
        unknown = await evidence.missing(pool, ids, owner_kind="case", owner_id=complaint_id)
        if unknown:
            errors = {name: f"not evidence of this case: {', '.join(unknown)}"}
            return _form(
                request, who, state, action, answer.values, errors, None, 422, request_id=request_id
            )
    try:
        await cases.act(client, complaint_id, action, answer.payload, identity, pool=pool)
    except HTTPException as err:
        if err.status_code not in (409, 422):
            raise
        return _form(
            request,
            who,
            state,
            action,
            answer.values,
            {},
            str(err.detail),
            err.status_code,
            request_id=uuid.uuid4().hex,
        )
    return RedirectResponse(f"/desk/cases/{quote(complaint_id)}?done={action}", status_code=303)


@router.get("/desk/cases/{complaint_id}/decision-letter")
async def decision_letter(
    complaint_id: ComplaintId,
    request: Request,
    who: Signed,
    client: Temporal,
    pool: Ledger,
) -> HTMLResponse:
    """R-CU-1: the decision notice as sent, as a printable A4 letter (api/letters.py)."""
    identity = who.identity
    if not identity.has(*letters.LETTER_STAFF):
        raise HTTPException(403, "the decision letter is for handlers, supervisors and managers")
    return await letters.decision_letter(
        pool,
        client,
        identity,
        request.app.state.settings,
        complaint_id,
        "desk:GET /desk/cases/{id}/decision-letter",
    )


@router.get("/desk/report")
async def report(
    request: Request,
    who: Signed,
    pool: Ledger,
    period: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The monthly report as its printable page, for the person's branches (supervisors,
    auditors: no API key or curl needed)."""
    identity = who.identity
    if not identity.has(*READERS):
        raise HTTPException(403, "the monthly report is for supervisors and auditors")
    month = period or datetime.now(UTC).astimezone(settings(request).zone).strftime("%Y-%m")
    try:
        built = await monthly_report(pool, month, None, scope.visible(identity))
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    page = await asyncio.to_thread(render_html, built)
    return Response(page, media_type="text/html; charset=utf-8")
