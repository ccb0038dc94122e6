"""The national calendar as data over HTTP and as a command (R-SLA-11, R-SLA-3).

- `POST /v1/calendar/{year}` (admin, with no branch limit: the arrangement is national): a
  year's arrangement of holidays and make-up working days as the State Council's notice gives
  it (domain/arrangements.YearArrangement: `notice`, `festivals`), with `effective_from` and a
  `reason`; the author is the key's. 422 with every reason for an arrangement that is not
  valid. A correction is a new version; every version is kept.
- `POST /v1/calendar/{year}/library` (the same admin): the calendar library's data of the year
  back in force (409 when the installed library has no data for it).
- `GET /v1/calendar` (admin, supervisor, auditor): each year official, entered or provisional,
  how the library differs from an entered year, and every version entered.

New cases load the entered years with their policy at once; a running case whose deadlines
are provisional asks again at least once a day and re-plans (domain/case.py, rules 5).

The command, for an administrator at the database (docs/calendar.md):

    python -m api.calendar enter 2027.json --by admin.chen --reason "国办发明电〔2026〕7号"
                                           [--effective-from 2026-12-10T00:00+08:00]
    python -m api.calendar library 2027 --by admin.chen --reason "library 1.12 agrees"
    python -m api.calendar show
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from activities.calendar_years import YearStatus, years
from api import scope
from api.auth import Identity, require
from api.cases import Ledger
from api.models import Problem, explain
from domain.arrangements import Festival, YearArrangement
from domain.calendar_data import library_year
from domain.vocabulary import Role
from infra.postgres import Queryable
from ledger import calendar as entered

router = APIRouter(tags=["policy"])
Year = Annotated[int, PathParam(ge=2000, le=2100)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class Arrangement(BaseModel):
    """A year's arrangement as the notice gives it; the year is the path's."""

    model_config = ConfigDict(extra="forbid")
    notice: Annotated[str, Field(min_length=1, max_length=300)]
    festivals: Annotated[list[Festival], Field(min_length=1, max_length=20)]


class ArrangementEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective_from: AwareDatetime
    reason: Reason
    arrangement: Arrangement


class LibraryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective_from: AwareDatetime
    reason: Reason


class CalendarVersion(BaseModel):
    version: int
    year: int
    effective_from: datetime
    body: dict[str, Any]
    reason: str
    changed_by: str
    changed_at: datetime


class CalendarView(BaseModel):
    years: list[YearStatus]
    versions: list[CalendarVersion]


async def national_admin(
    identity: Annotated[Identity, Depends(require(Role.ADMIN))],
) -> Identity:
    """The national arrangement is every branch's: a key limited to branches may not set it."""
    scope.change(identity, scope.EVERY_BRANCH, "the national calendar")
    return identity


def validated(
    year: int, notice: str, festivals: Sequence[Festival | dict[str, Any]]
) -> YearArrangement:
    """The arrangement, or ValueError naming every reason it is refused."""
    try:
        return YearArrangement.model_validate(
            {
                "year": year,
                "notice": notice,
                "festivals": [f if isinstance(f, dict) else f.model_dump() for f in festivals],
            }
        )
    except ValidationError as err:
        raise ValueError(f"the {year} arrangement: {explain(err.errors())}") from None


async def enter(
    db: Queryable, arrangement: YearArrangement, effective_from: datetime, reason: str, by: str
) -> CalendarVersion:
    body = arrangement.model_dump(mode="json")
    row = await entered.add_version(db, arrangement.year, effective_from, body, reason, by)
    return CalendarVersion(
        version=row["version"],
        year=arrangement.year,
        effective_from=effective_from,
        body=body,
        reason=reason,
        changed_by=by,
        changed_at=row["changed_at"],
    )


async def use_library(
    db: Queryable, year: int, effective_from: datetime, reason: str, by: str
) -> CalendarVersion:
    if library_year(year) is None:
        raise LookupError(f"the installed calendar library has no data for {year}")
    body = {"year": year, "use_library": True}
    row = await entered.add_version(db, year, effective_from, body, reason, by)
    return CalendarVersion(
        version=row["version"],
        year=year,
        effective_from=effective_from,
        body=body,
        reason=reason,
        changed_by=by,
        changed_at=row["changed_at"],
    )


