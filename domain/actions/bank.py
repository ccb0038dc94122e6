"""The bank channel: the outlet hands over to the insurer (R-CR-4), the policy is classed
(R-CR-3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from domain import intake_rules, notices, versions
from domain.actions.base import OPEN, STAGE_FIRST, Action, ActionDef
from domain.actions.handover import start_handoff
from domain.fields import Name, Text
from domain.intake import recusal
from domain.notice_models import CustomerTemplate
from domain.state import ComplaintState, ConductEvent, PolicyClassification
from domain.versions import Behaviour

if TYPE_CHECKING:
    from domain.case import Complaint


class TransferToInsurer(Action):
    """R-CR-4: a bank outlet that cannot settle on the spot hands the case to the insurer,
    which handles it within a deadline (working days)."""

    insurer: Name
    days: Annotated[int, Field(ge=1, le=30)]
    requirements: Text | None = None
    # R-CR-12 (rules 5, required there): the insurer's person who owns the case from now on;
    # the outlet's person stays on it as its first receiver.
    owner: Name | None = None


class ClassifyPolicy(Action):
    """R-CR-3: a bank-channel policy classed from the two key facts, or from proof of
    mis-selling; flawed and problem policies go to the insurer for accommodation within
    `days` working days."""

    signed_personally: bool | None = None
    callback_compliant: bool | None = None  # the insurer's callback succeeded and was compliant
    mis_selling_proof: Text | None = None
    insurer: Name | None = None
    days: Annotated[int, Field(ge=1, le=30)] | None = None
    # R-AC-6: the outlet's person who misled the customer (flawed or problem policies only)
    misled_by: Name | None = None

    @model_validator(mode="after")
    def _facts_or_proof(self) -> ClassifyPolicy:
        if self.mis_selling_proof is None and (
            self.signed_personally is None or self.callback_compliant is None
        ):
            raise ValueError(
                "R-CR-3: classify from both key facts (signed_personally, callback_compliant) "
                "or from mis_selling_proof"
            )
        return self


def _hand_over_refusal(case: Complaint, action: TransferToInsurer, now: datetime) -> str | None:
    s = case.state
    if s.channel not in intake_rules.BANK_CHANNELS:
        return "R-CR-4: only a complaint made at a bank outlet is handed to the insurer"
    if any(h.kind == "outlet" for h in s.handoffs):
        return "R-CR-4: the outlet already handed this complaint to the insurer"
    if versions.has(case.rules, Behaviour.INSURER_OWNS):
        return _insurer_owner_refusal(case, action)
    return None


def _insurer_owner_refusal(case: Complaint, action: TransferToInsurer) -> str | None:
    """R-CR-12: the hand-over names the insurer's person who owns the case; never one of the
    outlet's people, nor one the complaint is about (R-CU-6)."""
    s = case.state
    if action.owner is None:
        return (
            "R-CR-12: name the insurer's person who owns the case from now on (owner); the "
            "outlet's person stays on it as its first receiver"
        )
    if action.owner in intake_rules.outlet_people(s):
        return (
            f"R-CR-12: {action.owner} is the bank outlet's person; the owner after the "
            "hand-over is a person of the insurer"
        )
    return recusal(case.intake.staff_complained_about, action.owner, "owner")


def _handed_over(case: Complaint, action: TransferToInsurer, now: datetime) -> None:
    """R-CR-4: the outlet could not settle it on the spot: the insurer handles it by a
    deadline; the customer is told the time arrangement, never an outcome."""
    outlet = case.state.bank_outlet
    bank, name = (outlet.bank, outlet.outlet) if outlet else ("the bank", "outlet")
    clock = start_handoff(
        case, "outlet", action.insurer, action.requirements, action.actor, now, days=action.days
    )
    words = intake_rules.outlet_handed_over(bank, name, action.insurer, clock.due_at)
    told = case.outbox.words(
        CustomerTemplate.HANDED_TO_INSURER,
        insurer=action.insurer,
        bank=outlet.bank if outlet else None,
        outlet=outlet.outlet if outlet else None,
        contact_by=notices.last_day(clock.due_at),
    )
    case.outbox.tell_customer(words, now, told, clock=clock.key)
    if versions.has(case.rules, Behaviour.INSURER_OWNS):
        _insurer_owns(case, action, now)


def _insurer_owns(case: Complaint, action: TransferToInsurer, now: datetime) -> None:
    """R-CR-12: the insurer's person owns the case (and hears of its clocks); the outlet's
    person stays its first receiver (R-IN-3), told when the hand-over is overdue."""
    s = case.state
    assert action.owner is not None  # the gate refused otherwise
    s.owner = action.owner
    case.timeline.write(
        "action",
        action.actor,
        f"R-CR-12: {action.owner} of {action.insurer} owns the case from now on; the outlet's "
        f"{s.first_receiver} stays on it as its first receiver (首问负责制)",
        now,
    )


