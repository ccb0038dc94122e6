"""What the routes do to a case, through its workflow (`workflows.contract`) while it runs and
the ledger (`ledger.views`) after: read it, run an action on it. And the app's collaborators
as FastAPI dependencies (`Temporal`, `Ledger`, `TaskQueue`), set by `api.app.create_app`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, HTTPException, Request
from pydantic import ValidationError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import scope
from api.auth import Identity
from api.models import SEES_CUSTOMER_NUMBERS, ComplaintView, explain, from_row, from_state
from domain.actions import ACTION_MODELS, ACTIONS, Action, Who
from domain.actions.base import LEADERS
from domain.fields import NEW_INPUT, evidence_fields
from domain.identity import VerifiedIdentity
from domain.state import ComplaintState
from domain.vocabulary import Role
from ledger import access, evidence, views
from workflows import contract


def _temporal(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


def _ledger(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def _task_queue(request: Request) -> str:
    queue: str = request.app.state.task_queue
    return queue


# The roles that act on a case, highest first: the key's highest one is the action's role.
ACTING_ROLES = (Role.SENIOR_MANAGER, Role.SUPERVISOR, Role.HANDLER, Role.SYSTEM, Role.ADMIN)

Temporal = Annotated[Client, Depends(_temporal)]
Ledger = Annotated[asyncpg.Pool, Depends(_ledger)]
TaskQueue = Annotated[str, Depends(_task_queue)]


async def running_state(client: Client, cid: str) -> ComplaintState | None:
    """The live state while the workflow runs; None once it has finished (or never existed)."""
    try:
        # The raw call: only the status is needed, not the decoded search attributes.
        description = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=contract.workflow_id(cid)),
            )
        )
        status = description.workflow_execution_info.status
        if status != WorkflowExecutionStatus.RUNNING.value:
            return None
        return await contract.state(client, cid)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def view(client: Client, pool: asyncpg.Pool, cid: str, identity: Identity) -> ComplaintView:
    """The case from its workflow while it runs (its customer from the ledger), else from the
    ledger; 404 if neither knows it or it is outside the key's branches. A view showing the
    customer unmasked is logged."""
    state = await running_state(client, cid)
    if state is not None:
        scope.read(identity, state.branch, cid)
        shown = from_state(state, identity, row=await views.customer(pool, cid))
    else:
        row = await views.complaint(pool, cid)
        if row is None:
            raise scope.not_found(cid)
        scope.read(identity, row["branch"], cid)
        shown = from_row(row, identity)
    if shown.customer is not None:
        await accessed(pool, identity, "api:GET /v1/complaints/{id}", [cid])
    return shown


async def accessed(
    pool: asyncpg.Pool, identity: Identity, via: str, complaint_ids: Iterable[str]
) -> None:
    """PIPL: a read that showed these cases' customer data unmasked goes in the access log
    (`ledger.access`); one shown masked does not."""
    cases = list(complaint_ids)
    if cases and identity.has(*SEES_CUSTOMER_NUMBERS):
        await access.record(
            pool, actor=identity.name, key_id=identity.key_id, via=via, complaint_ids=cases
        )


async def act(
    client: Client,
    cid: str,
    action: str,
    payload: dict[str, Any],
    identity: Identity,
    *,
    pool: asyncpg.Pool,
) -> ComplaintView:
    """Run one action as the key's holder: 404 unknown action, 403 a supervisor's action
    without the role, 422 a bad payload (evidence ids not of this case among them), 409 with
    the workflow's reason when refused."""
    model = ACTION_MODELS.get(action)
    if model is None:
        raise HTTPException(404, f"unknown action {action!r}; known: {', '.join(ACTION_MODELS)}")
    if "actor" in payload or "role" in payload:
        raise HTTPException(422, "actor and role come from the API key; leave them out")
    if ACTIONS[action].who is Who.LEADER and not identity.has(*LEADERS):
        raise HTTPException(403, f"{action} needs the supervisor or senior_manager role")
    # The highest role the key holds acts (a senior manager may grant what a supervisor may not).
    role = next(r for r in ACTING_ROLES if identity.has(r))
    try:
        checked = model.model_validate(
            {**payload, "actor": identity.name, "role": role.value}, context=NEW_INPUT
        )
    except ValidationError as err:
        raise HTTPException(422, explain(err.errors())) from None
    await _own_evidence(pool, cid, checked)
    verified = VerifiedIdentity(
        actor=identity.name,
        roles=[r.value for r in identity.roles],
        branches=None if identity.branches is None else sorted(identity.branches),
        via="api",
        bound_to=contract.workflow_id(cid),
        action=action,
        issued_at=datetime.now(UTC),
        nonce=secrets.token_hex(16),
    )
    try:
        state = await contract.act(
            client, cid, action, checked.model_dump(mode="json", exclude_none=True), verified
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "ActionRefused":
            raise HTTPException(409, cause.message) from None
        raise
    except RPCError as err:
        raise rpc_problem(err, cid) from None
    return from_state(state, identity)


async def _own_evidence(pool: asyncpg.Pool, cid: str, checked: Action) -> None:
    """R-IN-9: evidence ids an action names (its `EvidenceIds` fields, e.g. a crisis report's
    attachments) are the case's own: the workflow cannot look, so the door checks."""
    for name in evidence_fields(type(checked)):
        named = getattr(checked, name)
        if not named:
            continue
        ids = [named] if isinstance(named, str) else list(named)
        unknown = await evidence.missing(pool, ids, owner_kind="case", owner_id=cid)
        if unknown:
            raise HTTPException(
                422, f"{name}: not evidence of complaint {cid}: {', '.join(unknown)}"
            )


def rpc_problem(err: RPCError, cid: str) -> HTTPException:
    """Temporal's refusal as the caller's problem: 404, 409 (finished) or 503."""
    if err.status == RPCStatusCode.NOT_FOUND:
        # The workflow has ended: the server says it completed; the time-skipping server
        # answers an update sent to an ended workflow with "update <id> not found".
        ended = ("completed" in err.message or "finished" in err.message) or (
            err.message.startswith("update ")
        )
        if ended:
            return HTTPException(409, f"complaint {cid} is finished")
        return HTTPException(404, f"no complaint {cid}")
    if err.status == RPCStatusCode.FAILED_PRECONDITION:
        return HTTPException(409, f"complaint {cid} is finished")
    return HTTPException(503, f"Temporal unavailable: {err.message}")
