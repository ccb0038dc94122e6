"""The years of the calendar as the system holds them (R-SLA-3, R-SLA-11): each year is
official (the installed calendar library has it), entered (an administrator entered the
State Council's arrangement as data: ledger/calendar.py; it wins over the library) or
provisional (neither: weekends only, deadlines flagged).

`apply_entered` lays the entered years over a calendar (the policy activity does, for every
case it loads); `years` says how each year stands and how the library's data differs from an
entered year; `report_library_catch_up` is run at start-up (the API, the worker, `make run`):
a library that now ships a year entered by hand is compared with it, and every difference is
logged and counted (`complaints_calendar_library_differences`), never applied: the entered
arrangement stays in force until an administrator puts the library's back
(`POST /v1/calendar/{year}/library`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel

from domain.arrangements import YearArrangement, differences, with_arrangement
from domain.calendar import WorkCalendar
from domain.calendar_data import library_year, supported_years
from infra import metrics
from infra.postgres import Queryable
from ledger import calendar as entered_calendar

log = structlog.get_logger("calendar")

Status = Literal["official", "entered", "provisional"]


def source_of(year: int, row: dict[str, Any]) -> str:
    """Where an entered year's data came from, as a deadline's basis names it."""
    notice = row["body"].get("notice", "")
    on = row["changed_at"].date().isoformat()
    return (
        f"{year} arrangement entered by {row['changed_by']} on {on} ({notice}; "
        f"version {row['version']})"
    )


def arrangement_of(row: dict[str, Any]) -> YearArrangement | None:
    """The arrangement a version holds; None for a version that put the library's back."""
    if row["body"].get("use_library"):
        return None
    return YearArrangement.model_validate(row["body"])


async def apply_entered(
    db: Queryable, cal: WorkCalendar, years: Iterable[int], at: datetime
) -> WorkCalendar:
    """The calendar with each of `years` that has an entered arrangement in force at `at`."""
    if cal.always_open:
        return cal
    for year, row in sorted((await entered_calendar.in_force(db, years, at)).items()):
        arrangement = arrangement_of(row)
        if arrangement is not None:
            cal = with_arrangement(cal, arrangement, source_of(year, row))
    return cal


class YearStatus(BaseModel):
    year: int
    status: Status
    source: str
    version: int | None = None  # the entered version in force
    library_differences: list[str] = []  # the library's data against the entered arrangement


async def years(db: Queryable, at: datetime, around: int | None = None) -> list[YearStatus]:
    """How each year stands: every year entered, the library's last two, `around` (this
    year) and the next, and the first year after all of them (provisional)."""
    library = supported_years()
    wanted = set(await entered_calendar.entered_years(db)) | {library[-1] - 1, library[-1]}
    if around is not None:
        wanted |= {around, around + 1}
    wanted.add(max(wanted) + 1)
    rows = await entered_calendar.in_force(db, wanted, at)
    out: list[YearStatus] = []
    for year in sorted(wanted):
        lib = library_year(year)
        row = rows.get(year)
        arrangement = arrangement_of(row) if row is not None else None
        if row is not None and arrangement is not None:
            diff = differences(arrangement, *lib) if lib is not None else []
            out.append(
                YearStatus(
                    year=year,
                    status="entered",
                    source=source_of(year, row),
                    version=row["version"],
                    library_differences=diff,
                )
            )
        elif lib is not None:
            back = (
                f"; library put back by {row['changed_by']} (version {row['version']})"
                if row is not None
                else ""
            )
            out.append(
                YearStatus(
                    year=year, status="official", source=f"calendar library chinese-calendar{back}"
                )
            )
        else:
            unknown = "not published: weekends only, deadlines flagged"
            out.append(YearStatus(year=year, status="provisional", source=unknown))
    return out


async def report_library_catch_up(db: Queryable, at: datetime) -> list[YearStatus]:
    """R-SLA-11 at start-up: where the library now ships a year entered by hand, report every
    difference (log and metric); nothing is applied."""
    statuses = await years(db, at)
    for s in statuses:
        if s.status != "entered" or library_year(s.year) is None:
            continue
        metrics.CALENDAR_DIFFERENCES.labels(year=str(s.year)).set(len(s.library_differences))
        if s.library_differences:
            log.warning(
                "calendar library differs from the entered arrangement; the entered "
                "one stays in force",
                year=s.year,
                source=s.source,
                differences=s.library_differences,
            )
        else:
            log.info("calendar library agrees with the entered arrangement", year=s.year)
    return statuses


def summary(statuses: Iterable[YearStatus]) -> str:
    """One line for a start-up banner: 2025-2026 official, 2027 entered, 2028 provisional."""
    parts = []
    for s in statuses:
        note = (
            f" ({len(s.library_differences)} differences from the library)"
            if s.library_differences
            else ""
        )
        parts.append(f"{s.year} {s.status}{note}")
    return ", ".join(parts)
