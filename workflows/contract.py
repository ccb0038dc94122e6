"""The workflows' contract with their callers: one module names the task queue, the workflow
types and ids, the queries, the updates and the actions, and wraps the calls every caller
makes (the HTTP API, the demo, the benchmarks, the tests), so no caller spells a name itself.

    registration = await contract.register(client, intake, task_queue=..., summary=...)
    state = await contract.act(client, complaint_id, "record_contact", {"actor": "li.na"})
    state = await contract.state(client, complaint_id)

`TASK_QUEUE` is the default queue; `COMPLAINTS_TASK_QUEUE` overrides it for a deployment
(`infra.config.Settings.task_queue`, which the launcher, the worker and the API pass on).
Nothing here does I/O of its own: the helpers only name the calls a `Client` makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import RawValue, WorkflowIDConflictPolicy

from domain.actions import ACTIONS as ACTION_DEFINITIONS
from domain.fields import Input
from domain.identity import VerifiedIdentity
from domain.intake import ComplaintIntake
from domain.replies import Registration
from domain.state import ComplaintState
from infra.codec import sealed as seal_payload
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

# ---------------------------------------------------------------------------------------------
# The complaint workflow

TASK_QUEUE = "complaints"
WORKFLOW_TYPE = "ComplaintWorkflow"
STATE_QUERY = "state"
REGISTER_UPDATE = "register"  # the intake's update-with-start: answers `Registration`
ACTIONS: tuple[str, ...] = tuple(ACTION_DEFINITIONS)  # each a signal and an update of that name
# What the Web UI's "Send a Signal" lists beside each action, from the actions' definitions
# (record_repeat: the API's, an update only).
ACTION_SIGNALS: dict[str, str] = {
    name: d.description for name, d in ACTION_DEFINITIONS.items() if d.description is not None
}


# The start's static details, beside its summary in the Web UI: the Input shown below them is
# the complaint as filed, with the grade it had at intake; the case as it is now (a regraded
# case, a new owner, its deadlines) is the workflow's current details (workflows/visibility.py).
INTAKE_DETAILS = (
    "**下方 Input = 受理时的投诉（受理时的等级）；案件现状见 Current Details**\n\n"
    "**Input below = the complaint as filed (grade at intake); the case now: see Current "
    "Details**\n\n"
    "等级、环节、负责人、期限与现在可做的操作以 Current Details 为准。\n"
    "Grade, stage, owner, deadlines and the actions it accepts now: Current Details."
)
# Ends every summary a caller gives: the summary, too, tells of the complaint as filed.
AS_FILED = " · 受理时 as filed"


def workflow_id(complaint_id: str) -> str:
    """The id of a complaint's workflow: one workflow per complaint, ever."""
    return f"complaint-{complaint_id}"


def complaint_id_of(workflow_id: str) -> str | None:
    """The complaint a workflow id names; None for another workflow's id."""
    prefix = "complaint-"
    return workflow_id[len(prefix) :] if workflow_id.startswith(prefix) else None


def handle(client: Client, complaint_id: str) -> WorkflowHandle[Any, ComplaintState]:
    """A handle on a complaint's workflow (its result is the final `ComplaintState`)."""
    return client.get_workflow_handle(workflow_id(complaint_id), result_type=ComplaintState)


async def state(client: Client, complaint_id: str) -> ComplaintState:
    """The case as its workflow holds it now (the `state` query)."""
    result: ComplaintState = await handle(client, complaint_id).query(
        STATE_QUERY, result_type=ComplaintState
    )
    return result


async def act(
    client: Client,
    complaint_id: str,
    action: str,
    payload: Mapping[str, Any] | Input,
    identity: VerifiedIdentity | None = None,
) -> ComplaintState:
    """Run one action as an update: the new state, or `WorkflowUpdateFailedError` whose cause
    is an `ApplicationError` of type `ActionRefused` carrying the workflow's reason.

    `identity`: who sends it, as the caller verified it (the HTTP API from an API key); it
    is sealed into the payload (`sealed`). Without one, the case refuses the action."""
    arg: Any = payload if identity is None else sealed(client, payload, identity)
    result: ComplaintState = await handle(client, complaint_id).execute_update(
        action, arg, result_type=ComplaintState
    )
    return result


