"""The customer's say on the resolution (R-CU-3, rules 5: `Behaviour.CUSTOMER_SAYS`).

S0 提出解决方案…与客户进行沟通协商; S4 八 征求客人对处理办法的意见: before an approved
resolution is carried out, the customer is asked. Approving it (`decide_resolution`) moves the
case to the close stage and puts the resolution to the customer: a notice through the outbox
with the resolution and the last day to answer, and a clock of the policy's
`customer_response_days` working days (2 by default, R-SLA-10). While the answer is awaited
the close stage has no clock of its own (the customer's time is not the handler's) and
`close_case` is refused. The answer (`record_customer_response`, taken by whoever records a
contact or a callback):

- accepts: the resolution may be carried out; the close stage's clock starts;
- rejects, with the customer's objections: back to investigation with a new investigation
  clock, as a rejected decision goes back (R-ST-3), the objections on the timeline;
- none by the last day: the clock lapses (no breach: it is the customer's time), the timeline
  says so, and the case proceeds as if accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator

from domain import notices, sla
from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.notice_models import CustomerTemplate
from domain.sla import StageLimit
from domain.state import Clock, ClockKind, ComplaintState, CustomerResponse
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint

CLOCK = "customer:response"  # the clock of the customer's answer


class RecordCustomerResponse(Action):
    """R-CU-3: the customer's answer to the approved resolution, and how it was received."""

    response: Literal["accepts", "rejects"]
    # Required when rejecting: what the customer objects to (validated even when left out).
    objections: Text | None = Field(default=None, validate_default=True)
    method: Literal["phone", "email", "sms", "letter", "in_person", "online"] = "phone"

    @field_validator("objections")
    @classmethod
    def _objections_with_a_rejection(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("response") == "rejects":
            raise ValueError("R-CU-3: a rejection records the customer's objections")
        return value


def awaiting(s: ComplaintState) -> CustomerResponse | None:
    """The resolution put to the customer whose answer is still awaited, if any."""
    last = s.customer_responses[-1] if s.customer_responses else None
    return last if last is not None and last.answer is None else None


def ask(case: Complaint, actor: str, now: datetime) -> None:
    """The approved resolution is put to the customer: the close stage begins without its own
    clock, the customer's clock starts, and they are told the resolution and the last day."""
    s, policy = case.state, case.policy
    days = policy.sla.customer_response_days
    clock = sla.deadline_clock(
        policy,
        CLOCK,
        ClockKind.CUSTOMER,
        "the customer's response (R-CU-3)",
        now,
        StageLimit(days=days),
        rules=case.rules,
    )
    # The customer's time: nobody on the staff is warned or reminded of it.
    clock = clock.model_copy(update={"warn_at": None})
    case.enter(
        Stage.CLOSE,
        actor,
        now,
        waiting=(
            f"awaiting the customer's response until {clock.due_at.isoformat()} "
            f"(R-CU-3: {days} working day{'s' if days != 1 else ''}); its clock starts after"
        ),
    )
    case.clocks.start(clock)
    s.customer_responses.append(CustomerResponse(asked_at=now, due_at=clock.due_at))
    answer_by = notices.last_day(clock.due_at)
    told = case.outbox.words(
        CustomerTemplate.RESOLUTION_PROPOSED,
        handler=s.owner,
        resolution=s.proposed_resolution or "",
        answer_by=answer_by,
    )
    words = notices.resolution_proposed(s.complaint_id, s.proposed_resolution, answer_by)
    case.outbox.tell_customer(words, now, told, clock=CLOCK)


def lapsed(case: Complaint, clock: Clock, now: datetime) -> Clock:
    """No answer by the last day: recorded as such, and the resolution may be carried out
    (the clock ends met, never breached). The clock book moves it to the finished clocks."""
    s = case.state
    waiting = awaiting(s)
    days = case.policy.sla.customer_response_days
    if waiting is not None:
        answered = waiting.model_copy(update={"answer": "no_answer", "answered_at": now})
        s.customer_responses[-1] = answered
    case.timeline.write(
        "clock",
        "system",
        f"R-CU-3: no answer within {days} working day{'s' if days != 1 else ''} "
        f"(asked {clock.started_at.isoformat()}): the resolution may be carried out",
        now,
    )
    if s.stage is Stage.CLOSE:
        case.enter(Stage.CLOSE, "system", now)  # the close stage's own clock starts
    return clock.model_copy(update={"met_at": now})


def _refusal(case: Complaint, action: RecordCustomerResponse, now: datetime) -> str | None:
    if awaiting(case.state) is None:
        return (
            "R-CU-3: no response of the customer is awaited: the customer is asked once a "
            "resolution is approved, and answers once"
        )
    return None


def _recorded(case: Complaint, action: RecordCustomerResponse, now: datetime) -> None:
    s = case.state
    waiting = awaiting(s)
    assert waiting is not None
    s.customer_responses[-1] = waiting.model_copy(
        update={
            "answer": action.response,
            "objections": action.objections,
            "method": action.method,
            "recorded_by": action.actor,
            "answered_at": now,
        }
    )
    case.clocks.finish(CLOCK, now)
    if action.response == "accepts":
        case.enter(Stage.CLOSE, action.actor, now)  # the close stage's own clock starts
        return
    # R-ST-3's way back: a new investigation clock; the objections are on the action's entry.
    case.enter(Stage.INVESTIGATE, action.actor, now)


def close_refusal(case: Complaint) -> str | None:
    """`close_case` waits for the customer's answer or the lapse of their clock."""
    waiting = awaiting(case.state)
    if waiting is None:
        return None
    return (
        "R-CU-3: the approved resolution waits for the customer's response "
        f"(record_customer_response) or the lapse of their time on {waiting.due_at.isoformat()}"
    )


RECORD_CUSTOMER_RESPONSE = ActionDef(
    name="record_customer_response",
    payload=RecordCustomerResponse,
    description=(
        "R-CU-3: the customer's answer to the approved resolution: "
        '{"response": "accepts"|"rejects", "objections": "...", "method": "phone"}.'
    ),
    stages=frozenset({Stage.CLOSE}),
    effect=_recorded,
    topic="handling",
    check=_refusal,
    since=5,
    offered=lambda state, actor, rules: awaiting(state) is not None,
    example={"response": "accepts", "method": "phone", "note": "Called at 10:05."},
    label=("记录客户对方案的意见", "Record customer response"),
)

DEFINITIONS = (RECORD_CUSTOMER_RESPONSE,)
