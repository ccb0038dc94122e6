"""The monthly accountability cycle (R-AN-3..7, R-AC-1..6): periods and penalty proposals.

Pure functions. The system proposes; the review group decides. R-AN-4's exemption is defined
here once (`first_coordination`, `exemption_from_facts`, `exemption_holds`, `exemption`); the
determination API, the monthly statistics and the cycle all ask these.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import Field

from domain.calendar import WorkCalendar, add_working_days
from domain.fields import Input

ZONE = ZoneInfo("Asia/Shanghai")
EXEMPTIONS = frozenset({"withdrawn", "outside_liability", "satisfied_first_coordination"})
# R-AN-4 as restated on 2026-12-07. The reading a period is compiled under is recorded with it
# (accountability_cycles.rule_reading): 1, the first statement, exempted every withdrawn case;
# 2 exempts only a case settled at the first coordination (docs/accountability.md).
RULE_READING = 2
# R-AN-4: settled at the first coordination, in the ledger's facts: never reopened after a
# callback (R-ST-4), never reviewed (R-IN-7), never a repeat, escalated or multi-channel
# complaint (R-IN-6). The monthly statistics' SQL is written from this too.
FIRST_COORDINATION: dict[str, int | bool] = {
    "reopen_count": 0,
    "review_count": 0,
    "repeat_count": 0,
    "escalated": False,
    "multi_channel": False,
}
# R-AN-4: the outcome a first coordination settled the case with, and its exemption.
SETTLED: dict[str, str] = {"withdrawn": "withdrawn", "resolved": "satisfied_first_coordination"}
# R-AN-4 (S3 特别说明): clearly outside insurance liability, a person's judgement, stays
# exempt even for a repeat, escalated or multi-channel complaint.
OUTSIDE_LIABILITY = "outside_liability"
# R-AN-6 (S2 art.13(6)): not effective, but the people responsible are held accountable.
INSTIGATED = "instigated_by_own_surveyor"
# R-AC-6 (S1 事中 6(3)): the conduct kind a mis-selling finding records against the person.
MIS_SELLING = "mis_selling"
# R-AC-6 (S1 事后控制 2(1)(2)): crisis decisions recorded against the people responsible.
CRISIS_DECISIONS = frozenset({"wrong_crisis_decision", "failure_to_act"})

# R-AC-5: the outcomes a decision can carry (S0 批评教育、警告、罚款、降职、辞退; S2 通报批评).
OutcomeKind = Literal[
    "criticism_education", "warning", "fine", "demotion", "dismissal", "published_reprimand"
]
OUTCOME_KINDS: tuple[OutcomeKind, ...] = (
    "criticism_education",
    "warning",
    "fine",
    "demotion",
    "dismissal",
    "published_reprimand",
)

# department_head: R-AC-4 (escalated and media complaints); crisis_conduct: R-CR-8, R-AC-6;
# mis_selling: R-AC-6 (the person who misled the customer).
Responsibility = Literal[
    "direct", "managerial", "complaint_staff", "department_head", "crisis_conduct", "mis_selling"
]
# R-AN-5: the complaint staff's four grounds. The first two are proposed from the case's
# facts; the other two are recorded by a person (the review group, in the cycle).
StaffGround = Literal["late_progress", "incomplete_ledger", "poor_attitude", "exceeded_authority"]
RECORDED_GROUNDS: tuple[StaffGround, ...] = ("poor_attitude", "exceeded_authority")
# R-AN-5: a ledger entry missing one of these is incomplete (the rest are required at intake).
LEDGER_FIELDS = ("department", "product", "policy_number")
# R-AC-2: an appeal outside the monthly cycle, in working days of the branch's calendar.
APPEAL_WORKING_DAYS = 5


class PenaltyPolicy(Input):
    """The ranges of S2 art.22 and S3 (yuan); configurable, the defaults are the rules'."""

    effective_general: tuple[int, int] = (100, 150)
    effective_major: tuple[int, int] = (150, 200)  # "100-200 by impact"
    mishandled_after: int = 3  # the same case complained 3+ times
    mishandled: tuple[int, int] = (50, 200)
    repeat_per_complaint: int = 50  # per-channel sums add up (R-AN-5)
    escalated: int = 100
    multi_channel_per_channel: int = 50
    staff_late_per_breach: int = 20  # complaint staff: late progress feedback, 20-200 per case
    staff_cap: int = 200
    managerial_share: float = 0.5
    # R-SLA-10, R-AN-5: the amount per repeat or further channel, by the channel it came
    # through (S3's per-channel table is not in the seed text: it is data, ledger/policy.py);
    # a channel not listed costs repeat_per_complaint / multi_channel_per_channel.
    by_channel: dict[str, int] = Field(default_factory=dict)
    # R-AC-4: each further managerial level's share of the direct band, level by level up.
    higher_level_share: float = 0.25
    department_head_share: float = 0.5
    staff_ground: int = 20  # each other complaint-staff ground (20-200 per case)
    crisis_late: tuple[int, int] = (100, 200)  # R-CR-8: a crisis report late or never filed
    conduct: tuple[int, int] = (100, 200)  # R-CR-8: conduct events (promise, disclosure, ...)
    # R-AC-6: a wrong crisis decision or a failure to act, and misleading a customer
    crisis_decision: tuple[int, int] = (150, 200)
    mis_selling: tuple[int, int] = (100, 200)

    def per_channel(self, channel: str, default: int) -> int:
        return self.by_channel.get(channel, default)


