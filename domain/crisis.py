"""Crisis handling in full, staff conduct and confidentiality (issue 14, rules 3): R-CR-1's
reports filed and sent, R-CR-2, R-CR-5, R-CR-6, R-CR-7 and what R-CR-8 reads.

`CrisisRules` is a part of the pure case (`domain.case.Complaint` inherits it): the handlers
of the actions this issue adds, the rules-3 filing of `report_crisis`, and the rules-3 crisis
clocks. `refusal` is their gate, called by `domain.lifecycle.refusal`. Every change of an
existing action's behaviour is for rules 3 only; the new actions refuse a case of older rules,
so that a running rules-2 case keeps what it did.

- R-CR-1/R-CR-7: a crisis has three report clocks under rules 3: the superior (1 h),
  headquarters' crisis leading group (24 h) and, as its own report, the regulator of the same
  level (24 h). Each report filed goes out through the outbox to its recipient with its text
  and evidence ids, and is a `CrisisRecord` (ledger: crisis_records) saying whether it was late.
- R-CR-6: early signs of a group event start a 1-hour report clock (`crisis:early_signs`);
  police contacts and a group event's on-site commander are recorded.
- R-CR-8: a crisis clock ends met (the report filed, `met_at`) or breached; a withdrawn case
  waits for its open crisis clocks to do one or the other before it finishes, so the ledger
  says for each whether its report was on time, late or never filed.
- R-CR-2: under rules 3 the proposed resolution and the result stay out of the timeline's
  text (which every role reads); the state keeps them for the API to show to the case's
  handler, supervisor and the deciding roles only (`may_see_resolution`).
- R-CR-5: flags on the customer who needs help, at intake and by action.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from domain import contacts, sla, versions
from domain.accountability import CRISIS_DECISIONS
from domain.contacts import Unit
from domain.models import (
    AcknowledgeScript,
    Action,
    Clock,
    ClockKind,
    ComplaintState,
    ConductEvent,
    CrisisRecord,
    FlagCustomer,
    NoticeKind,
    Recipient,
    RecordConduct,
    RecordEarlySigns,
    RecordGroupEvent,
    RecordPoliceContact,
    ReportCrisis,
    Role,
    Stage,
)

if TYPE_CHECKING:
    from domain import notices
    from domain.sla import PolicySnapshot

RULES = 3  # the rules version these rules came with

ACTIVE = frozenset({Stage.CONTACT, Stage.INVESTIGATE, Stage.APPROVE, Stage.CLOSE, Stage.CALLBACK})
# The actions this module adds, and the stages they fit.
ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "acknowledge_script": ACTIVE,
    "record_conduct": ACTIVE | {Stage.CLOSED, Stage.WITHDRAWN},
    "flag_customer": ACTIVE | {Stage.CLOSED},
    "record_early_signs": ACTIVE,
    "record_police_contact": ACTIVE | {Stage.CLOSED, Stage.WITHDRAWN},
    "record_group_event": ACTIVE,
}
ACTIONS = frozenset(ALLOWED_STAGES)
NEW_LEVELS = frozenset({"regulator", "early_signs"})  # report_crisis levels of rules 3
# R-CR-2: what stays out of the timeline's text under rules 3, by action.
CONFIDENTIAL: dict[str, frozenset[str]] = {
    "submit_investigation": frozenset({"proposed_resolution"}),
    "close_case": frozenset({"result"}),
}
# R-CR-2: the roles that decide a case's resolution (besides its own handler and supervisor).
DECIDING_ROLES = frozenset({Role.SUPERVISOR, Role.SENIOR_MANAGER})
# R-CR-1: headquarters' crisis leading group, when the report names no other recipient: cases
# of rules 1-4 only, which keep it. Rules 5 (R-CR-9): the directory's head office contacts.
LEGACY_HQ_CRISIS_GROUP = "hq.crisis-group"

Level = Literal["superior", "headquarters", "regulator", "early_signs"]
RECIPIENT_ROLE: dict[str, Recipient] = {
    "superior": "superior",
    "headquarters": "headquarters",
    "regulator": "regulator",
    "early_signs": "superior",
}


def refusal(
    state: ComplaintState, name: str, action: Action, *, rules: int,
    chain: tuple[Unit, ...] = (),
) -> tuple[bool, str | None]:  # fmt: skip
    """(handled, reason): whether this module gates the action, and its reason to refuse.
    `chain`: the case's report chain (R-CR-9, its policy's)."""
    if name == "report_crisis":
        assert isinstance(action, ReportCrisis)
        if rules < RULES:
            if action.level in NEW_LEVELS:
                return (
                    True,
                    f"the {action.level} report came with rules 3; this case runs rules {rules}",
                )
            return False, None  # rules 1-2: lifecycle's own check
        reason = _report_refusal(state, action)
        if reason is None and versions.has(rules, versions.Behaviour.REPORTS_CLIMB_THE_CHAIN):
            reason = _recipient_refusal(action, chain)
        return True, reason
    if name not in ACTIONS:
        return False, None
    if rules < RULES:
        return True, f"{name} came with rules 3; this case runs under rules {rules}"
    allowed = ALLOWED_STAGES[name]
    if state.stage not in allowed:
        stages = ", ".join(sorted(s.value for s in allowed))
        return True, f"{name} does not fit stage {state.stage.value} (allowed in: {stages})"
    match action:
        case AcknowledgeScript():
            if action.actor in state.script_acknowledged_by:
                return True, f"R-CR-2: {action.actor} already acknowledged the handling script"
        case FlagCustomer():
            if set(action.flags) <= set(state.help_flags):
                return True, "R-CR-5: the customer already carries these flags"
        case RecordEarlySigns():
            if state.clock("crisis:early_signs") is not None:
                return True, "R-CR-6: the early signs' report is already due; file it first"
        case RecordPoliceContact():
            if not (state.crisis or _recorded(state, "early_signs")):
                return True, (
                    "R-CR-6: a police contact is recorded for a crisis or early signs of a "
                    "group event (record_early_signs or escalate_crisis first)"
                )
        case RecordGroupEvent():
            if state.group_event:
                return True, "R-CR-6: the group event is already recorded"
        case RecordConduct() if action.kind in CRISIS_DECISIONS:
            if action.role not in DECIDING_ROLES:
                return True, (
                    f"R-AC-6: {action.kind} is recorded by the crisis leadership (supervisor or "
                    f"senior_manager); {action.actor} has {action.role.value}"
                )
            if not state.crisis:
                return True, f"R-AC-6: {action.kind} is recorded on a crisis event"
    return True, None


def _report_refusal(state: ComplaintState, action: ReportCrisis) -> str | None:
    allowed = ACTIVE | {Stage.CLOSED, Stage.WITHDRAWN}
    if state.stage not in allowed:
        return f"report_crisis does not fit stage {state.stage.value}"
    if action.level != "early_signs" and not state.crisis:
        return "the case is not a crisis event"
    if state.clock(f"crisis:{action.level}") is None:
        if action.level == "early_signs" and not _recorded(state, "early_signs"):
            return "R-CR-6: no early signs of a group event were recorded (record_early_signs)"
        return f"the crisis report to {action.level} was already filed"
    if action.level == "regulator" and action.to is None:
        return "R-CR-7: the report to the regulator names the regulator's contact (to)"
    return None


def _recipient_refusal(action: ReportCrisis, chain: tuple[Unit, ...]) -> str | None:
    """R-CR-9 (rules 5): a report to the head office goes to the directory's head office
    contacts; with none in the case's report chain, the report names its recipient."""
    if action.level == "headquarters" and action.to is None and not contacts.head_office(chain):
        return (
            "R-CR-9: the contacts directory gave this case no head office contact: name the "
            "recipient (to), or an administrator enters the directory (PUT /v1/contacts/{unit})"
        )
    return None


