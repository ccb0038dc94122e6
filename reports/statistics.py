"""The monthly statistics of the complaint ledger (R-AN-1, R-AN-2) and R-AN-4's exemption proposal.

A report covers one calendar month in Asia/Shanghai time: a complaint belongs to the month
when `received_at` is in [the 1st 00:00+08:00, the next month's 1st 00:00+08:00), so
2026-10-31T23:30+08:00 is October and 2026-11-01T00:10+08:00 (still October in UTC) is November.
`branch_prefix` narrows everything (complaints, clocks, exposures) to the branches whose name
starts with it (`"Shanghai"`: every Shanghai branch).

What each figure counts:

- `complaints` and the breakdowns by category, channel, grade, outcome (`open` while no outcome),
  product (`(none)` when the intake named none) and branch: complaints received in the month.
- `reopened`: those reopened at least once (R-ST-4); `reopens`: reopenings in total;
  `reopen_rate = reopened / complaints`. `repeat`: complaints with `repeat_count > 0`;
  `escalated`, `multi_channel`: R-IN-6's flags. `amount_involved`: the sum of the amounts
  involved recorded (R-IN-8, CNY; complaints without one count 0).
- `sla`: stage clocks (`sla_clocks.kind = 'stage'`, key `stage:<name>`) that *started* in the
  month, per stage: `met_on_time` (met, no breach recorded), `breached` (`breached_at` set),
  `open` (neither yet), `extended` (an approved extension, R-SLA-6; counted inside the others),
  `provisional` (open, its deadline computed on weekdays only: R-SLA-3; it may still move).
  `compliance_rate = met_on_time / (met_on_time + breached)`: open clocks are not judged yet.
  A restarted clock (rejected resolution, reopened case, new facts) is one more clock.
- `product_rates`: complaints per 10,000 policies and per ¥100m premium from `exposures`
  (rows with a product). Each rate counts only the complaints of the branches whose row has
  that figure, so a partial import never inflates a rate; no figure anywhere gives `None`.
- `effective` (R-AN-2): per branch, the determinations (`determinations`) of the month's
  complaints, against the branch's claims reported that month (`exposures`: its totals row,
  `product = ''`, else the sum of its product rows). `over_limit` when effective complaints are
  more than 5% of the claims (exactly 5% is within); integer arithmetic, no rounding. A branch
  with effective complaints but no claims figure is listed in `without_claims_figures`.
  `exempt` counts the determinations whose exemption stands on the case's facts (R-AN-4 as
  restated, `domain.accountability.exemption_holds`): a `withdrawn` or
  `satisfied_first_coordination` recorded on a case that was reopened, reviewed, repeated,
  escalated or multi-channel is not exempt and counts among `not_effective`.
- `trend`: total complaints of each of the 12 months up to and including the period.
- `needs_help`, `by_help_flag` (R-CR-5): complaints whose customer was flagged as needing
  help (vulnerable, violent, likely group complaint, sent by the regulator or media), in all
  and per flag (a customer with two flags counts once in `needs_help`).
- `root_causes` (R-AN-8): the cases *decided* in the month (close_case: `decided_at`) by
  root cause (`(not recorded)` when the close named none), and by cause within each product,
  branch and bank outlet (cases without an outlet are not in `by_outlet`); `labels` gives each
  code's Chinese and English label from the taxonomy in force.
- `hot_spots` (R-AN-8): per branch, each cause (cases decided in the month) and each product
  (complaints received in the month) whose count is well above its trailing level: at least
  `min_count` and at least `factor` times the mean of the `trailing_months` months before
  (policy `hot_spots`, domain/causes.HotSpotPolicy: 5, 1.5, 3 by default), with its tracking
  (owner, due date, rectified) when the daily watch has recorded it (`hot_spots` table).

The rows come from `ledger.statistics`, all in one read-only REPEATABLE READ snapshot (the
trend's last month equals `complaints`), or in the caller's transaction when there is one;
this module turns them into the figures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain import causes
from domain.accountability import exemption_from_facts as exemption_from_facts  # R-AN-4's one
from infra.postgres import Queryable
from ledger import determinations, hotspots, statistics
from ledger import policy as policies
from ledger.statistics import NO_PRODUCT as NO_PRODUCT  # also the report's label

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)
EFFECTIVE_LIMIT = Fraction(5, 100)  # R-AN-2
STAGES = ("contact", "investigate", "approve", "close", "callback")
TREND_MONTHS = 12

Verdict = Literal["effective", "not_effective", "exempt"]
REASONS: dict[Verdict, tuple[str, ...]] = {
    # R-AN-2: effective complaints (有效投诉, S2 art.13)
    "effective": (
        "staff_error",
        "poor_attitude",
        "lack_of_responsibility",
        "deliberate_escalation",
    ),
    # R-AN-2: not effective
    "not_effective": (
        "repair_shop_impersonation",
        "instigated_by_own_surveyor",
        "against_head_office_rules",
    ),
    # R-AN-4: exempt from accountability
    "exempt": ("withdrawn", "outside_liability", "satisfied_first_coordination"),
}
ReasonCode = Literal[
    "staff_error",
    "poor_attitude",
    "lack_of_responsibility",
    "deliberate_escalation",
    "repair_shop_impersonation",
    "instigated_by_own_surveyor",
    "against_head_office_rules",
    "withdrawn",
    "outside_liability",
    "satisfied_first_coordination",
]

_PERIOD = re.compile(r"(\d{4})-(\d{2})")


def verdict_of(reason_code: str) -> Verdict:
    for verdict, codes in REASONS.items():
        if reason_code in codes:
            return verdict
    raise ValueError(f"unknown reason code {reason_code!r}")


# ---------------------------------------------------------------------------------------------
# Periods


def parse_period(period: str) -> tuple[int, int]:
    """`'2026-10'` → `(2026, 10)`; ValueError with a clear message otherwise."""
    match = _PERIOD.fullmatch(period.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 9998:
        raise ValueError(
            f"period must be a calendar month written YYYY-MM (e.g. 2026-10), got {period!r}"
        )
    return int(match[1]), int(match[2])


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[first day 00:00, next month's first day 00:00) in Asia/Shanghai."""
    following = add_months(year, month, 1)
    return (
        datetime(year, month, 1, tzinfo=ZONE),
        datetime(following[0], following[1], 1, tzinfo=ZONE),
    )