class ConductFact(Input):
    """A conduct event recorded on the case (conduct_events, R-CR-2, R-CR-8)."""

    person: str
    kind: str
    detail: str | None = None


class CaseFacts(Input):
    """What the ledger knows of a case, as the cycle compiles it."""

    complaint_id: str
    branch: str | None = None
    owner: str
    supervisor: str | None = None
    grade: str
    crisis: bool = False
    outcome: str | None = None
    reopen_count: int = 0
    review_count: int = 0
    repeat_count: int = 0
    escalated: bool = False
    multi_channel: bool = False
    repeat_channels: list[str] = Field(default_factory=list)
    channel: str
    stage_breaches: int = 0
    amount_involved: Decimal | None = None  # R-IN-8 (rules 3): weighs the penalty (S3)
    effective: bool | None = None  # the supervisor's determination (R-AN-2), if recorded
    reason_code: str | None = None
    direct_person: str | None = None
    managerial_person: str | None = None
    # R-AC-4: further managerial levels above managerial_person, nearest first, and the
    # department head (held accountable for escalated and media complaints).
    managerial_levels: list[str] = Field(default_factory=list)
    department_head: str | None = None
    # R-AN-5 staff grounds from facts; R-CR-8 crisis lateness and conduct.
    missing_fields: list[str] = Field(default_factory=list)
    crisis_late: list[str] = Field(default_factory=list)  # crisis clock keys breached
    conduct: list[ConductFact] = Field(default_factory=list)
    # R-AN-7: who made the determination, the business line that made it when the case was
    # referred to one, and a referral still waiting for the line's determination.
    decided_by: str | None = None
    business_line: str | None = None
    referred_to: str | None = None
    media_contact: bool = False  # R-GR-4: a contact of the media recorded on the case

    @property
    def media(self) -> bool:
        return self.channel == "media" or "media" in self.repeat_channels or self.media_contact


def _money_only() -> list[OutcomeKind]:
    return ["fine"]