def report_recipients(
    level: str, to: str | None, chain: tuple[Unit, ...], fallback: str
) -> list[tuple[Recipient, str]]:
    """R-CR-1, R-CR-9 (rules 5): who a crisis report reaches, as (role, recipient): the one it
    names (`to`), else the designated contacts of the levels it goes to in the case's report
    chain: the levels above the case's unit below the head office for the superior and the
    early signs (`contacts.above`), the head office for headquarters. With no chain, the
    superior's report goes to `fallback` (the case's supervisor, else its owner)."""
    role = RECIPIENT_ROLE[level]
    if to is not None:
        return [(role, to)]
    if level == "headquarters":
        units = [u for u in [contacts.head_office(chain)] if u is not None]
    else:
        units = contacts.above(chain)
    people = list(dict.fromkeys(c.user for u in units for c in u.contacts))  # once each
    return [(role, p) for p in people] or [(role, fallback)]


def own_unit_contacts(chain: tuple[Unit, ...]) -> list[str]:
    """R-CR-9: the designated contacts of the case's own unit (who must report within 1 h)."""
    return [c.user for c in chain[0].contacts] if chain else []


def _recorded(state: ComplaintState, kind: str) -> bool:
    return any(r.kind == kind for r in state.crisis_records)


def may_see_resolution(state: ComplaintState, actor: str, roles: frozenset[Role]) -> bool:
    """R-CR-2: the case's handler and supervisor, and the roles that decide; never auditors."""
    return actor in (state.owner, state.supervisor) or bool(roles & DECIDING_ROLES)


