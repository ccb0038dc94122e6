"""The bank channel and the intake rules, pure: which channel is which
level (R-IN-1), the policy classes of the bank channel (R-CR-3), the hand-offs with their own
clocks (a transfer 转办 R-IN-5, a bank outlet's hand-over to the insurer R-CR-4, a flawed or
problem policy's referral for accommodation R-CR-3), and what the customer is told of them (a
time arrangement, never a promise).

Everything here came with rules 3; the actions that use it are `domain.actions.handover`,
`domain.actions.bank` and `domain.actions.amount` (a case of older rules refuses them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import notices, sla
from domain.fields import Derived
from domain.intake import RepeatOf
from domain.sla import HandlingPolicy, SlaPolicy, StageLimit
from domain.state import Clock, ClockKind, ComplaintState, Handoff, PolicyClass
from domain.vocabulary import Channel

# R-CR-3, R-CR-4: the channel whose policies are classed and whose outlets hand over.
BANK_CHANNELS = frozenset({Channel.BANK_OUTLET})

# R-CR-2, R-CR-4: words a notice to the customer about a hand-over must never hold: it tells
# the time arrangement, never an outcome (compensation, a guaranteed result).
PROMISE_WORDS = (
    "promise",
    "guarantee",
    "compensat",
    "refund",
    "will be paid",
    "we will pay",
    "赔偿",
    "承诺",
    "保证",
    "退保",
    "赔付",
)


class ClosedCase(Derived):
    """R-IN-6: the newest closed case of a customer about a policy, as the ledger knows it."""

    complaint_id: str
    channel: Channel
    decided_at: datetime  # when its decision reached the customer
    times: int  # how many times it was complained: itself and its repeats


def repeat_of(received_at: datetime, closed: ClosedCase | None, sla: SlaPolicy) -> RepeatOf | None:
    """R-IN-6 (rules 3): a complaint of the same customer about the same policy as a case
    closed within its review window (R-IN-7: `review_window_days` of the policy in force,
    after the decision) repeats it: the new case links to it and counts its complaints
    (R-AN-5: 3 or more times). None: no such case, or its window had ended."""
    if closed is None:
        return None
    window = timedelta(days=sla.review_window_days) / sla.speed
    if received_at > closed.decided_at + window:
        return None
    return RepeatOf(
        complaint_id=closed.complaint_id, channel=closed.channel, times_before=closed.times
    )


def channel_level(channel: Channel) -> str | None:
    """R-IN-1: the regulator's level a channel names (None: not the regulator, or the old
    `regulator` value that does not say)."""
    return {
        Channel.REGULATOR_PROVINCIAL: "provincial",
        Channel.REGULATOR_NATIONAL: "national",
    }.get(channel)


def classify(
    signed_personally: bool | None, callback_compliant: bool | None, proof: str | None
) -> tuple[PolicyClass, str]:
    """R-CR-3 (S1 事中处理 6): normal when the policyholder signed personally AND the
    callback succeeded compliantly; flawed (瑕疵件) when one of them fails; problem (问题件)
    when both fail, or on proof of mis-selling. The class and the reason for it."""
    if proof is not None:
        return PolicyClass.PROBLEM, "proof of mis-selling"
    assert signed_personally is not None and callback_compliant is not None
    failed = [
        what
        for what, ok in (
            ("signature not the policyholder's own", signed_personally),
            ("callback failed or not compliant", callback_compliant),
        )
        if not ok
    ]
    if not failed:
        return PolicyClass.NORMAL, "signed personally and callback succeeded compliantly"
    kind = PolicyClass.PROBLEM if len(failed) == 2 else PolicyClass.FLAWED
    return kind, " and ".join(failed)


def referred(policy_class: PolicyClass) -> bool:
    """R-CR-3: flawed and problem policies go to the insurer for accommodation."""
    return policy_class is not PolicyClass.NORMAL


def handoff_clock(
    p: HandlingPolicy,
    key: str,
    label: str,
    start: datetime,
    *,
    days: int | None = None,
    hours: float | None = None,
    rules: int,
) -> Clock:
    """A hand-over's own deadline in working time, with a warning and a breach like a stage's
    (R-SLA-4); `key` is `handoff:<handoff key>`."""
    limit = StageLimit(days=days) if days is not None else StageLimit(hours=hours)
    return sla.deadline_clock(p, key, ClockKind.HANDOFF, label, start, limit, rules=rules)


def next_key(state: ComplaintState, kind: str) -> str:
    """`transfer-1`, `outlet-1`, `referral-2`, ...: numbered per kind, in order."""
    return f"{kind}-{sum(1 for h in state.handoffs if h.kind == kind) + 1}"


def handoff(
    key: str, kind: str, to: str, requirements: str | None, actor: str, clock: Clock
) -> Handoff:
    return Handoff.model_validate(
        {
            "key": key,
            "kind": kind,
            "to": to,
            "requirements": requirements,
            "started_by": actor,
            "started_at": clock.started_at,
            "due_at": clock.due_at,
        }
    )


# ---------------------------------------------------------------------------------------------
# Words: what the customer and the receiving side are told


def outlet_handed_over(bank: str, outlet: str, insurer: str, due: datetime) -> notices.Words:
    """R-CR-4: the customer is told the time arrangement, never an outcome."""
    return (
        "投诉已转保险公司处理 / complaint passed to the insurer",
        f"Your complaint made at {bank} {outlet} has been passed to {insurer} for handling. "
        f"{insurer} will contact you about it by {notices.last_day(due):%Y-%m-%d}.",
    )


def referred_for_accommodation(insurer: str, due: datetime) -> notices.Words:
    """R-CR-3: a flawed or problem policy is with the insurer; the customer hears by when."""
    return (
        "保单已转保险公司协调处理 / policy referred to the insurer",
        f"The facts of your policy have been referred to {insurer} for review. You will hear "
        f"from {insurer} about the next steps by {notices.last_day(due):%Y-%m-%d}.",
    )


def transferred(
    complaint_id: str, department: str, requirements: str, due: datetime
) -> notices.Words:
    """R-IN-5: the receiving department's owner gets the requirements and the deadline."""
    return (
        f"转办 / complaint {complaint_id} transferred to {department}",
        f"Complaint {complaint_id} is transferred to {department}. Requirements: "
        f"{requirements} Due by {due.isoformat()}.",
    )


def promises_in(text: str) -> list[str]:
    """The promise words a text holds (the tests and the state machine check every hand-over
    notice to a customer with it)."""
    lowered = text.lower()
    return [w for w in PROMISE_WORDS if w in lowered]


def outlet_people(state: ComplaintState) -> set[str]:
    """R-CR-12: the bank outlet's people on a case: its first receiver (the person who took
    the complaint at the outlet, R-IN-3) and the outlet's responsible person (R-CR-4)."""
    outlet = state.bank_outlet
    people = {state.first_receiver, outlet.responsible_person if outlet else None}
    return {p for p in people if p is not None}


def handed_to_insurer(state: ComplaintState) -> bool:
    """R-CR-4: the bank outlet handed the case to the insurer."""
    return any(h.kind == "outlet" for h in state.handoffs)


def owner_refusal(state: ComplaintState, owner: str | None) -> str | None:
    """R-CR-12 (rules 5): once the outlet handed the case over, the insurer is its final owner
    (S1: 不能替代保险公司成为…最终责任人): none of the outlet's people owns it again."""
    if owner is not None and handed_to_insurer(state) and owner in outlet_people(state):
        return (
            f"R-CR-12: {owner} is the bank outlet's person (its first receiver); after the "
            "hand-over the case is owned by a person of the insurer"
        )
    return None