class Proposal(Input):
    complaint_id: str
    branch: str | None = None  # the case's: its supervisors may appeal for the person (R-AC-3)
    manager: str | None = None  # the branch manager the penalty sheet also goes to (R-AC-3)
    person: str
    responsibility: Responsibility
    reasons: list[str]
    minimum: int
    maximum: int
    # R-AC-5: the outcomes proposed (a fine unless said otherwise; items of cycles compiled
    # before outcomes were proposed read as money only).
    outcomes: list[OutcomeKind] = Field(default_factory=_money_only)
    # R-AN-7: who determined the case's responsibility (a business line when referred to one).
    determined_by: str | None = None


def period_of(moment: datetime) -> str:
    """The period a cycle started at `moment` compiles: on the 21st of M, the period M."""
    local = moment.astimezone(ZONE)
    return f"{local.year:04d}-{local.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """'2026-11' is 2026-10-21 .. 2026-11-20 (R-AN-3), both days included."""
    year, month = (int(x) for x in period.split("-"))
    last = date(year, month, 20)
    first_month = date(year - 1, 12, 21) if month == 1 else date(year, month - 1, 21)
    return first_month, last


def appeal_until(period: str) -> datetime:
    """Appeals are accepted until the end of the 26th (R-AN-3)."""
    year, month = (int(x) for x in period.split("-"))
    return datetime.combine(date(year, month, 26) + timedelta(days=1), time(0), tzinfo=ZONE)


def appeal_window_end(
    calendar: WorkCalendar, sent_at: datetime, days: int = APPEAL_WORKING_DAYS
) -> datetime:
    """R-AC-2: an appeal outside the monthly cycle is accepted for `days` working days of the
    branch's calendar after the sheet went out (holidays, weekends and closures skipped)."""
    return add_working_days(calendar, sent_at, days).at


def first_coordination(
    *,
    reopen_count: int,
    review_count: int,
    repeat_count: int,
    escalated: bool,
    multi_channel: bool,
) -> bool:
    """R-AN-4: the case was settled by the first coordination of the unit handling it."""
    facts = {
        "reopen_count": reopen_count,
        "review_count": review_count,
        "repeat_count": repeat_count,
        "escalated": escalated,
        "multi_channel": multi_channel,
    }
    return all(facts[k] == v for k, v in FIRST_COORDINATION.items())


def exemption_from_facts(
    *,
    outcome: str | None,
    reopen_count: int,
    review_count: int,
    repeat_count: int,
    escalated: bool,
    multi_channel: bool,
) -> str | None:
    """R-AN-4 as far as the ledger's facts show it: `withdrawn` or
    `satisfied_first_coordination` for a case settled so at the first coordination, never a
    repeat, escalated or multi-channel complaint. A case withdrawn or satisfied later stays
    accountable for its earlier handling. Clearly outside liability is a judgement: None."""
    settled = first_coordination(
        reopen_count=reopen_count,
        review_count=review_count,
        repeat_count=repeat_count,
        escalated=escalated,
        multi_channel=multi_channel,
    )
    return SETTLED.get(outcome or "") if settled else None


def exemption_holds(reason_code: str, **facts: Any) -> bool:
    """R-AN-4: whether an exemption claimed or determined (`reason_code`) stands on the facts
    (`outcome` and the first-coordination facts): outside liability always (S3 特别说明);
    withdrawn and satisfied only as `exemption_from_facts` proposes them."""
    if reason_code == OUTSIDE_LIABILITY:
        return True
    return reason_code in EXEMPTIONS and exemption_from_facts(**facts) == reason_code


def exemption(facts: CaseFacts) -> str | None:
    """R-AN-4 for a compiled case: the determination's exemption if the facts allow it; none
    when the determination holds people accountable (effective, R-AN-2; a surveyor's
    instigation, R-AN-6); else what the facts propose."""
    first: dict[str, Any] = {
        "outcome": facts.outcome,
        "reopen_count": facts.reopen_count,
        "review_count": facts.review_count,
        "repeat_count": facts.repeat_count,
        "escalated": facts.escalated,
        "multi_channel": facts.multi_channel,
    }
    if facts.reason_code in EXEMPTIONS:
        return facts.reason_code if exemption_holds(facts.reason_code, **first) else None
    if facts.effective or facts.reason_code == INSTIGATED:
        return None
    return exemption_from_facts(**first)


