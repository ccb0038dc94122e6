"""The monthly accountability cycle (R-AN-3..5, R-AC-1..2): periods and penalty proposals.

Pure functions. The system proposes; the review group decides.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from domain.models import Model

ZONE = ZoneInfo("Asia/Shanghai")
EXEMPTIONS = frozenset({"withdrawn", "outside_liability", "satisfied_first_coordination"})

Responsibility = Literal["direct", "managerial", "complaint_staff"]


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


class Proposal(Model):
    complaint_id: str
    branch: str | None = None  # the case's: its supervisors may appeal for the person (R-AC-3)
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
    """R-AN-5 proposals for one case: direct and managerial responsibility when the complaint
    is effective, plus the complaint staff's penalty for late progress."""
    p = policy or PenaltyPolicy()
    if exemption(facts) is not None:
        return []
    proposals: list[Proposal] = []
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
        extra += p.repeat_per_complaint * facts.repeat_count
        reasons.append(f"{facts.repeat_count} repeat complaint(s)")
    if facts.escalated:
        extra += p.escalated
        reasons.append("escalated over the handler's head")
    if facts.multi_channel:
        channels = len({c for c in facts.repeat_channels if c != facts.channel})
        extra += p.multi_channel_per_channel * max(channels, 1)
        reasons.append(f"multi-channel complaint ({max(channels, 1)} more channel(s))")
    if reasons and facts.amount_involved is not None:
        # R-IN-8: the review group weighs the amount involved; the proposal names it.
        reasons.append(f"amount involved {facts.amount_involved} CNY")
    if reasons:
        proposals.append(
            Proposal(complaint_id=facts.complaint_id, branch=facts.branch, person=direct,
                     responsibility="direct", reasons=reasons, minimum=low + extra,
                     maximum=high + extra)
        )  # fmt: skip
        manager = facts.managerial_person or facts.supervisor
        if manager and facts.effective:
            share = p.managerial_share
            proposals.append(
                Proposal(complaint_id=facts.complaint_id, branch=facts.branch, person=manager,
                         responsibility="managerial", reasons=[f"managerial: {reasons[0]}"],
                         minimum=round(low * share), maximum=round(high * share))
            )  # fmt: skip
    if facts.stage_breaches:
        fine = min(p.staff_late_per_breach * facts.stage_breaches, p.staff_cap)
        proposals.append(
            Proposal(complaint_id=facts.complaint_id, branch=facts.branch, person=facts.owner,
                     responsibility="complaint_staff",
                     reasons=[f"late progress: {facts.stage_breaches} deadline(s) breached"],
                     minimum=min(fine, p.staff_late_per_breach), maximum=fine)
        )  # fmt: skip
    return proposals