def period_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


# ---------------------------------------------------------------------------------------------
# The report


class StageCompliance(BaseModel):
    stage: str
    clocks: int = Field(description="stage clocks started in the month")
    met_on_time: int
    breached: int
    open: int = Field(description="neither met nor breached yet")
    extended: int = Field(description="with an approved extension (counted in the others too)")
    provisional: int = Field(
        0,
        description="R-SLA-3: open, with a deadline in a year whose "
        "calendar is not published or entered (it may move, R-SLA-11)",
    )
    compliance_rate: float | None = Field(description="met_on_time / (met_on_time + breached)")


class ProductRate(BaseModel):
    product: str
    complaints: int
    policies: int | None = Field(description="sum over the branches with the figure")
    premium_yuan: Decimal | None = Field(description="sum over the branches with the figure")
    per_10k_policies: float | None
    per_100m_premium: float | None


class BranchEffective(BaseModel):
    branch: str
    complaints: int
    determined: int
    effective: int
    not_effective: int
    exempt: int
    claims_reported: int | None
    effective_rate: float | None = Field(description="effective / claims_reported")
    over_limit: bool


class EffectiveControl(BaseModel):
    """R-AN-2: effective complaints per branch within 5% of its claims reported."""

    limit: float = float(EFFECTIVE_LIMIT)
    branches: list[BranchEffective]
    over_limit: list[str]
    without_claims_figures: list[str]


class MonthTotal(BaseModel):
    period: str
    complaints: int


class RootCauses(BaseModel):
    """R-AN-8: the causes of the cases decided in the month."""

    decided: int = 0
    by_cause: dict[str, int] = {}
    by_product: dict[str, dict[str, int]] = Field({}, description="product → cause → cases")
    by_branch: dict[str, dict[str, int]] = Field({}, description="branch → cause → cases")
    by_outlet: dict[str, dict[str, int]] = Field({}, description="bank outlet → cause → cases")
    labels: dict[str, str] = Field({}, description="code → 中文 / English")


