"""The desk's intake form: `/desk/file` files a complaint as `POST /v1/complaints` does.

The form is made from the API's own intake model (`api.models.ComplaintIn`, by `forms.fields_of`),
so it has every field the API takes, among them the staff the complaint is about
(`staff_complained_about`, one a line: R-CU-6, the case is never handled by them; an owner or
supervisor who is one of them is refused beside the field). It files through the API's path
(`api.complaints.file_intake`: the input rules, the key's branches, repeats joining their open
case), for the roles that may file (system, handler); a field error is shown beside the field and
nothing is filed. Filed, the person lands on the case's page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.cases import Ledger, TaskQueue, Temporal
from api.complaints import file_intake
from api.desk import forms
from api.desk.available import acting_role
from api.desk.config import settings
from api.desk.pages import DeskRoute, render
from api.desk.session import Person, Signed, checked_form
from api.models import ComplaintIn
from domain.vocabulary import Role

router = APIRouter(route_class=DeskRoute, include_in_schema=False)

FILERS = (Role.SYSTEM, Role.HANDLER)  # as `POST /v1/complaints`


def _may_file(who: Person) -> None:
    if not who.identity.has(*FILERS):
        raise HTTPException(403, "filing a complaint is for handlers and the intake system")


def _form(
    request: Request,
    who: Person,
    values: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "file.html",
        who,
        status,
        fields=forms.fields_of(ComplaintIn),
        values=values,
        errors=errors,
        bzone=settings(request).zone,
    )


@router.get("/desk/file")
async def intake_form(request: Request, who: Signed) -> Response:
    _may_file(who)
    return _form(request, who, {}, {})


@router.post("/desk/file")
async def file(
    request: Request, who: Signed, client: Temporal, pool: Ledger, task_queue: TaskQueue
) -> Response:
    form = await checked_form(request, who)
    _may_file(who)
    identity = who.identity
    role = acting_role(identity.roles)
    fields = forms.fields_of(ComplaintIn)
    answer = forms.read(
        ComplaintIn,
        fields,
        form,
        actor=identity.name,
        role=role.value if role else "",
        zone=settings(request).zone,
        acting=False,
    )
    if answer.errors:
        return _form(request, who, answer.values, answer.errors, 422)
    try:
        body = ComplaintIn.model_validate(answer.payload)
    except ValidationError as err:  # read() validated it already; never a 500 all the same
        return _form(request, who, answer.values, {"": str(err)}, 422)
    try:
        filed = await file_intake(
            client, pool, task_queue, body, identity, request.app.state.settings
        )
    except HTTPException as err:
        if err.status_code != 422:
            raise
        return _form(request, who, answer.values, {"": str(err.detail)}, 422)
    cid = filed.complaint.complaint_id
    return RedirectResponse(f"/desk/cases/{quote(cid)}", status_code=303)