def propose(facts: CaseFacts, policy: PenaltyPolicy | None = None) -> list[Proposal]:
    """R-AN-5 proposals for one case: direct and managerial responsibility (every level
    named, R-AC-4) when the complaint is effective or a surveyor instigated it (R-AN-6); the
    department head for an escalated or media complaint (R-AC-4); the complaint staff's
    grounds from the facts; crisis lateness and conduct (R-CR-8, R-AC-6); the person who
    misled the customer (R-AC-6). An effective complaint's direct person is proposed the
    published reprimand with the fine (R-AC-5); each proposal names who determined the case
    (R-AN-7)."""
    p = policy or PenaltyPolicy()
    proposals: list[Proposal] = []
    determined_by = (
        f"business line {facts.business_line} ({facts.decided_by})"
        if facts.business_line
        else facts.decided_by
    )

    def add(
        person: str,
        responsibility: Responsibility,
        reasons: list[str],
        low: int,
        high: int,
        outcomes: list[OutcomeKind] | None = None,
    ) -> None:
        proposals.append(
            Proposal(
                complaint_id=facts.complaint_id,
                branch=facts.branch,
                manager=facts.supervisor,
                person=person,
                responsibility=responsibility,
                reasons=reasons,
                minimum=low,
                maximum=high,
                outcomes=outcomes or ["fine"],
                determined_by=determined_by,
            )
        )

    if exemption(facts) is not None:  # R-AN-4 exempts the handling, not staff conduct
        _conduct(facts, p, add)
        return proposals
    direct = facts.direct_person or facts.owner
    instigated = facts.reason_code == INSTIGATED  # R-AN-6
    accountable = bool(facts.effective) or instigated
    low, high = 0, 0
    reasons: list[str] = []
    if accountable:
        band = (
            p.effective_major if facts.grade != "general" or facts.crisis else p.effective_general
        )
        low, high = band
        reasons.append(
            "complaint instigated by the company's own surveyor: not effective, but held "
            "accountable (R-AN-6)"
            if instigated
            else f"effective complaint ({facts.reason_code or 'determined'})"
        )
    times = 1 + facts.repeat_count
    if times >= p.mishandled_after:
        low, high = low + p.mishandled[0], high + p.mishandled[1]
        reasons.append(f"the same case complained {times} times: mishandling")
    extra = 0
    if facts.repeat_count:
        # Each repeat costs its channel's amount; repeats beyond the channels listed, the
        # default (the ledger keeps one entry per channel, the count per complaint).
        channels = facts.repeat_channels[: facts.repeat_count]
        known = [p.per_channel(c, p.repeat_per_complaint) for c in channels]
        extra += sum(known) + p.repeat_per_complaint * (facts.repeat_count - len(known))
        reasons.append(f"{facts.repeat_count} repeat complaint(s)")
    if facts.escalated:
        extra += p.escalated
        reasons.append("escalated over the handler's head")
    if facts.multi_channel:
        others = sorted({c for c in facts.repeat_channels if c != facts.channel})
        extra += (
            sum(p.per_channel(c, p.multi_channel_per_channel) for c in others)
            if others
            else p.multi_channel_per_channel
        )
        reasons.append(f"multi-channel complaint ({max(len(others), 1)} more channel(s))")
    if reasons and facts.amount_involved is not None:
        # R-IN-8: the review group weighs the amount involved; the proposal names it.
        reasons.append(f"amount involved {facts.amount_involved} CNY")
    if reasons and facts.referred_to and not facts.business_line:
        reasons.append(f"awaiting the determination of business line {facts.referred_to} (R-AN-7)")
    if reasons:
        # R-AC-5 (S2 art.22(1)): an effective complaint's direct person, reprimand and fine.
        outcomes: list[OutcomeKind] = (
            ["fine", "published_reprimand"] if facts.effective else ["fine"]
        )
        add(direct, "direct", reasons, low + extra, high + extra, outcomes)
        manager = facts.managerial_person or facts.supervisor
        if accountable:
            share = p.managerial_share
            levels = [m for m in dict.fromkeys([manager, *facts.managerial_levels]) if m]
            for n, person in enumerate(levels):
                if person == direct:
                    continue
                add(
                    person,
                    "managerial",
                    [f"managerial (level {n + 1}): {reasons[0]}"],
                    round(low * share),
                    round(high * share),
                )
                share = p.higher_level_share
    if (facts.escalated or facts.media) and facts.department_head:
        why = "escalated" if facts.escalated else "reported by the media"
        base_low, base_high = p.effective_general if not accountable else (low, high)
        add(
            facts.department_head,
            "department_head",
            [f"department head: the complaint was {why} (R-AC-4)"],
            round(base_low * p.department_head_share),
            round(base_high * p.department_head_share),
        )
    staff_reasons: list[str] = []
    fine = 0
    if facts.stage_breaches:
        fine += p.staff_late_per_breach * facts.stage_breaches
        staff_reasons.append(f"late progress: {facts.stage_breaches} deadline(s) breached")
    if facts.missing_fields:
        fine += p.staff_ground
        staff_reasons.append(f"incomplete ledger entry: {', '.join(facts.missing_fields)}")
    if staff_reasons:
        fine = min(fine, p.staff_cap)
        first = p.staff_late_per_breach if facts.stage_breaches else p.staff_ground
        add(facts.owner, "complaint_staff", staff_reasons, min(fine, first), fine)
    _conduct(facts, p, add)
    return proposals