def report_words(
    complaint_id: str, branch: str, level: str, summary: str, attachments: list[str], late: bool
) -> notices.Words:
    whom = {
        "superior": "上级 / the superior",
        "headquarters": "总公司危机领导小组 / headquarters crisis leading group",
        "regulator": "同级监管部门 / the regulator of the same level",
        "early_signs": "上级 / the superior (群体性事件苗头 / early signs of a group event)",
    }[level]
    files = f"\nAttachments (evidence ids): {', '.join(attachments)}" if attachments else ""
    return (
        f"危机事件报告 / crisis report: complaint {complaint_id} to {whom}",
        f"Complaint {complaint_id} at {branch}.{' (filed late)' if late else ''}\n{summary}{files}",
    )


def early_signs_words(complaint_id: str, branch: str, detail: str, hours: float) -> notices.Words:
    return (
        "群体性事件苗头 / early signs of a group event",
        f"Complaint {complaint_id} at {branch}: {detail}. Report to the superior within "
        f"{hours:g} h; contact the local police as needed.",
    )


def report_clock(
    p: PolicySnapshot, level: Literal["regulator", "early_signs"], start: datetime
) -> Clock:
    """R-CR-7: the regulator's own 24-hour clock; R-CR-6: the early signs' 1-hour clock (each
    like R-CR-1's, at any hour)."""
    base = sla.crisis_clock(p, "headquarters" if level == "regulator" else "superior", start)
    hours = p.sla.crisis_headquarters_hours if level == "regulator" else p.sla.crisis_superior_hours
    label, rule = {
        "regulator": (f"crisis report to the regulator of the same level within {hours:g} h",
                      "R-CR-7"),
        "early_signs": (f"report of early signs of a group event within {hours:g} h", "R-CR-6"),
    }[level]  # fmt: skip
    return base.model_copy(
        update={"key": f"crisis:{level}", "label": label,
                "basis": f"{rule}: {hours:g} clock hours, reported at once at any hour"}
    )  # fmt: skip


