"""The complaint under any sequence of events: a hypothesis state machine over the pure case.

Random sequences of every action by every role (valid and invalid), clock advances across
nights, weekends, statutory holidays and make-up working days (China's 2026 calendar), pauses,
extensions, same-day orders, special grading, crisis, reassignment, withdrawal, callbacks,
reviews, repeats, continue-as-new and a calendar published under a running case. After every
step the invariants below, written from the rules, must hold. No server: milliseconds a step.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from pydantic import ValidationError

from domain import crisis, grading, intake_rules, outside_bodies, versions
from domain.actions import ACTION_MODELS, Action, Who, amount, bank, customer_response, handover
from domain.actions import ACTIONS as DEFINITIONS
from domain.actions.base import LEADERS
from domain.actions.extension import DecideExtension, pending
from domain.actions.pause import ResumeClock
from domain.calendar import WorkCalendar, is_working_instant, next_working_instant
from domain.calendar_data import china_calendar
from domain.case import RULES, Complaint, Refused
from domain.identity import VerifiedIdentity
from domain.intake import ComplaintIntake
from domain.notice_models import CustomerTemplate, NoticeKind, Notification
from domain.notices import last_day, last_whole_day
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ClockKind, PolicyClass
from domain.versions import Behaviour
from domain.vocabulary import Channel, Grade, Role, Stage
from tests.identities import act as sealed_act
from tests.identities import verified

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar([2026])  # 2027 is not published: deadlines there are provisional
POLICY = HandlingPolicy(calendar=CAL, sla=SlaPolicy())
PUBLISHED = HandlingPolicy(
    calendar=WorkCalendar(**{**CAL.model_dump(), "known_years": (2026, 2027)}), sla=SlaPolicy()
)

# Starts near the 2026 holidays and their make-up working days, on a Friday evening, and at
# the year's end (into the unpublished 2027).
STARTS = [
    datetime(2026, 9, 17, 17, 30, tzinfo=SH),  # before the make-up Sunday 09-20
    datetime(2026, 9, 24, 16, 45, tzinfo=SH),  # before Mid-Autumn (09-25..27) and National Day
    datetime(2026, 9, 30, 11, 50, tzinfo=SH),  # the eve of National Day; make-up Sat 10-10
    datetime(2026, 2, 13, 17, 59, tzinfo=SH),  # before Spring Festival; make-up Sat 02-14
    datetime(2026, 3, 13, 17, 45, tzinfo=SH),  # a plain Friday evening
    datetime(2026, 12, 24, 10, 0, tzinfo=SH),  # a stage crossing into 2027: provisional
]
ACTOR = {
    Role.HANDLER: "li.na",
    Role.SUPERVISOR: "wang.qiang",
    Role.SENIOR_MANAGER: "zhou.hq",
    Role.SYSTEM: "callcentre",
    Role.AUDITOR: "audit.zhou",
    Role.REVIEW_GROUP: "review.group",
    Role.ADMIN: "admin.chen",
}
ACTOR_FIELDS = {"actor": "li.na", "role": "handler"}
ACTIONS = sorted(ACTION_MODELS)
# The bank channel's and intake rules' hand-overs (rules 3), drawn by a rule of their own.
HAND_OVERS = sorted(d.name for m in (handover, bank, amount) for d in m.DEFINITIONS)
# Drawn more often: the actions whose interplay the rules are about (a withdrawal ends it all).
WEIGHTED = [
    *ACTIONS,
    *["request_extension", "decide_extension", "pause_clock", "resume_clock"] * 3,
    *["expedite", "escalate_crisis", "record_callback", "request_review", "record_repeat"],
    *["report_crisis", "record_early_signs", "record_group_event", "record_conduct"],
    *["call_insurer_on_site", "insurer_on_site", "record_crisis_review"],
]
OPEN = {Stage.CONTACT, Stage.INVESTIGATE, Stage.APPROVE, Stage.CLOSE, Stage.CALLBACK}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Mostly verified senders; now and then one that must not count (R-AC-1).
SENDERS = ["verified"] * 6 + [
    "unsealed",
    "another person",
    "another case",
    "another action",
    "used before",
    "stale",
    "another branch",
]


@st.composite
def intakes(draw: st.DrawFn) -> tuple[datetime, ComplaintIntake]:
    now = draw(st.sampled_from(STARTS))
    earlier = draw(st.sampled_from([timedelta(0), timedelta(minutes=40), timedelta(hours=20)]))
    deadlines = st.fixed_dictionaries(
        {
            "contact_hours": st.sampled_from([0.5, 3, 12]),
            "investigate_days": st.integers(1, 12),
            "approve_days": st.integers(1, 4),
        }
    )
    crisis = draw(
        st.none()
        | st.fixed_dictionaries(
            {"people_count": st.integers(1, 8), "media": st.booleans(), "regulator": st.booleans()}
        )
    )
    intake = ComplaintIntake.model_validate(
        {
            "complaint_id": "M1",
            "channel": draw(st.sampled_from([*Channel, *[Channel.BANK_OUTLET] * 3])),  # R-CR-3/4
            "received_at": now - earlier,
            "branch": "Shanghai Pudong",
            "owner": "li.na",
            "supervisor": draw(st.sampled_from(["wang.qiang", None])),
            "customer": {"name": "张伟", "phone": "13812345678"},
            "category": "claims settlement",
            "matter": "Claim unpaid.",
            "demands": "Pay it.",
            "grade": draw(st.sampled_from(list(Grade))),
            "crisis": crisis,
            # R-GR-1: with or without a special grade (the API pairs them; a workflow started
            # directly may not).
            "special_deadlines": draw(st.none() | deadlines),
            # Rules 3: the bank outlet and the amount involved (R-IN-1, R-IN-8).
            "bank_outlet": draw(st.none() | st.just({"bank": "工商银行", "outlet": "浦东支行"})),
            "amount_involved": draw(st.none() | st.just({"amount": "12000.50"})),
            # R-CU-6 (rules 5): the complaint is about a colleague, never made its handler
            "staff_complained_about": draw(st.sampled_from([[], ["zhao.min"]])),
            # R-ST-8 (rules 5): the department head named at intake, or not (named later)
            "department_head": draw(st.sampled_from([None, "sun.hao"])),
        }
    )
    return now, intake


def payload(name: str, case: Complaint, now: datetime, data: st.DataObject) -> dict[str, Any]:
    """Fields for an action: mostly plausible, sometimes out of place or out of range."""
    stage_clock = case.state.clock(f"stage:{case.state.stage.value}")
    due = stage_clock.due_at if stage_clock else now
    later = st.sampled_from([-1, 1, 2, 6, 20, 45]).map(
        lambda days: (due + timedelta(days=days)).isoformat()
    )
    fields: dict[str, st.SearchStrategy[Any]] = {
        "record_contact": st.fixed_dictionaries({"method": st.sampled_from(["phone", "visit"])}),
        "submit_investigation": st.fixed_dictionaries(
            {"findings": st.just("f"), "proposed_resolution": st.just("pay 500 yuan")},
            optional={
                "difficulty": st.sampled_from(["coverage", "loss_assessment"]),
                "report_to": st.just("claims.tech"),  # R-ST-1 (rules 5): the department
            },
        ),
        "decide_resolution": st.fixed_dictionaries(
            {"approved": st.booleans()},
            optional={
                "collective": st.booleans(),
                "participants": st.lists(st.sampled_from(["wang.qiang", "zhao.min", "sun.hao"])),
            },
        ),
        "close_case": st.just({"result": "paid"}),
        # R-CU-3 (rules 5): the customer's answer, a rejection sometimes without its objections
        "record_customer_response": st.fixed_dictionaries(
            {"response": st.sampled_from(["accepts", "rejects"])},
            optional={
                "objections": st.just("the amount is too low"),
                "method": st.sampled_from(["phone", "email", "in_person"]),
            },
        ),
        # Rules 5: R-GR-4's decision, R-ST-8's department head.
        "decline_crisis": st.just({"reason": "asked once, no story ran"}),
        "record_outside_contact": st.fixed_dictionaries(
            {
                "body": st.sampled_from(["regulator", "government", "media"]),
                "note": st.just("a reporter asked about the claim"),
            }
        ),
        "name_department_head": st.fixed_dictionaries(
            {"head": st.sampled_from(["sun.hao", "zhao.min"])}
        ),
        "record_callback": st.fixed_dictionaries(
            {"satisfied": st.booleans()}, optional={"new_demand": st.just("refund the fee")}
        ),
        "request_extension": st.fixed_dictionaries(
            {"new_due_at": later, "reason": st.just("appraisal")},
            optional={"regulatory_days": st.sampled_from([30, 60])},
        ),
        "decide_extension": st.fixed_dictionaries(
            {"approved": st.booleans()},
            optional={"new_due_at": later, "regulatory_days": st.sampled_from([30, 60])},
        ),
        "escalate_crisis": st.fixed_dictionaries(
            {"reasons": st.just(["customers at the outlet"]), "people_count": st.integers(1, 9)}
        ),
        "report_crisis": st.fixed_dictionaries(
            {
                "level": st.sampled_from(["superior", "headquarters", "regulator", "early_signs"]),
                "summary": st.just("s"),
            },
            optional={"to": st.just("csrc.contact"), "attachments": st.just(["e1"])},
        ),
        # Rules 3, crisis in full: domain/crisis.py.
        "acknowledge_script": st.just({}),
        "record_conduct": st.fixed_dictionaries(
            {
                "person": st.sampled_from(["zhao.min", "li.na"]),
                "kind": st.sampled_from(["unauthorised_promise", "disclosure", "media_interview"]),
            }
        ),
        # R-CU-5 (rules 5): the apology of a person at fault
        "record_apology": st.fixed_dictionaries(
            {
                "person": st.sampled_from(["zhao.min", "li.na"]),
                "method": st.sampled_from(["phone", "letter"]),
            }
        ),
        "flag_customer": st.fixed_dictionaries(
            {
                "flags": st.lists(
                    st.sampled_from(["vulnerable", "violent", "group_risk"]), min_size=1, max_size=2
                )
            }
        ),
        "record_early_signs": st.fixed_dictionaries(
            {"detail": st.just("twenty customers gathering"), "people_count": st.integers(1, 30)}
        ),
        "record_police_contact": st.just({"police": "Pudong police station"}),
        "record_group_event": st.fixed_dictionaries(
            {"commander": st.just("zhou.hq"), "people_count": st.integers(5, 50)}
        ),
        "designate_special": st.fixed_dictionaries(
            {
                "deadlines": st.fixed_dictionaries(
                    {
                        "contact_hours": st.sampled_from([0.5, 3, 12]),
                        "investigate_days": st.integers(1, 12),
                        "approve_days": st.integers(1, 4),
                    }
                )
            }
        ),
        "expedite": st.fixed_dictionaries({"minutes": st.sampled_from([1, 30, 90, 600])}),
        "pause_clock": st.fixed_dictionaries(
            {"reason": st.sampled_from(["appraisal", "testing", "loss_assessment"])}
        ),
        "resume_clock": st.just({}),
        "request_review": st.just({"reason": "the garage overcharged"}),
        "reassign": st.fixed_dictionaries(
            {},
            optional={
                "owner": st.sampled_from(["zhao.min", "li.na"]),
                "department": st.just("claims"),
                "supervisor": st.just("sun.hao"),
            },
        ),
        "withdraw": st.fixed_dictionaries({}, optional={"reason": st.just("settled")}),
        "record_repeat": st.fixed_dictionaries(
            {"channel": st.sampled_from(list(Channel))},
            optional={"new_facts": st.just("a new invoice")},
        ),
        # R-SLA-10: a closure of the branch, from today to a few days on (or already over)
        "announce_closure": st.builds(
            lambda start, days, key: {
                "closure_key": key,
                "reason": "typhoon",
                "first_day": (now + timedelta(days=start)).date().isoformat(),
                "last_day": (now + timedelta(days=start + days)).date().isoformat(),
            },
            st.integers(-2, 6),
            st.integers(0, 3),
            st.sampled_from(["c1", "c2", "c3"]),
        ),
        # Rules 3: the bank channel and the intake rules
        "transfer": st.fixed_dictionaries(
            {"department": st.just("理赔部"), "requirements": st.just("re-assess")},
            optional={
                "days": st.integers(1, 5),
                "hours": st.sampled_from([0.5, 4]),
                "owner": st.just("zhao.min"),
                "branch": st.just("Shanghai Minhang"),
                "via": st.sampled_from(["media", "regulator_provincial", "online"]),  # R-GR-4
            },
        ),
        "complete_transfer": st.fixed_dictionaries(
            {
                "transfer": st.sampled_from([h.key for h in case.state.handoffs] + ["transfer-9"]),
                "outcome": st.just("done"),
            }
        ),
        "transfer_to_insurer": st.fixed_dictionaries(
            {"insurer": st.just("太平洋人寿"), "days": st.integers(1, 5)},
            # R-CR-12 (rules 5): the insurer's person (li.na: the outlet's, refused)
            optional={"owner": st.sampled_from(["chen.jie", "li.na", "zhao.min"])},
        ),
        # Rules 5: the insurer on site (R-CR-10), after the crisis (R-CR-11)
        "call_insurer_on_site": st.fixed_dictionaries(
            {"person": st.just("chen.jie"), "soothing": st.just("script read twice")}
        ),
        "insurer_on_site": st.fixed_dictionaries({}, optional={"person": st.just("chen.jie")}),
        "record_media_report": st.just({"media": "Xinmin", "detail": "page 7"}),
        "record_crisis_review": st.just(
            {
                "causes": "old leaflet",
                "what_was_done": "came on site",
                "screening_changes": "monthly",
            }
        ),
        "classify_policy": st.fixed_dictionaries(
            {},
            optional={
                "signed_personally": st.booleans(),
                "callback_compliant": st.booleans(),
                "mis_selling_proof": st.just("recording"),
                "insurer": st.just("太平洋人寿"),
                "days": st.integers(1, 5),
            },
        ),
        "correct_amount": st.fixed_dictionaries(
            {"amount": st.sampled_from(["0", "12.50", "99999.99"]), "reason": st.just("invoice")}
        ),
    }
    return data.draw(fields[name], label=name)


ADVANCES = st.one_of(
    st.builds(timedelta, minutes=st.integers(1, 180)),
    st.builds(timedelta, hours=st.integers(1, 36)),
    st.builds(timedelta, days=st.integers(1, 12)),
    st.sampled_from(["next alarm", "09:00", "12:00", "18:00", "midnight"]),
)


def closing_steps(
    case: Complaint, *, settle: bool = True, approve: bool = False
) -> tuple[str, Action] | None:
    """The next step of a legal sequence that closes any open case (liveness). `settle`:
    resume a paused clock and decide a pending extension first (`approve` it, or deny it)."""
    s = case.state
    handler = {"actor": "li.na", "role": "handler"}
    supervisor = {"actor": "wang.qiang", "role": "supervisor"}
    senior = {"actor": "zhou.hq", "role": "senior_manager"}  # R-SLA-7: may grant 60 days too
    if settle and any(c.paused_at is not None for c in s.clocks):
        return "resume_clock", ResumeClock(**handler)
    if settle and pending(s, case.rules) is not None:
        return "decide_extension", DecideExtension(**senior, approved=approve)
    step: dict[Stage, tuple[str, dict[str, Any]]] = {
        Stage.CONTACT: ("record_contact", handler),
        Stage.INVESTIGATE: (
            "submit_investigation",
            {**handler, "findings": "f", "proposed_resolution": "r"},
        ),
        Stage.APPROVE: (
            "decide_resolution",
            {
                **supervisor,
                "approved": True,
                "collective": True,
                # R-ST-8 (rules 5): with the department head (a major case names one first)
                "participants": ["wang.qiang", "zhao.min", *filter(None, [s.department_head])],
            },
        ),
        Stage.CLOSE: ("close_case", {**handler, "result": "done"}),
        Stage.CALLBACK: ("record_callback", {**handler, "satisfied": True}),
    }
    if s.stage not in step:
        return None
    if s.stage is Stage.APPROVE and _needs_department_head(case):
        step[Stage.APPROVE] = ("name_department_head", {**supervisor, "head": "sun.hao"})
    if customer_response.awaiting(s) is not None:  # R-CU-3 (rules 5): the customer accepts
        step[Stage.CLOSE] = ("record_customer_response", {**handler, "response": "accepts"})
    name, fields = step[s.stage]
    return name, ACTION_MODELS[name].model_validate(fields)


def _needs_department_head(case: Complaint) -> bool:
    """R-ST-8 (rules 5): a major or crisis case names its department head before approval."""
    s = case.state
    return (
        versions.has(case.rules, Behaviour.DEPARTMENT_HEAD_DECIDES)
        and (s.crisis or s.grade is not Grade.GENERAL)
        and s.department_head is None
    )


class CaseMachine(RuleBasedStateMachine):
    case: Complaint
    now: datetime

    # -----------------------------------------------------------------------------------------
    # Steps

    @initialize(start=intakes(), ahead=st.integers(0, 6))
    def accept(self, start: tuple[datetime, ComplaintIntake], ahead: int) -> None:
        """A new case, sometimes already moved `ahead` stages along the usual path, so that
        every stage is as often the starting point of odd sequences as the first one."""
        self.now, intake = start
        self.case = Complaint.accept(intake, POLICY, self.now, workflow_id="complaint-M1")
        self.told: list[Notification] = []
        self.sealed: list[VerifiedIdentity] = []
        self.breached: dict[tuple[str, datetime], datetime] = {}  # each clock's first breach
        # R-ST-8: (department head, participants) of each approval of a major or crisis case
        self.major_approvals: list[tuple[str | None, list[str]]] = []
        self._settle()
        for _ in range(ahead):
            step = closing_steps(self.case)
            if step is None:
                break
            self.advance(timedelta(hours=3))
            before = self.case.snapshot()
            if sealed_act(self.case, *step, self.now):
                self._check_department_head(*step, before)
            self._settle()

    @rule(
        data=st.data(),
        request_id=st.none() | st.sampled_from(["r1", "r2"]),
        sender=st.sampled_from(SENDERS),
    )
    def act(self, data: st.DataObject, request_id: str | None, sender: str) -> None:
        """An action by a role: two times in three the one that moves the case on, so that deep
        stages (callback, closed, reviews) are reached as well as odd orders tried."""
        settle, approve = data.draw(st.booleans(), "settle"), data.draw(st.booleans(), "approve")
        on = closing_steps(self.case, settle=settle, approve=approve)
        if on is not None and data.draw(st.integers(0, 2), label="move on") > 0:
            name, role = on[0], on[1].role
        else:
            name = data.draw(st.sampled_from(WEIGHTED), label="action")
            leader = DEFINITIONS[name].who is Who.LEADER and data.draw(st.booleans(), label="lead")
            roles = sorted(LEADERS) if leader else list(Role)
            role = data.draw(st.sampled_from(roles), "role")
        fields = payload(name, self.case, self.now, data)
        fields.update(actor=ACTOR[role], role=role.value)
        if request_id is not None:
            fields["request_id"] = request_id
        before = self.case.snapshot()
        refused: Refused | None
        try:
            action = ACTION_MODELS[name].model_validate(fields)
        except ValidationError as err:  # the shell refuses what does not decode, the same way
            refused = self.case.refuse(name, "unknown", f"invalid payload: {err}", self.now)
        else:
            sealed = self._sender(sender, name, action)
            taken = False
            try:
                taken = self.case.act(name, action, self.now, sealed)
                refused = None
            except Refused as err:
                refused = err
            if sender != "verified" and taken:
                raise AssertionError(f"R-AC-1: an action with a {sender} identity was taken")
            if taken:
                self._check_department_head(name, action, before)
            # A repeated request id is a no-op before the seal is read: its nonce is not used.
            if sealed is not None and (taken or refused is not None):
                self.sealed.append(sealed)
        if refused is not None:
            self._only_the_timeline_changed(before)
        self._settle()

    @rule(data=st.data(), name=st.sampled_from(HAND_OVERS))
    def hand_over(self, data: st.DataObject, name: str) -> None:
        """Rules 3: a verified handler transfers, hands over to the insurer,
        classifies the policy, completes a hand-over or corrects the amount (drawn often
        enough among all actions to reach their interplay with the stages)."""
        fields = payload(name, self.case, self.now, data) | ACTOR_FIELDS
        try:
            action = ACTION_MODELS[name].model_validate(fields)
        except ValidationError:
            return  # `act` tries those
        before = self.case.snapshot()
        try:
            sealed_act(self.case, name, action, self.now)
        except Refused:
            self._only_the_timeline_changed(before)
        self._settle()

    @rule(
        head=st.sampled_from([None, "sun.hao", "zhao.min"]),
        participants=st.lists(
            st.sampled_from(["wang.qiang", "zhao.min", "sun.hao"]), min_size=2, max_size=4
        ),
    )
    def department_head(self, head: str | None, participants: list[str]) -> None:
        """R-ST-8 (rules 5): a verified supervisor names the department head (or names none),
        and a collective approval is tried with participants that may leave them out."""
        supervisor = {"actor": "wang.qiang", "role": "supervisor"}
        steps: list[tuple[str, dict[str, Any]]] = [
            (
                "decide_resolution",
                {"approved": True, "collective": True, "participants": participants},
            )
        ]
        if head is not None:
            steps.insert(0, ("name_department_head", {"head": head}))
        for name, fields in steps:
            action = ACTION_MODELS[name].model_validate(fields | supervisor)
            before = self.case.snapshot()
            try:
                sealed_act(self.case, name, action, self.now)
                self._check_department_head(name, action, before)
            except Refused:
                self._only_the_timeline_changed(before)
            self._settle()

    @rule(body=st.sampled_from(["regulator", "government", "media"]))
    def outside_contact(self, body: str) -> None:
        """R-GR-4 (rules 5): a verified handler records the regulator, a government body or
        the media coming in, at any stage (drawn on its own, so general cases meet it)."""
        fields = {"body": body, "note": "a reporter asked about the claim"} | ACTOR_FIELDS
        action = ACTION_MODELS["record_outside_contact"].model_validate(fields)
        before = self.case.snapshot()
        try:
            sealed_act(self.case, "record_outside_contact", action, self.now)
        except Refused:
            self._only_the_timeline_changed(before)
        self._settle()

    def _sender(self, how: str, name: str, action: Action) -> VerifiedIdentity | None:
        """Who the system verified sent the action: the sender it names, mostly; or nobody
        (typed by hand), another person, another case, another action (rules 5), a payload
        used before, an old one, a key limited to another branch."""
        if how == "unsealed":
            return None
        if how == "used before":  # a sealed payload copied from the history, sent again
            return self.sealed[-1] if self.sealed else None
        changes: dict[str, dict[str, Any]] = {
            "verified": {},
            "another person": {"actor": "mallory"},
            "another case": {"bound_to": "complaint-OTHER"},
            "another action": {"action": "expedite" if name != "expedite" else "resume_clock"},
            "stale": {"issued_at": self.now - timedelta(days=2)},
            "another branch": {"branches": ["Beijing Haidian"]},
        }
        return verified(self.case, name, action, self.now, **changes[how])

    @rule(step=ADVANCES)
    def advance(self, step: timedelta | str) -> None:
        """Time passes; the case wakes at each alarm on the way, as the workflow's timer does."""
        target = self._target(step)
        while (wake := self.case.next_wake()) is not None and wake.at <= target:
            self.now = max(self.now, wake.at)
            if self.case.finished(self.now):
                break  # the review window ended: the workflow completes
            self._fire()
        self.now = max(self.now, target)
        self._fire()

    @rule(keep=st.sampled_from([0, 1, 5, 50]))
    def continue_as_new(self, keep: int) -> None:
        """The workflow's continue-as-new: the case rebuilt from its snapshot, timeline cut."""
        before = self.case.snapshot()
        self.case = Complaint.restore(self.case.snapshot(keep_timeline=keep))
        after = self.case.snapshot()
        assert after.state.timeline == before.state.timeline[len(before.state.timeline) - keep :]
        assert after.model_dump(exclude={"state": {"timeline"}}) == before.model_dump(
            exclude={"state": {"timeline"}}
        )

    @rule()
    def calendar_published(self) -> None:
        """R-SLA-3: next year's calendar is published while a provisional clock runs."""
        if self.case.calendar_check_due(self.now):
            self.case.calendar_checked(PUBLISHED, self.now)
            self._settle()

    @rule(reason=st.sampled_from(["", "tidying up"]))
    def cancellation_requested(self, reason: str) -> None:
        """Rules 5: a cancellation request (the Web UI's, the CLI's) is refused on the timeline
        and told to the supervisor; nothing else changes, and the case runs on (liveness)."""
        before = self.case.snapshot()
        self.case.cancellation_requested(reason, self.now)
        after = self.case.snapshot()
        assert after.state.timeline[len(before.state.timeline)].kind == "refused"
        assert [n.recipient_role for n in after.pending_notices[len(before.pending_notices) :]] == [
            "supervisor" if self.case.state.supervisor else "owner"
        ]
        told: Any = {"state": {"timeline"}, "notice_seq": True, "pending_notices": True}
        assert after.model_dump(exclude=told) == before.model_dump(exclude=told)
        self._settle()

    # -----------------------------------------------------------------------------------------
    # Invariants, from the rules

    @invariant()
    def r_sla_7_open_case_has_its_regulatory_clock_running_or_resumable(self) -> None:
        s = self.case.state
        if s.stage not in OPEN or s.decided_at is not None:
            return
        regulatory = s.clock("regulatory")
        assert regulatory is not None, "an undecided open case lost its regulatory clock"
        if regulatory.paused_at is not None:
            resume = ResumeClock(actor="li.na", role=Role.HANDLER)
            reason = DEFINITIONS["resume_clock"].refuse(self.case, resume, self.now)
            assert reason is None, f"paused regulatory clock cannot be resumed: {reason}"

    @invariant()
    def liveness_a_legal_sequence_still_closes_the_case(self) -> None:
        if self.case.state.stage not in OPEN:
            return
        trial = Complaint.restore(self.case.snapshot())
        for _ in range(12):
            step = closing_steps(trial)
            if step is None:
                break
            name, action = step
            try:
                sealed_act(trial, name, action, self.now)
            except Refused as refused:
                raise AssertionError(f"{name} refused on the way to closing: {refused}") from None
        assert trial.state.stage is Stage.CLOSED, trial.state.stage
        end = trial.review_window_end()
        assert not trial.finished(end - timedelta(seconds=1))
        trial.fire_due(end)  # what the workflow does before it asks whether the case ended
        # R-CR-11 (rules 5): a crisis case waits for its review, or for the review's reminder.
        owed = trial.state.clock(crisis.REVIEW)
        assert trial.finished(end) == (owed is None or owed.reminders > 0), owed

    @invariant()
    def r_sla_4_a_deadline_is_never_before_its_clock_started(self) -> None:
        s = self.case.state
        for c in [*s.clocks, *s.finished_clocks]:
            assert c.due_at >= c.started_at, c
            if c.warn_at is not None and c.warned_at is None and c.met_at is None:
                assert c.started_at <= c.warn_at <= c.due_at or c.warn_at >= c.due_at, c

    @invariant()
    def r_sla_4_a_breach_is_recorded_only_after_its_due_time(self) -> None:
        s = self.case.state
        for b in s.breaches:
            assert b.recorded_at >= b.due_at, b
        for c in [*s.clocks, *s.finished_clocks]:
            if c.breached_at is not None:
                assert c.breached_at >= c.due_at, c
        assert s.sla_breached == any(c.breached_at is not None for c in s.clocks)

    @invariant()
    def nothing_due_is_left_unfired(self) -> None:
        wake = self.case.next_wake()
        assert wake is None or wake.at > self.now or self.case.finished(self.now), wake

    @invariant()
    def one_stage_clock_for_the_stage_and_none_when_closed(self) -> None:
        s = self.case.state
        stage_keys = [c.key for c in s.clocks if c.kind is ClockKind.STAGE]
        if customer_response.awaiting(s) is not None and s.stage is Stage.CLOSE:
            # R-CU-3 (rules 5): the close stage's clock starts once the customer answered
            assert stage_keys == [], stage_keys
        elif s.stage in OPEN:
            assert stage_keys == [f"stage:{s.stage.value}"], (s.stage, stage_keys)
        else:
            assert stage_keys == [], stage_keys
        if s.stage is Stage.WITHDRAWN:
            # R-CR-8 (rules 3): only crisis report clocks outlive a withdrawal; R-CR-11 (rules
            # 5): and the review after the crisis.
            outliving = {ClockKind.CRISIS, ClockKind.REVIEW}
            assert all(c.kind in outliving for c in s.clocks) and s.outcome == "withdrawn"
        if s.stage is Stage.CLOSED:
            assert s.outcome == "resolved" and s.satisfied is True

    @invariant()
    def r_sla_8_a_paused_stage_pauses_the_regulatory_clock_too(self) -> None:
        s = self.case.state
        stage = s.clock(f"stage:{s.stage.value}")
        regulatory = s.clock("regulatory")
        if stage is not None and regulatory is not None:
            assert (stage.paused_at is None) == (regulatory.paused_at is None), (stage, regulatory)

    @invariant()
    def r_sla_6_at_most_one_pending_extension_and_for_this_stage(self) -> None:
        s = self.case.state
        pending = [e for e in s.extensions if e.approved is None and e.lapsed_at is None]
        assert len(pending) <= 1, pending
        if pending:
            assert pending[0].stage is s.stage and s.stage in OPEN, (pending, s.stage)

    @invariant()
    def r_sla_7_only_a_senior_manager_grants_the_further_30_days(self) -> None:
        for e in self.case.state.extensions:
            if e.approved and e.regulatory_days == 60:
                assert e.decided_by == ACTOR[Role.SENIOR_MANAGER], e

    @invariant()
    def r_gr_1_a_special_case_runs_on_its_superiors_deadlines(self) -> None:
        s = self.case.state
        if s.grade is Grade.SPECIAL:
            assert s.special_deadlines is not None
            clock = s.clock(f"stage:{s.stage.value}")
            if clock is not None and not (clock.extended or clock.expedited):
                assert clock.label.endswith("(special)"), clock.label

    @invariant()
    def r_st_2_an_approved_collective_decision_names_two_participants(self) -> None:
        for e in self.case.state.timeline:
            if (
                e.kind == "action"
                and e.action == "decide_resolution"
                and ("'approved': True" in e.detail and "'collective': True" in e.detail)
            ):
                named = re.search(r"'participants': \[([^\]]*)\]", e.detail)
                assert named is not None and len(set(named[1].split(", "))) >= 2, e.detail

    @invariant()
    def r_gr_2_3_crisis_and_regulator_or_media_are_never_general(self) -> None:
        s = self.case.state
        if s.crisis or s.channel in grading.REGULATOR_OR_MEDIA:  # every level (R-IN-1)
            assert s.grade is not Grade.GENERAL

    @invariant()
    def r_gr_4_a_case_the_regulator_or_media_came_into_is_never_general(self) -> None:
        """Rules 5: a repeat or a transfer through their channel, or a recorded contact of
        the regulator, a government body or the media."""
        s = self.case.state
        via = {f"'via': '{c.value}'" for c in grading.REGULATOR_OR_MEDIA}
        transferred = any(
            e.kind == "action" and e.action == "transfer" and any(v in e.detail for v in via)
            for e in s.timeline
        )
        contacted = any(
            e.kind == "action" and e.action == "record_outside_contact" for e in s.timeline
        )
        if set(s.repeat_channels) & grading.REGULATOR_OR_MEDIA or transferred or contacted:
            assert s.grade is not Grade.GENERAL
            # the crisis was put to the supervisor, or is one already
            assert s.crisis or any(
                c.key == outside_bodies.DECISION for c in [*s.clocks, *s.finished_clocks]
            )

    @invariant()
    def r_in_3_the_first_receiver_stays_whoever_owns_the_case(self) -> None:
        assert self.case.state.first_receiver == "li.na"  # the intake's owner

    @invariant()
    def r_cr_12_after_the_outlet_hands_over_the_insurer_owns_the_case(self) -> None:
        """R-CR-12 (rules 5): once the bank outlet handed the case to the insurer, its owner is
        never the outlet's person (the first receiver), who stays on the case as such."""
        s = self.case.state
        if not versions.has(self.case.rules, Behaviour.INSURER_OWNS):
            return
        if intake_rules.handed_to_insurer(s):
            assert s.owner != s.first_receiver == "li.na", (s.owner, s.first_receiver)
            took = [
                e for e in s.timeline if e.kind == "action" and e.action == "transfer_to_insurer"
            ]
            assert not took or "'owner': " in took[-1].detail, took

    @invariant()
    def r_cr_10_an_insurer_call_runs_its_clock_until_the_arrival(self) -> None:
        """R-CR-10 (rules 5): every call for the insurer on site has its 1-hour clock, running
        until the arrival is recorded (late if after it), one call open at a time; only at a
        bank outlet."""
        s = self.case.state
        calls = [r for r in s.crisis_records if r.kind == "insurer_called"]
        arrivals = [r for r in s.crisis_records if r.kind == "insurer_on_site"]
        running = s.clock(crisis.ON_SITE)
        if s.stage is not Stage.WITHDRAWN:
            assert len(calls) - len(arrivals) == (running is not None), (calls, arrivals)
        if calls:
            assert s.channel is Channel.BANK_OUTLET
        for call in calls:
            assert call.due_at == call.at + timedelta(hours=1), call
        for arrival in arrivals:
            assert arrival.due_at is not None and arrival.late == (arrival.at > arrival.due_at)

    @invariant()
    def r_cr_11_an_ended_crisis_owes_one_review(self) -> None:
        """R-CR-11 (rules 5): a crisis case closed or withdrawn has its review clock running or
        its review recorded; a review is recorded only after a crisis ended."""
        s = self.case.state
        if not versions.has(self.case.rules, Behaviour.CRISIS_REVIEWED):
            return
        reviews = [r for r in s.crisis_records if r.kind == "review"]
        running = s.clock(crisis.REVIEW)
        assert len(reviews) <= 1 and not (reviews and running), (reviews, running)
        if s.crisis and s.stage in (Stage.CLOSED, Stage.WITHDRAWN):
            assert reviews or running is not None
        if reviews or running is not None:
            assert s.crisis

    @invariant()
    def r_in_5_every_open_hand_over_runs_its_own_clock_until_it_is_completed(self) -> None:
        s = self.case.state
        clocks = {c.key for c in s.clocks if c.kind is ClockKind.HANDOFF}
        open_ = {f"handoff:{h.key}" for h in s.handoffs if h.completed_at is None}
        assert clocks == (set() if s.stage is Stage.WITHDRAWN else open_), (clocks, open_)
        transfers = [h for h in s.handoffs if h.kind == "transfer" and h.completed_at is None]
        assert len(transfers) <= 1, transfers

    @invariant()
    def r_cr_3_only_a_flawed_or_problem_policy_is_referred_and_only_at_a_bank_outlet(
        self,
    ) -> None:
        s = self.case.state
        for h in s.handoffs:
            if h.kind == "referral":
                decided = [c for c in s.policy_classifications if c.decided_at <= h.started_at]
                # A later classification may say normal (people complete the referral).
                assert any(c.policy_class is not PolicyClass.NORMAL for c in decided), h
            if h.kind in ("referral", "outlet"):
                assert s.channel is Channel.BANK_OUTLET, h  # R-CR-4 too
        for c in s.policy_classifications:
            assert (c.policy_class, c.basis) == intake_rules.classify(
                c.signed_personally, c.callback_compliant, c.mis_selling_proof
            )

    @invariant()
    def r_st_7_timeline_in_order_with_no_gap(self) -> None:
        timeline = self.case.state.timeline
        seqs = [e.seq for e in timeline]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True, seqs
        ats = [e.at for e in timeline if e.kind != "intake"]
        assert ats == sorted(ats) and all(a <= self.now for a in ats)

    @invariant()
    def r_cr_2_the_resolution_is_never_in_a_timeline_entry_under_rules_3(self) -> None:
        """R-CR-2: every role (auditors too) reads the timeline; the resolution stays out."""
        if self.case.rules < 3:
            return
        for e in self.case.state.timeline:
            assert "pay 500 yuan" not in e.detail and "'result'" not in e.detail, e.detail

    @invariant()
    def r_cr_8_every_crisis_clock_ends_met_or_breached(self) -> None:
        """R-CR-8: a finished case's crisis report clocks are each met (filed) or breached;
        a report filed is recorded with its deadline and whether it was late."""
        s = self.case.state
        if self.case.finished(self.now):
            for c in s.clocks:
                assert c.kind is not ClockKind.CRISIS or c.breached_at is not None, c
        for c in s.finished_clocks:
            if c.kind is ClockKind.CRISIS and self.case.rules >= 3:
                assert c.met_at is not None
                filed = [
                    r
                    for r in s.crisis_records
                    if r.kind == "report" and f"crisis:{r.level}" == c.key and r.at == c.met_at
                ]
                assert filed and filed[0].late == (c.met_at > c.due_at), (c, filed)

    @invariant()
    def r_cr_7_a_crisis_has_its_regulator_report_clock_under_rules_3(self) -> None:
        s = self.case.state
        if self.case.rules < 3 or not s.crisis:
            return
        keys = {c.key for c in [*s.clocks, *s.finished_clocks]}
        assert {"crisis:superior", "crisis:headquarters", "crisis:regulator"} <= keys, keys

    @invariant()
    def r_cu_6_the_staff_complained_about_never_handle_the_case(self) -> None:
        if not versions.has(self.case.rules, Behaviour.RECUSAL):
            return
        s = self.case.state
        assert s.owner not in self.case.intake.staff_complained_about, s.owner
        assert s.supervisor not in self.case.intake.staff_complained_about, s.supervisor

    @invariant()
    def r_cu_3_no_resolution_is_carried_out_without_the_customers_say(self) -> None:
        """R-CU-3 (rules 5): a case closed after approval had the customer's answer (accepts)
        or their time lapsed (no answer) before; while it is awaited the customer's clock runs
        in the close stage, and a rejection took the case back to investigation."""
        if not versions.has(self.case.rules, Behaviour.CUSTOMER_SAYS):
            return
        s = self.case.state
        waiting = customer_response.awaiting(s)
        running = s.clock(customer_response.CLOCK)
        if waiting is not None and s.stage is Stage.CLOSE:
            assert running is not None and running.kind is ClockKind.CUSTOMER, s.clocks
            assert running.breached_at is None and running.warn_at is None, running
        elif s.stage is not Stage.WITHDRAWN:
            assert running is None, running
        for answered in s.customer_responses:
            if answered.answer == "rejects":
                assert answered.objections, answered
        if s.stage in (Stage.CALLBACK, Stage.CLOSED) and s.resolution_approved:
            assert s.customer_responses, "closed after approval with no customer asked"
            last = s.customer_responses[-1]
            assert last.answer in ("accepts", "no_answer"), last
            assert s.decided_at is not None and last.answered_at is not None
            assert last.answered_at <= s.decided_at, (last, s.decided_at)

    @invariant()
    def snapshot_round_trips(self) -> None:
        snapshot = self.case.snapshot()
        assert Complaint.restore(snapshot).snapshot() == snapshot

    # -----------------------------------------------------------------------------------------

    def _settle(self) -> None:
        """What the workflow's loop does after every change: fire what is due at once."""
        self._fire()
        s = self.case.state
        event(f"stage {s.stage.value}")
        for what, seen in (
            ("paused", any(c.paused_at for c in s.clocks)),
            ("crisis", s.crisis),
            ("reopened", s.reopen_count),
            ("reviewed", s.review_count),
            ("extended", any(c.extended for c in s.clocks)),
            ("lapsed", any(e.lapsed_at for e in s.extensions)),
            ("breached", s.breaches),
            ("handed over", s.handoffs),
            ("policy classed", s.policy_classifications),
            ("customer rejects", any(r.answer == "rejects" for r in s.customer_responses)),
            ("customer lapsed", any(r.answer == "no_answer" for r in s.customer_responses)),
        ):
            if seen:
                event(what)

    def _fire(self) -> None:
        before = {c.key: c for c in self.case.state.clocks}
        entries = len(self.case.state.timeline)
        self.case.fire_due(self.now)
        self._check_alarm_times(before, entries)
        self._check_notices()

    def _check_alarm_times(self, before: dict[str, Any], entries: int) -> None:
        """R-SLA-9 (rules 2): warnings and reminders of working-time clocks reach people
        inside working hours; crisis reports go out at once, at any hour."""
        for key, old in before.items():
            new = self.case.state.clock(key)
            if new is None or not old.working_hours_only:
                continue
            if new.next_reminder_at is not None and new.next_reminder_at != old.next_reminder_at:
                assert is_working_instant(CAL, new.next_reminder_at), new

    def _check_notices(self) -> None:
        """R-IN-4, R-SLA-6..8: every date told to the customer is the last day of the limit
        its clock names (not the midnight after it)."""
        s = self.case.state
        for notice in self.case.take_notices():
            self.told.append(notice)
            dates = DATE.findall(notice.body)
            if notice.recipient_role != "customer" or not dates:
                continue
            if notice.words is not None and notice.words.template is CustomerTemplate.DECISION:
                # R-CU-1: the review's last whole day, the one date of the decision notice
                review_by = last_whole_day(self.case.review_window_end(), CAL.zone)
                assert dates == [review_by.isoformat()], notice.body
                continue
            assert notice.clock is not None, notice
            clock = s.clock(notice.clock) or next(
                c for c in reversed(s.finished_clocks) if c.key == notice.clock
            )
            assert dates == [last_day(clock.due_at).isoformat()], (notice.body, clock.due_at)
            if notice.clock.startswith("handoff:"):  # R-CR-3, R-CR-4: a date, never a promise
                assert intake_rules.promises_in(notice.subject + notice.body) == [], notice
            if notice.kind is NoticeKind.ACKNOWLEDGEMENT:
                assert clock.key == "regulatory"

    def _check_department_head(self, name: str, action: Action, before: Any) -> None:
        """R-ST-8 (rules 5): an approved decision of a major or crisis case has its department
        head among the participants (not only once one was named: one must be)."""
        if name != "decide_resolution" or not action.model_dump()["approved"]:
            return
        s = before.state
        if versions.has(self.case.rules, Behaviour.DEPARTMENT_HEAD_DECIDES) and (
            s.crisis or s.grade is not Grade.GENERAL
        ):
            self.major_approvals.append((s.department_head, action.model_dump()["participants"]))

    @invariant()
    def r_st_8_an_approved_major_or_crisis_decision_has_its_department_head(self) -> None:
        for head, participants in self.major_approvals:
            assert head is not None and head in participants, (head, participants)

    def _only_the_timeline_changed(self, before: Any) -> None:
        """A refused action changes nothing but the timeline (and uses up its sealed payload's
        nonce, so that it cannot be replayed later)."""
        after = self.case.snapshot()
        assert after.state.timeline[:-1] == before.state.timeline
        assert after.state.timeline[-1].kind == "refused"
        unchanged: Any = {"state": {"timeline"}, "used_nonces": True}
        assert after.model_dump(exclude=unchanged) == before.model_dump(exclude=unchanged)

    def _target(self, step: timedelta | str) -> datetime:
        if isinstance(step, timedelta):
            return self.now + step
        if step == "next alarm":
            wake = self.case.next_wake()
            return wake.at if wake is not None else self.now + timedelta(days=1)
        local = self.now.astimezone(SH)
        hour = {"09:00": 9, "12:00": 12, "18:00": 18, "midnight": 0}[step]
        moment = datetime.combine(local.date(), time(hour), tzinfo=SH)
        return moment if moment > self.now else moment + timedelta(days=1)


CaseMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_case_state_machine = CaseMachine.TestCase

_ = (RULES, date, UTC, next_working_instant)
