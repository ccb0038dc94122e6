"""The directory of designated contacts and the report chain it describes (R-CR-9). Pure.

S1 (专人应对原则): every level (outlet, county, city, province) names 1-2 people for complaints and
crisis events; each level reports to the level above; the superior's contacts are published to
the levels below. The directory is handling policy (R-SLA-10): one version per unit, entered by
an administrator (`PUT /v1/contacts/{unit}`), every version kept with who and why. No person
or address is written into code: the development launcher seeds a directory from its data file
(`launcher/contacts.json`), the tests theirs.

A unit is named by its id: a branch's unit by the branch's name as cases carry it, an outlet's
by the outlet's name as a bank-outlet complaint records it (`BankOutlet.outlet`). Each unit
but the head office names its parent, a unit of a higher level (levels may be skipped: an
outlet directly under a city); following parents from any unit ends at the one head office.

A unit may also name its HR and finance departments (`hr`, `finance`): the final results of an
accountability cycle go to those of each branch (R-AC-5), from the branch's own unit or the
nearest unit above it that names them.

A case's report chain (`PolicySnapshot.report_chain`) is its own unit (the outlet of a
bank-outlet complaint, else its branch) and every unit above it to the head office, as the
directory stood when the case began (history-safe, like the rest of its policy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from domain.fields import Input

Level = Literal["outlet", "county", "city", "province", "head_office"]
RANK: dict[str, int] = {"outlet": 0, "county": 1, "city": 2, "province": 3, "head_office": 4}
HEAD_OFFICE: Level = "head_office"
Department = Literal["hr", "finance"]  # R-AC-5: who receives a branch's final results
UnitId = Annotated[str, Field(min_length=1, max_length=200)]
# A staff user id (the relay makes it an address, notices/channels.py) or a full address.
_RECIPIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*(@[^@\s<>,;\"]+\.[^@\s<>,;\".]+)?$")


class Contact(Input):
    """A designated person: their name, where notices reach them, a phone for the levels below."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    user: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{4,30}$")] | None = None

    @field_validator("user")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _RECIPIENT.match(value):
            raise ValueError("user is a staff user id (li.na) or an email address")
        return value


class Unit(Input):
    """One unit of the directory with its 1-2 designated contacts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: UnitId
    level: Level
    name: Annotated[str, Field(min_length=1, max_length=200)]  # as people say it (中文)
    parent: UnitId | None = None  # None only for the head office
    # The branch whose administrators keep this unit (api/scope.py); None: only an
    # administrator for every branch (the head office, levels above the branches).
    branch: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    contacts: Annotated[list[Contact], Field(min_length=1, max_length=2)]
    # R-AC-5: the unit's HR and finance departments (1-2 recipients each, or none: the nearest
    # unit above that names one serves), who receive the final accountability results.
    hr: list[Contact] = Field(default_factory=list, max_length=2)
    finance: list[Contact] = Field(default_factory=list, max_length=2)


class UnitChange(Input):
    """A unit as an administrator enters it (the unit's id is the route's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    name: Annotated[str, Field(min_length=1, max_length=200)]
    parent: UnitId | None = None
    branch: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    contacts: Annotated[list[Contact], Field(min_length=1, max_length=2)]
    hr: list[Contact] = Field(default_factory=list, max_length=2)  # R-AC-5
    finance: list[Contact] = Field(default_factory=list, max_length=2)

    def of(self, unit: str) -> Unit:
        return Unit(unit=unit, **self.model_dump())


def problems(units: Iterable[Unit]) -> list[str]:
    """Every reason the directory is not a report chain, each naming the unit."""
    by_id: dict[str, Unit] = {}
    wrong: list[str] = []
    for u in units:
        if u.unit in by_id:
            wrong.append(f"unit {u.unit}: listed twice")
        by_id[u.unit] = u
    heads = sorted(u.unit for u in by_id.values() if u.level == HEAD_OFFICE)
    if len(heads) > 1:
        wrong.append(f"more than one head office: {', '.join(heads)}")
    for u in by_id.values():
        where = f"unit {u.unit} ({u.level})"
        if u.level == HEAD_OFFICE:
            if u.parent is not None:
                wrong.append(f"{where}: the head office reports to no one (leave parent out)")
            continue
        if u.parent is None:
            wrong.append(f"{where}: names no parent (each level reports to the level above)")
            continue
        parent = by_id.get(u.parent)
        if parent is None:
            wrong.append(f"{where}: its parent {u.parent} is not in the directory")
        elif RANK[parent.level] <= RANK[u.level]:
            wrong.append(f"{where}: its parent {u.parent} is a {parent.level}, not a level above")
    if not wrong and by_id and not heads:
        wrong.append("no head office: the chain of every unit ends at the head office")
    return wrong


def chain(units: Mapping[str, Unit], start: str) -> list[Unit]:
    """`start` and every unit above it to the head office (empty if `start` is not a unit).
    The directory is valid (`problems` is empty), so parents climb and end."""
    found: list[Unit] = []
    unit = units.get(start)
    while unit is not None and len(found) <= len(RANK):
        found.append(unit)
        unit = units.get(unit.parent) if unit.parent is not None else None
    return found


def above(report_chain: Iterable[Unit]) -> list[Unit]:
    """R-CR-1, R-CR-9: who a report to the superior reaches: every level above the case's unit
    below the head office (each level reports to the one above, to the provincial level, which
    reports to the head office); the head office when there is no level between."""
    units = list(report_chain)[1:]
    between = [u for u in units if u.level != HEAD_OFFICE]
    return between or units


def head_office(report_chain: Iterable[Unit]) -> Unit | None:
    return next((u for u in report_chain if u.level == HEAD_OFFICE), None)


def department(report_chain: Iterable[Unit], which: Department) -> list[str]:
    """R-AC-5: who receives for a branch's HR (or finance) department: the people of the
    nearest unit of the branch's chain (its own unit first) that names that department."""
    for unit in report_chain:
        people = unit.hr if which == "hr" else unit.finance
        if people:
            return [c.user for c in people]
    return []