class CrisisRules:
    """The case's crisis, conduct and help-flag rules (mixed into `domain.case.Complaint`)."""

    if TYPE_CHECKING:
        rules: int
        policy: PolicySnapshot
        state: ComplaintState

        def _log(self, kind: Any, actor: str, detail: str, now: datetime) -> None: ...
        def _notify(self, kind: NoticeKind, role: Recipient, recipient: str,
                    channels: list[Any], words: notices.Words, now: datetime, *,
                    clock: str | None = None) -> None: ...  # fmt: skip
        def _finish_clock(self, key: str, now: datetime) -> None: ...
        def _declare_crisis(self, reasons: list[str], actor: str, now: datetime) -> None: ...
        def _replan_stage_clock(self) -> None: ...

    def _entry_seq(self) -> int:
        """The seq of the action's own timeline entry (written before its handler runs)."""
        return self.state.timeline[-1].seq

    def _crisis_clocks_rules_3(self, now: datetime) -> None:
        """R-CR-1, R-CR-7: headquarters' clock is the leading group's alone; the regulator's
        report has its own clock."""
        s = self.state
        hq = s.clock("crisis:headquarters")
        if hq is not None:
            hours = self.policy.sla.crisis_headquarters_hours
            label = f"crisis report to the headquarters crisis leading group within {hours:g} h"
            s.clocks = [c.model_copy(update={"label": label}) if c is hq else c for c in s.clocks]
        s.clocks.append(report_clock(self.policy, "regulator", now))

    def _crisis_reports_open(self) -> bool:
        """R-CR-8: a crisis clock neither met nor breached yet."""
        return any(c.kind is ClockKind.CRISIS and c.breached_at is None for c in self.state.clocks)

    def _file_crisis_report(self, action: ReportCrisis, now: datetime) -> None:
        """Rules 3: the report goes out (outbox) with its text and evidence, and is recorded."""
        s = self.state
        key = f"crisis:{action.level}"
        clock = s.clock(key)
        assert clock is not None  # the gate refused otherwise
        late = now > clock.due_at
        seq = self._entry_seq()
        self._finish_clock(key, now)
        if versions.has(self.rules, versions.Behaviour.REPORTS_CLIMB_THE_CHAIN):
            recipients = report_recipients(action.level, action.to, self.policy.report_chain,
                                           s.supervisor or s.owner)  # fmt: skip
        else:
            to = action.to or (
                LEGACY_HQ_CRISIS_GROUP if action.level == "headquarters"
                else s.supervisor or s.owner
            )  # fmt: skip
            recipients = [(RECIPIENT_ROLE[action.level], to)]
        s.crisis_records.append(
            CrisisRecord(seq=seq, kind="report", at=now, actor=action.actor, level=action.level,
                         person=", ".join(p for _, p in recipients), detail=action.summary,
                         attachments=list(action.attachments), due_at=clock.due_at, late=late)
        )  # fmt: skip
        words = report_words(s.complaint_id, s.branch, action.level, action.summary,
                             list(action.attachments), late)  # fmt: skip
        for role, person in recipients:
            self._notify(NoticeKind.CRISIS_REPORT, role, person, ["email"], words, now,
                         clock=key)  # fmt: skip

    # The actions of issue 14 (the gate: `refusal`)

    def _on_acknowledge_script(self, action: AcknowledgeScript, now: datetime) -> None:
        self.state.script_acknowledged_by.append(action.actor)

    def _on_record_conduct(self, action: RecordConduct, now: datetime) -> None:
        self.state.conduct_events.append(
            ConductEvent(seq=self._entry_seq(), person=action.person, kind=action.kind,
                         detail=action.detail, recorded_by=action.actor, recorded_at=now)
        )  # fmt: skip

    def _on_flag_customer(self, action: FlagCustomer, now: datetime) -> None:
        s = self.state
        s.help_flags = sorted(set(s.help_flags) | set(action.flags))

    def _on_record_early_signs(self, action: RecordEarlySigns, now: datetime) -> None:
        s = self.state
        clock = report_clock(self.policy, "early_signs", now)
        s.clocks.append(clock)
        s.crisis_records.append(
            CrisisRecord(seq=self._entry_seq(), kind="early_signs", at=now, actor=action.actor,
                         detail=action.detail, due_at=clock.due_at)
        )  # fmt: skip
        words = early_signs_words(s.complaint_id, s.branch, action.detail,
                                  self.policy.sla.crisis_superior_hours)  # fmt: skip
        for person in self._who_reports_at_once():
            self._notify(NoticeKind.CRISIS_REPORT, "superior", person, ["phone", "sms"], words,
                         now, clock=clock.key)  # fmt: skip

    def _who_reports_at_once(self) -> list[str]:
        """Who is told to report within the hour: the case's supervisor (else its owner) and,
        rules 5 (R-CR-9), the designated contacts of the case's own unit."""
        s = self.state
        people = [s.supervisor or s.owner]
        if versions.has(self.rules, versions.Behaviour.REPORTS_CLIMB_THE_CHAIN):
            people += own_unit_contacts(self.policy.report_chain)
        return list(dict.fromkeys(people))

    def _on_record_police_contact(self, action: RecordPoliceContact, now: datetime) -> None:
        self.state.crisis_records.append(
            CrisisRecord(seq=self._entry_seq(), kind="police_contact", at=now,
                         actor=action.actor, person=action.police, detail=action.detail)
        )  # fmt: skip

    def _on_record_group_event(self, action: RecordGroupEvent, now: datetime) -> None:
        s = self.state
        s.group_event = True
        s.crisis_records.append(
            CrisisRecord(seq=self._entry_seq(), kind="group_event", at=now, actor=action.actor,
                         person=action.commander, detail=action.detail)
        )  # fmt: skip
        if not s.crisis:  # R-GR-2: a group event is a crisis event
            self._declare_crisis([f"group event of {action.people_count} people"],
                                 action.actor, now)  # fmt: skip
            self._replan_stage_clock()
