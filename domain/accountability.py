"""The monthly accountability cycle (R-AN-3..5, R-AC-1..4): periods and penalty proposals.

Pure functions. The system proposes; the review group decides.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from domain.calendar import WorkCalendar, add_working_days
from domain.models import Model

ZONE = ZoneInfo("Asia/Shanghai")
EXEMPTIONS = frozenset({"withdrawn", "outside_liability", "satisfied_first_coordination"})

# department_head: R-AC-4 (escalated and media complaints); crisis_conduct: R-CR-8.
Responsibility = Literal[
    "direct", "managerial", "complaint_staff", "department_head", "crisis_conduct"
]
# R-AN-5: the complaint staff's four grounds. The first two are proposed from the case's
# facts; the other two are recorded by a person (the review group, in the cycle).
StaffGround = Literal["late_progress", "incomplete_ledger", "poor_attitude", "exceeded_authority"]
RECORDED_GROUNDS: tuple[StaffGround, ...] = ("poor_attitude", "exceeded_authority")
# R-AN-5: a ledger entry missing one of these is incomplete (the rest are required at intake).
LEDGER_FIELDS = ("department", "product", "policy_number")
# R-AC-2: an appeal outside the monthly cycle, in working days of the branch's calendar.
APPEAL_WORKING_DAYS = 5


class PenaltyPolicy(Model):
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

    def per_channel(self, channel: str, default: int) -> int:
        return self.by_channel.get(channel, default)


class ConductFact(Model):
    """A conduct event recorded on the case (conduct_events, R-CR-2, R-CR-8)."""

    person: str
    kind: str
    detail: str | None = None


class CaseFacts(Model):
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

    @property
    def media(self) -> bool:
        return self.channel == "media" or "media" in self.repeat_channels


class Proposal(Model):
    complaint_id: str
    branch: str | None = None  # the case's: its supervisors may appeal for the person (R-AC-3)
    manager: str | None = None  # the branch manager the penalty sheet also goes to (R-AC-3)
    person: str
    responsibility: Responsibility
    reasons: list[str]
    minimum: int
    maximum: int


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
    return add_working_days(calendar, sent_at, days).at  # fmt: skip


def exemption(facts: CaseFacts) -> str | None:
    """R-AN-4: withdrawn, outside liability (as determined), or satisfied at first
    coordination with no repeat, escalated or multi-channel complaint."""
    if facts.reason_code in EXEMPTIONS:
        return facts.reason_code
    if facts.outcome == "withdrawn":
        return "withdrawn"
    if (
        facts.outcome == "resolved"
        and facts.reopen_count == 0
        and facts.review_count == 0  # a review means the first coordination did not satisfy
        and facts.repeat_count == 0
        and not facts.escalated
        and not facts.multi_channel
        and facts.effective is not True
    ):
        return "satisfied_first_coordination"
    return None


def propose(facts: CaseFacts, policy: PenaltyPolicy | None = None) -> list[Proposal]:
    """R-AN-5 proposals for one case: direct and managerial responsibility (every level
    named, R-AC-4) when the complaint is effective; the department head for an escalated or
    media complaint (R-AC-4); the complaint staff's grounds from the facts; crisis lateness
    and conduct (R-CR-8)."""
    p = policy or PenaltyPolicy()
    if exemption(facts) is not None:
        return []
    proposals: list[Proposal] = []

    def add(person: str, responsibility: Responsibility, reasons: list[str], low: int,
            high: int) -> None:  # fmt: skip
        proposals.append(Proposal(complaint_id=facts.complaint_id, branch=facts.branch,
                                  manager=facts.supervisor, person=person,
                                  responsibility=responsibility, reasons=reasons,
                                  minimum=low, maximum=high))  # fmt: skip

    direct = facts.direct_person or facts.owner
    low, high = 0, 0
    reasons: list[str] = []
    if facts.effective:
        band = (
            p.effective_major if facts.grade != "general" or facts.crisis else p.effective_general
        )
        low, high = band
        reasons.append(f"effective complaint ({facts.reason_code or 'determined'})")
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
    if reasons:
        add(direct, "direct", reasons, low + extra, high + extra)
        manager = facts.managerial_person or facts.supervisor
        if facts.effective:
            share = p.managerial_share
            levels = [m for m in dict.fromkeys([manager, *facts.managerial_levels]) if m]
            for n, person in enumerate(levels):
                if person == direct:
                    continue
                add(person, "managerial", [f"managerial (level {n + 1}): {reasons[0]}"],
                    round(low * share), round(high * share))  # fmt: skip
                share = p.higher_level_share
    if (facts.escalated or facts.media) and facts.department_head:
        why = "escalated" if facts.escalated else "reported by the media"
        base_low, base_high = p.effective_general if not facts.effective else (low, high)
        add(facts.department_head, "department_head",
            [f"department head: the complaint was {why} (R-AC-4)"],
            round(base_low * p.department_head_share),
            round(base_high * p.department_head_share))  # fmt: skip
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
    crisis: dict[str, list[str]] = {}
    for key in facts.crisis_late:
        crisis.setdefault(facts.owner, []).append(f"crisis report late or not filed ({key})")
    for event in facts.conduct:
        crisis.setdefault(event.person, []).append(
            f"conduct: {event.kind}" + (f" ({event.detail})" if event.detail else "")
        )
    for person, grounds in crisis.items():
        late = sum(r.startswith("crisis report") for r in grounds)
        done = len(grounds) - late
        add(person, "crisis_conduct", grounds,
            p.crisis_late[0] * late + p.conduct[0] * done,
            p.crisis_late[1] * late + p.conduct[1] * done)  # fmt: skip
    return proposals


def staff_ground_item(ground: StaffGround, policy: PenaltyPolicy | None = None) -> tuple[int, int]:
    """R-AN-5: the range a recorded complaint-staff ground proposes (20-200 per case)."""
    p = policy or PenaltyPolicy()
    return p.staff_ground, p.staff_cap