class _Add(Protocol):
    def __call__(
        self, person: str, responsibility: Responsibility, reasons: list[str], low: int, high: int
    ) -> None: ...


def _conduct(facts: CaseFacts, p: PenaltyPolicy, add: _Add) -> None:
    """R-CR-8, R-AC-6: per person, their crisis lateness and conduct in one item; misleading
    a customer (R-AC-6) in its own. Proposed whatever R-AN-4 says of the case's handling."""
    crisis: dict[str, list[str]] = {}
    misled: dict[str, list[str]] = {}
    for key in facts.crisis_late:
        crisis.setdefault(facts.owner, []).append(f"crisis report late or not filed ({key})")
    for event in facts.conduct:
        detail = f" ({event.detail})" if event.detail else ""
        if event.kind == MIS_SELLING:
            misled.setdefault(event.person, []).append(
                f"misled the customer: policy found flawed or a problem (R-AC-6){detail}"
            )
            continue
        rule = " (R-AC-6)" if event.kind in CRISIS_DECISIONS else ""
        crisis.setdefault(event.person, []).append(f"conduct: {event.kind}{rule}{detail}")
    for person, grounds in crisis.items():
        late = sum(r.startswith("crisis report") for r in grounds)
        decisions = sum("(R-AC-6)" in r for r in grounds)
        done = len(grounds) - late - decisions
        low, high = (
            p.crisis_late[i] * late + p.conduct[i] * done + p.crisis_decision[i] * decisions
            for i in (0, 1)
        )
        add(person, "crisis_conduct", grounds, low, high)
    for person, grounds in misled.items():
        add(
            person,
            "mis_selling",
            grounds,
            p.mis_selling[0] * len(grounds),
            p.mis_selling[1] * len(grounds),
        )


def staff_ground_item(ground: StaffGround, policy: PenaltyPolicy | None = None) -> tuple[int, int]:
    """R-AN-5: the range a recorded complaint-staff ground proposes (20-200 per case)."""
    p = policy or PenaltyPolicy()
    return p.staff_ground, p.staff_cap
