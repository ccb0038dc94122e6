"""Building a `WorkCalendar` from the `chinese_calendar` library (R-SLA-1, R-SLA-3).

Runs in activities only, never in workflow code: the library's data changes with its version,
so a workflow gets the calendar as data through history and stays deterministic on replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import chinese_calendar

from domain.calendar import DEFAULT_WINDOWS, WorkCalendar, WorkingWindow


def supported_years() -> range:
    """The years the installed library has official data for.

    Read from its data rather than by probing, since the library raises NotImplementedError
    for any date outside this range.
    """
    days: Iterable[date] = chinese_calendar.holidays.keys()
    years = [d.year for d in days]
    return range(min(years), max(years) + 1)


def china_calendar(
    years: Iterable[int],
    *,
    zone: str = "Asia/Shanghai",
    windows: tuple[WorkingWindow, ...] | None = None,
    name: str = "CN statutory calendar",
) -> WorkCalendar:
    """The statutory holidays and make-up working days (调休) of the requested years.

    A year the library has no data for (not yet published) is left out of `known_years`
    rather than refused: deadlines there are computed on weekdays and flagged provisional.
    """
    supported = supported_years()
    known = tuple(sorted({y for y in years if y in supported}))

    def pick(source: dict[date, object]) -> dict[date, str]:
        return {d: str(v) for d, v in sorted(source.items()) if d.year in known}

    return WorkCalendar(
        name=name,
        zone=zone,
        holidays=pick(chinese_calendar.holidays),
        makeup_workdays=pick(chinese_calendar.workdays),
        known_years=known,
        windows=DEFAULT_WINDOWS if windows is None else windows,
    )


def fast_calendar(name: str = "demo: always open") -> WorkCalendar:
    """Every instant counts: for demos where deadlines should fall within minutes."""
    return WorkCalendar(name=name, always_open=True)


def library_year(year: int) -> tuple[dict[date, str], dict[date, str]] | None:
    """The installed library's holidays and make-up working days of `year`, or None when it
    has no data for it (R-SLA-11: compared with an arrangement entered by hand)."""
    if year not in supported_years():
        return None

    def of(source: dict[date, object]) -> dict[date, str]:
        return {d: str(v) for d, v in sorted(source.items()) if d.year == year}

    return of(chinese_calendar.holidays), of(chinese_calendar.workdays)