class HotSpot(BaseModel):
    """R-AN-8: a count well above its trailing level, and its rectification's tracking."""

    branch: str
    dimension: Literal["cause", "product"]
    key: str
    label: str
    count: int
    trailing: list[int] = Field(description="the months before, oldest first")
    trailing_mean: float
    hot_spot_id: int | None = Field(None, description="once the daily watch recorded it")
    owner: str | None = None
    due_on: date | None = None
    rectified: bool = False


class MonthlyReport(BaseModel):
    """R-AN-1, R-AN-2: one calendar month of the ledger (see `reports.statistics`)."""

    period: str
    branch_prefix: str | None
    branches: list[str] | None = Field(None, description="only these branches (the key's)")
    time_zone: str = ZONE_NAME
    starts_at: datetime
    ends_at: datetime
    generated_at: datetime
    complaints: int
    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_grade: dict[str, int]
    by_outcome: dict[str, int]
    by_product: dict[str, int]
    by_branch: dict[str, int]
    reopened: int
    reopens: int
    reopen_rate: float | None
    repeat: int
    escalated: int
    multi_channel: int
    amount_involved: Decimal = Decimal(0)  # R-IN-8 (rules 3): the month's total, CNY
    sla: list[StageCompliance]
    product_rates: list[ProductRate]
    effective: EffectiveControl
    trend: list[MonthTotal]
    needs_help: int = 0  # R-CR-5
    by_help_flag: dict[str, int] = {}
    root_causes: RootCauses = RootCauses()  # R-AN-8
    hot_spots: list[HotSpot] = []  # R-AN-8
    hot_spot_rule: causes.HotSpotPolicy = causes.HotSpotPolicy()


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