def _classify_refusal(case: Complaint, action: ClassifyPolicy, now: datetime) -> str | None:
    if case.state.channel not in intake_rules.BANK_CHANNELS:
        return "R-CR-3: only a bank-channel policy is classed normal, flawed or problem"
    kind, _ = intake_rules.classify(
        action.signed_personally, action.callback_compliant, action.mis_selling_proof
    )
    if intake_rules.referred(kind) and (action.insurer is None or action.days is None):
        return (
            f"R-CR-3: a {kind.value} policy is referred to the insurer for "
            "accommodation: give the insurer and the deadline in days"
        )
    if action.misled_by is not None and not intake_rules.referred(kind):
        return (
            "R-AC-6: misled_by names who misled the customer into a flawed or problem "
            "policy; this one classes normal"
        )
    return None


def _classified(case: Complaint, action: ClassifyPolicy, now: datetime) -> None:
    """R-CR-3: the facts, the class and who decided; flawed and problem policies go to the
    insurer for accommodation with a deadline, and the customer hears by when."""
    s = case.state
    kind, basis = intake_rules.classify(
        action.signed_personally, action.callback_compliant, action.mis_selling_proof
    )
    s.policy_classifications.append(
        PolicyClassification(
            signed_personally=action.signed_personally,
            callback_compliant=action.callback_compliant,
            mis_selling_proof=action.mis_selling_proof,
            policy_class=kind,
            basis=basis,
            decided_by=action.actor,
            decided_at=now,
        )
    )
    if action.misled_by is not None:  # R-AC-6: the gate let it through for flawed/problem
        s.conduct_events.append(
            ConductEvent(
                seq=case.timeline.last_seq,
                person=action.misled_by,
                kind="mis_selling",
                detail=f"{kind.value} policy: {basis}",
                recorded_by=action.actor,
                recorded_at=now,
            )
        )
    misled = f"; R-AC-6: {action.misled_by} misled the customer" if action.misled_by else ""
    case.timeline.write(
        "action",
        action.actor,
        f"R-CR-3: policy classed {kind.value} ({basis}), decided by {action.actor}{misled}",
        now,
    )
    open_referral = any(h.kind == "referral" and h.completed_at is None for h in s.handoffs)
    if not intake_rules.referred(kind) or open_referral:
        return
    assert action.insurer is not None and action.days is not None  # the gate refused else
    clock = start_handoff(
        case,
        "referral",
        action.insurer,
        f"accommodation of a {kind.value} policy: {basis}",
        action.actor,
        now,
        days=action.days,
    )
    told = case.outbox.words(
        CustomerTemplate.REFERRED_TO_INSURER,
        insurer=action.insurer,
        contact_by=notices.last_day(clock.due_at),
    )
    case.outbox.tell_customer(
        intake_rules.referred_for_accommodation(action.insurer, clock.due_at),
        now,
        told,
        clock=clock.key,
    )


def _may_hand_over(s: ComplaintState, actor: str | None, rules: int) -> bool:
    return s.channel in intake_rules.BANK_CHANNELS and not any(
        h.kind == "outlet" for h in s.handoffs
    )


TRANSFER_TO_INSURER = ActionDef(
    name="transfer_to_insurer",
    payload=TransferToInsurer,
    description=(
        'Bank outlet (R-CR-4): {"insurer": "...", "days": 3}; rules 5 (R-CR-12): "owner", '
        "the insurer's person who owns the case from then on."
    ),
    stages=OPEN,
    effect=_handed_over,
    topic="hand-offs and the bank channel",
    check=_hand_over_refusal,
    since=3,
    asks=STAGE_FIRST,
    offered=_may_hand_over,
    example={"insurer": "Pacific Life Shanghai", "days": 3, "owner": "chen.jie"},
    label=("移交保险公司", "Transfer to insurer"),
)

CLASSIFY_POLICY = ActionDef(
    name="classify_policy",
    payload=ClassifyPolicy,
    description=(
        'R-CR-3: {"signed_personally": bool, "callback_compliant": bool} or '
        '{"mis_selling_proof": "..."}; flawed/problem: "insurer", "days"; R-AC-6: "misled_by".'
    ),
    stages=OPEN,
    effect=_classified,
    topic="hand-offs and the bank channel",
    check=_classify_refusal,
    since=3,
    asks=STAGE_FIRST,
    offered=lambda s, actor, rules: s.channel in intake_rules.BANK_CHANNELS,
    example={"signed_personally": True, "callback_compliant": True},
    label=("保单定性", "Classify policy"),
)

DEFINITIONS = (TRANSFER_TO_INSURER, CLASSIFY_POLICY)
