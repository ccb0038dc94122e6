"""Root causes and hot spots (R-AN-8): the taxonomy a closed case's cause is taken from, and when
a month's count is a hot spot. Pure: both are handling policy (R-SLA-10), entered as data by an
administrator (`POST /v1/policy/causes`, `/v1/policy/hot_spots`), every version kept with who
and why; the defaults here hold until a version is entered.

The taxonomy (S0 找出投诉产生的原因和规律; S1 names the subjects customers dispute:
合同内容, 产品期限, 后续服务, 收益水平). Each entry has a stable code, a Chinese and an English
label. A code is never taken away: a later version keeps every code of the one in force and
may retire it (`retired`), so past cases and past reports keep their meaning; a retired cause
is no longer offered for closing.

A case checks its cause against the taxonomy in its policy snapshot (`PolicySnapshot.causes`,
loaded when the case began: history-safe); the API checks it against the taxonomy in force.

Hot spots (S4 热点投诉管控; the 2020 rules: 溯源整改): a cause's or a product's count in a branch in
a month is "well above" its trailing level when it is at least `min_count` and at least
`factor` times the mean of the `trailing_months` months before (a month without any counts 0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.fields import Input

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
Code = Annotated[str, Field(pattern=CODE.pattern)]
Label = Annotated[str, Field(min_length=1, max_length=100)]
NOT_RECORDED = "(not recorded)"  # a closed case whose close named no cause (before R-AN-8)
NO_PRODUCT = "(none)"  # the product of a complaint whose intake named none (ledger/statistics.py)


class Cause(Input):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    zh: Label
    en: Label
    retired: bool = False


class CauseTaxonomy(Input):
    """The root causes a closed case is recorded with (R-AN-8)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    causes: Annotated[list[Cause], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _unique(self) -> CauseTaxonomy:
        seen: set[str] = set()
        for c in self.causes:
            if c.code in seen:
                raise ValueError(f"cause {c.code} is listed twice")
            seen.add(c.code)
        if all(c.retired for c in self.causes):
            raise ValueError("every cause is retired: keep one to close cases with")
        return self

    def codes(self) -> tuple[str, ...]:
        """The codes a case may close with (the retired ones left out)."""
        return tuple(c.code for c in self.causes if not c.retired)

    def labels(self) -> dict[str, Cause]:
        return {c.code: c for c in self.causes}


DEFAULT_TAXONOMY = CauseTaxonomy(
    causes=[
        # S1: the four subjects a customer disputes
        Cause(code="contract_terms", zh="合同内容", en="contract terms"),
        Cause(code="product_term", zh="产品期限", en="product term"),
        Cause(code="follow_up_service", zh="后续服务", en="follow-up service"),
        Cause(code="returns", zh="收益水平", en="returns"),
        Cause(code="claims_handling", zh="理赔处理", en="claims handling"),
        Cause(code="sales_misselling", zh="销售误导", en="sales and mis-selling"),
        Cause(code="service_attitude", zh="服务态度", en="service attitude"),
        Cause(code="other", zh="其他", en="other"),
    ]
)


def refusal(code: str, codes: Sequence[str]) -> str | None:
    """Why a case may not close with `code` under the taxonomy `codes` (its snapshot's; empty:
    the default's), or None."""
    allowed = tuple(codes) or DEFAULT_TAXONOMY.codes()
    if code in allowed:
        return None
    return (
        f"R-AN-8: root_cause {code!r} is not a cause of the taxonomy this case runs under "
        f"(one of: {', '.join(allowed)})"
    )


def dropped(before: CauseTaxonomy, after: CauseTaxonomy) -> list[str]:
    """Codes of `before` that `after` leaves out (codes are stable: retire them instead)."""
    kept = {c.code for c in after.causes}
    return [c.code for c in before.causes if c.code not in kept]


# ---------------------------------------------------------------------------------------------
# Hot spots


class HotSpotPolicy(Input):
    """When a month's count is a hot spot, and the rectification's default time (R-AN-8)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_count: Annotated[int, Field(ge=1, le=100_000)] = 5
    factor: Annotated[float, Field(ge=1.0, le=100.0)] = 1.5
    trailing_months: Annotated[int, Field(ge=1, le=12)] = 3
    # Days from the flag to the rectification's due date when the assignment names none.
    due_days: Annotated[int, Field(ge=1, le=365)] = 30


Dimension = Literal["cause", "product"]


class Flag(BaseModel):
    """A count well above its trailing level: one branch, one cause or product, one month."""

    model_config = ConfigDict(frozen=True)

    branch: str
    dimension: Dimension
    key: str
    count: int
    trailing: list[int]  # the months before, oldest first
    trailing_mean: float


def well_above(count: int, trailing: Sequence[int], policy: HotSpotPolicy) -> bool:
    """count ≥ min_count and count ≥ factor × mean(trailing) (exact arithmetic, no rounding)."""
    if count < policy.min_count:
        return False
    mean = Fraction(sum(trailing), len(trailing)) if trailing else Fraction(0)
    return Fraction(count) >= Fraction(policy.factor).limit_denominator(1000) * mean


def flags(
    month: Mapping[tuple[str, str, str], int],
    before: Sequence[Mapping[tuple[str, str, str], int]],
    policy: HotSpotPolicy,
) -> list[Flag]:
    """The hot spots of a month: `month` counts per (branch, dimension, key), `before` the same
    for each trailing month, oldest first (`policy.trailing_months` of them)."""
    found: list[Flag] = []
    for (branch, dimension, key), count in sorted(month.items()):
        if key in (NOT_RECORDED, NO_PRODUCT):
            continue  # not a cause or a product: nothing to rectify
        trailing = [m.get((branch, dimension, key), 0) for m in before]
        if well_above(count, trailing, policy):
            mean = sum(trailing) / len(trailing) if trailing else 0.0
            found.append(
                Flag.model_validate(
                    {
                        "branch": branch,
                        "dimension": dimension,
                        "key": key,
                        "count": count,
                        "trailing": trailing,
                        "trailing_mean": mean,
                    }
                )
            )
    return found