def sealed(
    client: Client, payload: Mapping[str, Any] | Input, identity: VerifiedIdentity
) -> RawValue:
    """`payload` carrying `identity` inside the encryption the client's codec applies (only a
    holder of the system's keys can make one: infra/codec.py). Send it as an update's or a
    signal's argument."""
    [converted] = client.data_converter.payload_converter.to_payloads([payload])
    return RawValue(seal_payload(converted, identity.to_json()))


def start_operation(
    intake: ComplaintIntake, *, task_queue: str = TASK_QUEUE, summary: str | None = None
) -> WithStartWorkflowOperation[Any, ComplaintState]:
    """The start half of filing a complaint by update-with-start of `register`: a second
    filing of the same complaint reaches the workflow already running (never two)."""
    return WithStartWorkflowOperation(
        WORKFLOW_TYPE,
        intake,
        id=workflow_id(intake.complaint_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        result_type=ComplaintState,
        static_summary=_as_filed(summary),
        static_details=INTAKE_DETAILS,
    )


def _as_filed(summary: str | None) -> str | None:
    return None if summary is None else summary + AS_FILED


async def register(
    client: Client,
    intake: ComplaintIntake,
    *,
    task_queue: str = TASK_QUEUE,
    summary: str | None = None,
) -> Registration:
    """File a complaint (update-with-start of `register`); `created` is False when the
    workflow was already running."""
    registration: Registration = await client.execute_update_with_start_workflow(
        REGISTER_UPDATE,
        start_workflow_operation=start_operation(intake, task_queue=task_queue, summary=summary),
        result_type=Registration,
    )
    return registration


async def start(
    client: Client,
    intake: ComplaintIntake,
    *,
    task_queue: str = TASK_QUEUE,
    summary: str | None = None,
    **options: Any,
) -> WorkflowHandle[Any, ComplaintState]:
    """Start a complaint's workflow without registering through an update (the demo, tests);
    `options` go to `Client.start_workflow` (id policies, timeouts)."""
    return await client.start_workflow(
        WORKFLOW_TYPE,
        intake,
        id=workflow_id(intake.complaint_id),
        task_queue=task_queue,
        result_type=ComplaintState,
        static_summary=_as_filed(summary),
        static_details=INTAKE_DETAILS,
        **options,
    )


# ---------------------------------------------------------------------------------------------
# The monthly accountability cycle

CYCLE_WORKFLOW_TYPE = "AccountabilityCycleWorkflow"
CYCLE_STATE_QUERY = "state"
CYCLE_SCHEDULE_ID = "accountability-monthly"
# The schedule's runs: Temporal appends each run's start time to this id. Since policy as data the
# schedule starts a starter, which starts the month's cycle as `accountability-<period>`.
CYCLE_SCHEDULED_WORKFLOW_ID = "accountability-cycle"
CYCLE_STARTER_WORKFLOW_TYPE = "AccountabilityMonthStarter"
CYCLE_STARTER_WORKFLOW_ID = "accountability-start"


def cycle_workflow_id(period: str) -> str:
    """The id of a cycle started by hand for one period (`YYYY-MM`)."""
    return f"accountability-{period}"


__all__ = [
    "ACTIONS",
    "ACTION_SIGNALS",
    "AS_FILED",
    "CYCLE_SCHEDULED_WORKFLOW_ID",
    "CYCLE_SCHEDULE_ID",
    "CYCLE_STARTER_WORKFLOW_ID",
    "CYCLE_STARTER_WORKFLOW_TYPE",
    "CYCLE_STATE_QUERY",
    "CYCLE_WORKFLOW_TYPE",
    "INTAKE_DETAILS",
    "REGISTER_UPDATE",
    "SEARCH_ATTRIBUTES",
    "STATE_QUERY",
    "TASK_QUEUE",
    "WORKFLOW_TYPE",
    "act",
    "complaint_id_of",
    "cycle_workflow_id",
    "handle",
    "register",
    "sealed",
    "start",
    "start_operation",
    "state",
    "workflow_id",
]