async def monthly_report(
    conn_or_pool: Queryable,
    period: str,
    branch_prefix: str | None = None,
    branches: Sequence[str] | None = None,
) -> MonthlyReport:
    """The statistics of one calendar month (`'YYYY-MM'`, Asia/Shanghai); ValueError for a bad
    period or branch prefix. `branches`: only these (an API key's; None: every branch). See
    the module's docstring for what each figure counts."""
    year, month = parse_period(period)
    prefix = branch_prefix or None
    if prefix is not None and "\x00" in prefix:
        raise ValueError("branch must not contain NUL characters")
    start, end = month_bounds(year, month)
    label = period_label(year, month)
    months = [add_months(year, month, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    now = datetime.now(UTC)
    rule = await hotspots.hot_spot_policy(conn_or_pool, now)  # R-AN-8
    taxonomy = await policies.in_force(conn_or_pool, "causes", None, now)
    rows = await statistics.month_rows(
        conn_or_pool,
        start=start,
        end=end,
        period=label,
        trend=[(period_label(y, m), *month_bounds(y, m)) for y, m in months],
        exempt=REASONS["exempt"],
        branch_prefix=prefix,
        branches=branches,
        hot_window=hotspots.month_window(label, rule.trailing_months),
    )
    labels = cause_labels(
        causes.DEFAULT_TAXONOMY
        if taxonomy is None
        else causes.CauseTaxonomy.model_validate(taxonomy)
    )
    tracked = {
        (r["branch"], r["dimension"], r["key"]): r
        for r in await hotspots.listing(conn_or_pool, period=label, branches=branches)
    }
    counts, total = rows.breakdown.counts, rows.breakdown.totals
    complaints: int = total["n"]
    return MonthlyReport(
        period=label,
        branch_prefix=prefix,
        branches=None if branches is None else sorted(branches),
        starts_at=start,
        ends_at=end,
        generated_at=datetime.now(UTC),
        complaints=complaints,
        by_category=_by_count(counts["category"]),
        by_channel=_by_count(counts["channel"]),
        by_grade=_by_count(counts["grade"]),
        by_outcome=_by_count(counts["outcome"]),
        by_product=_by_count(counts["product"]),
        by_branch=_by_count(counts["branch"]),
        reopened=total["reopened"],
        reopens=total["reopens"],
        reopen_rate=_rate(total["reopened"], complaints),
        repeat=total["repeated"],
        escalated=total["escalated"],
        multi_channel=total["multi_channel"],
        amount_involved=total["amount_involved"],
        sla=stage_compliance(rows.sla),
        product_rates=rate_products(
            counts["product"], rows.breakdown.per_product_branch, rows.exposures
        ),
        effective=effective_control(counts["branch"], rows.effective, rows.exposures),
        trend=[MonthTotal(period=r["period"], complaints=r["n"]) for r in rows.trend],
        needs_help=next((r["n"] for r in rows.help_flags if r["flag"] is None), 0),
        by_help_flag=_by_count(
            Counter({r["flag"]: r["n"] for r in rows.help_flags if r["flag"] is not None})
        ),
        root_causes=root_causes(rows.causes, labels),
        hot_spots=hot_spots(rows.hot_counts, rule, labels, tracked),
        hot_spot_rule=rule,
    )


def cause_labels(taxonomy: causes.CauseTaxonomy) -> dict[str, str]:
    return {c.code: f"{c.zh} / {c.en}" for c in taxonomy.causes}


def root_causes(rows: list[Any], labels: dict[str, str]) -> RootCauses:
    """R-AN-8 (pure): from the month's cause rows (grouping sets (cause), (cause, product),
    (cause, branch), (cause, outlet); `g` the GROUPING bits of cause, p, branch, outlet)."""
    by_cause: Counter[str] = Counter()
    nested: dict[str, dict[str, Counter[str]]] = {"p": {}, "branch": {}, "outlet": {}}
    for r in rows:
        if r["g"] == 0b0111:
            by_cause[r["cause"]] = r["n"]
            continue
        column = {0b0011: "p", 0b0101: "branch", 0b0110: "outlet"}[r["g"]]
        if r[column] is not None:
            nested[column].setdefault(r[column], Counter())[r["cause"]] = r["n"]

    def sort(groups: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
        return {k: _by_count(groups[k]) for k in sorted(groups)}

    return RootCauses(
        decided=sum(by_cause.values()),
        by_cause=_by_count(by_cause),
        by_product=sort(nested["p"]),
        by_branch=sort(nested["branch"]),
        by_outlet=sort(nested["outlet"]),
        labels={code: labels.get(code, code) for code in sorted(by_cause)},
    )


def hot_spots(
    months: list[dict[tuple[str, str, str], int]],
    rule: causes.HotSpotPolicy,
    labels: dict[str, str],
    tracked: dict[tuple[str, str, str], Any],
) -> list[HotSpot]:
    """R-AN-8 (pure): the month's flags (the last of `months`; the ones before it are the
    trailing level), with the tracking of those the daily watch recorded."""
    if not months:
        return []
    found = []
    for f in causes.flags(months[-1], months[:-1], rule):
        row = tracked.get((f.branch, f.dimension, f.key))
        found.append(
            HotSpot(
                branch=f.branch,
                dimension=f.dimension,
                key=f.key,
                label=labels.get(f.key, f.key) if f.dimension == "cause" else f.key,
                count=f.count,
                trailing=f.trailing,
                trailing_mean=f.trailing_mean,
                hot_spot_id=row["hot_spot_id"] if row else None,
                owner=row["owner"] if row else None,
                due_on=row["due_on"] if row else None,
                rectified=bool(row and row["rectified_at"]),
            )
        )
    return found


def stage_compliance(rows: list[Any]) -> list[StageCompliance]:
    """Per stage, in the stages' order (pure): from the month's stage clock counts per clock
    key (`clock_key`, `clocks`, `met`, `breached`, `open`, `extended`, `provisional`)."""
    found = {
        r["clock_key"].removeprefix("stage:"): StageCompliance(
            stage=r["clock_key"].removeprefix("stage:"),
            clocks=r["clocks"],
            met_on_time=r["met"],
            breached=r["breached"],
            open=r["open"],
            extended=r["extended"],
            provisional=r["provisional"],
            compliance_rate=_rate(r["met"], r["met"] + r["breached"]),
        )
        for r in rows
    }
    order = {stage: i for i, stage in enumerate(STAGES)}
    for stage in STAGES:  # every stage shows, with zeros when no clock started
        found.setdefault(
            stage,
            StageCompliance(
                stage=stage,
                clocks=0,
                met_on_time=0,
                breached=0,
                open=0,
                extended=0,
                compliance_rate=None,
            ),
        )
    return sorted(found.values(), key=lambda s: (order.get(s.stage, len(order)), s.stage))


def rate_products(
    by_product: Counter[str],
    per_product_branch: dict[tuple[str, str], int],
    exposures: list[Any],
) -> list[ProductRate]:
    """Complaints per 10,000 policies and per ¥100m premium of each product (pure): from the
    month's counts per product and per (product, branch) and the month's `exposures` rows."""
    policies: dict[str, list[tuple[str, int]]] = {}
    premium: dict[str, list[tuple[str, Decimal]]] = {}
    for e in exposures:
        if e["product"] == "":
            continue
        if e["policies"] is not None:
            policies.setdefault(e["product"], []).append((e["branch"], e["policies"]))
        if e["premium_yuan"] is not None:
            premium.setdefault(e["product"], []).append((e["branch"], e["premium_yuan"]))
    rates: list[ProductRate] = []
    for product in sorted(set(by_product) | set(policies) | set(premium)):
        if product == NO_PRODUCT:
            continue
        p_rows, m_rows = policies.get(product, []), premium.get(product, [])
        p_sum = sum(n for _, n in p_rows) if p_rows else None
        m_sum = sum((y for _, y in m_rows), Decimal(0)) if m_rows else None
        p_complaints = sum(per_product_branch.get((product, b), 0) for b, _ in p_rows)
        m_complaints = sum(per_product_branch.get((product, b), 0) for b, _ in m_rows)
        rates.append(
            ProductRate(
                product=product,
                complaints=by_product.get(product, 0),
                policies=p_sum,
                premium_yuan=m_sum,
                per_10k_policies=p_complaints * 10_000 / p_sum if p_sum else None,
                per_100m_premium=(
                    float(Decimal(m_complaints) * Decimal(100_000_000) / m_sum) if m_sum else None
                ),
            )
        )
    return rates


def effective_control(
    by_branch: Counter[str], determined: list[Any], exposures: list[Any]
) -> EffectiveControl:
    """R-AN-2 per branch (pure): from the month's complaints per branch, the determinations
    per branch (`branch`, `determined`, `effective`, `exempt`) and the `exposures` rows."""
    totals: dict[str, int] = {}
    product_sums: dict[str, int] = {}
    for e in exposures:
        if e["claims_reported"] is None:
            continue
        if e["product"] == "":
            totals[e["branch"]] = e["claims_reported"]
        else:
            product_sums[e["branch"]] = product_sums.get(e["branch"], 0) + e["claims_reported"]
    claims = {**product_sums, **totals}  # the totals row wins over the sum of product rows
    decided = {r["branch"]: r for r in determined}
    branches: list[BranchEffective] = []
    for branch in sorted(set(by_branch) | set(claims) | set(decided)):
        row = decided.get(branch)
        n, effective, exempt = (
            (row["determined"], row["effective"], row["exempt"]) if row else (0, 0, 0)
        )
        reported = claims.get(branch)
        over = reported is not None and (
            effective > 0 if reported == 0 else Fraction(effective, reported) > EFFECTIVE_LIMIT
        )
        branches.append(
            BranchEffective(
                branch=branch,
                complaints=by_branch.get(branch, 0),
                determined=n,
                effective=effective,
                not_effective=n - effective - exempt,
                exempt=exempt,
                claims_reported=reported,
                effective_rate=effective / reported if reported else None,
                over_limit=over,
            )
        )
    return EffectiveControl(
        branches=branches,
        over_limit=[b.branch for b in branches if b.over_limit],
        without_claims_figures=[
            b.branch for b in branches if b.effective and b.claims_reported is None
        ],
    )


# ---------------------------------------------------------------------------------------------
# R-AN-4 (the rule itself: domain.accountability)


async def propose_exemption(conn: Queryable, complaint_id: str) -> str | None:
    """The exemption (R-AN-4) the case's ledger facts support; None if none (or no such case)."""
    row = await determinations.exemption_facts(conn, complaint_id)
    if row is None:
        return None
    return exemption_from_facts(**dict(row))