async def view(db: Queryable, at: datetime) -> CalendarView:
    history = [CalendarVersion.model_validate(v) for v in await entered.history(db)]
    return CalendarView(years=await years(db, at, around=at.year), versions=history)


@router.post(
    "/v1/calendar/{year}",
    status_code=201,
    response_model=CalendarVersion,
    responses={422: {"model": Problem}},
)
async def post_arrangement(
    year: Year,
    entry: ArrangementEntry,
    identity: Annotated[Identity, Depends(national_admin)],
    pool: Ledger,
) -> CalendarVersion:
    """R-SLA-11: the year's arrangement in force from `effective_from`; earlier versions stay."""
    try:
        arrangement = validated(year, entry.arrangement.notice, entry.arrangement.festivals)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return await enter(pool, arrangement, entry.effective_from, entry.reason, identity.name)


@router.post(
    "/v1/calendar/{year}/library",
    status_code=201,
    response_model=CalendarVersion,
    responses={409: {"model": Problem}},
)
async def post_library(
    year: Year,
    entry: LibraryEntry,
    identity: Annotated[Identity, Depends(national_admin)],
    pool: Ledger,
) -> CalendarVersion:
    """R-SLA-11: the library's data of the year back in force, in place of the entered one."""
    try:
        return await use_library(pool, year, entry.effective_from, entry.reason, identity.name)
    except LookupError as err:
        raise HTTPException(409, str(err)) from None


@router.get("/v1/calendar", response_model=CalendarView)
async def get_calendar(
    _: Annotated[Identity, Depends(require(Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR))],
    pool: Ledger,
) -> CalendarView:
    """Which years are official, entered or provisional; the library's differences."""
    return await view(pool, datetime.now(UTC))


# ---------------------------------------------------------------------------------------------
# The command


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m api.calendar", description="The national calendar as data (R-SLA-11)."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    put = commands.add_parser("enter", help="enter a year's arrangement from a JSON file")
    put.add_argument("file", type=Path, help='{"year": 2027, "notice": ..., "festivals": [...]}')
    back = commands.add_parser("library", help="put the calendar library's data back in force")
    back.add_argument("year", type=int)
    for sub in (put, back):
        sub.add_argument("--by", required=True, help="the administrator entering it")
        sub.add_argument("--reason", required=True, help="why (the notice, a correction)")
        sub.add_argument(
            "--effective-from",
            type=datetime.fromisoformat,
            default=None,
            help="an ISO instant with its offset (default: now)",
        )
    commands.add_parser("show", help="each year official, entered or provisional")
    return top


async def run(args: argparse.Namespace) -> int:
    from infra import logs
    from infra.config import Settings
    from infra.postgres import create_pool, database_url
    from ledger.migrate import migrate

    settings = Settings.from_env()
    logs.configure(settings.log_format)
    now = datetime.now(UTC)
    at = getattr(args, "effective_from", None) or now
    if at.tzinfo is None:
        print("--effective-from needs an offset, e.g. 2026-12-10T00:00+08:00", file=sys.stderr)
        return 2
    if args.command == "enter":
        try:
            data = json.loads(args.file.read_text())
            arrangement = validated(
                int(data.get("year", 0)), str(data.get("notice", "")), data.get("festivals") or []
            )
        except (OSError, ValueError, TypeError, AttributeError) as err:
            print(f"refused: {err}", file=sys.stderr)
            return 2
    dsn = await database_url(settings)
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        if args.command == "enter":
            done = await enter(pool, arrangement, at, args.reason, args.by)
        elif args.command == "library":
            try:
                done = await use_library(pool, args.year, at, args.reason, args.by)
            except LookupError as err:
                print(f"refused: {err}", file=sys.stderr)
                return 1
        else:
            print((await view(pool, now)).model_dump_json(indent=2))
            return 0
        print(done.model_dump_json(indent=2))
        return 0
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
