"""Import exposure figures (claims reported, policies, premium) for the monthly report.

    python -m reports.exposures import FILE.csv

FILE.csv is UTF-8 (a BOM, as Excel writes, is fine), comma-separated, with this header row
(column order free, names exact):

    period,branch,product,claims_reported,policies,premium_yuan

- `period`: the calendar month, `YYYY-MM`;
- `branch`: the branch as the ledger names it (`complaints.branch`);
- `product`: the product as the ledger names it (`complaints.product`); empty for the
  branch's totals row, whose `claims_reported` is the one R-AN-2 checks (without a totals row
  the sum of the branch's product rows is used);
- `claims_reported`, `policies`: whole numbers ≥ 0; `premium_yuan`: yuan ≥ 0, at most two
  decimals (thousands separators not allowed). An empty cell is an unknown figure (NULL), not 0.

Rows are upserted on (period, branch, product): importing a corrected file again replaces the
figures. The whole file is checked first; a bad row (or the same key twice) stops the import
with its line number and nothing is written. Prints the rows read, inserted and updated.
The database is `DATABASE_URL`, or the embedded server when it is unset; it must be migrated
(`python -m ledger.migrate`). Exit code 0 on success, 1 on a bad file, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import asyncpg

from infra.postgres import Queryable
from ledger import exposures
from ledger.exposures import Exposure
from reports.statistics import parse_period

COLUMNS = ("period", "branch", "product", "claims_reported", "policies", "premium_yuan")
MAX_FIGURE = 10**15


class ExposureError(ValueError):
    """A file that cannot be imported; the message names the line."""


@dataclass(frozen=True)
class ImportResult:
    read: int
    inserted: int
    updated: int

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def _whole(text: str, column: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{column} must be a whole number ≥ 0, got {text!r}")
    value = int(text)
    if value > MAX_FIGURE:
        raise ValueError(f"{column} is implausibly large: {text}")
    return value


def _yuan(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"premium_yuan must be an amount in yuan, got {text!r}") from None
    if not value.is_finite() or value < 0 or value > MAX_FIGURE:
        raise ValueError(f"premium_yuan must be an amount ≥ 0, got {text!r}")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"premium_yuan has more than two decimals: {text!r}")
    return value


def parse(text: str) -> list[Exposure]:
    """The rows of a CSV file's text; ExposureError naming the line of the first problem."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ExposureError(
            "line 1: the file is empty; expected the header " + ",".join(COLUMNS)
        ) from None
    names = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise ExposureError(
            f"line 1: the header must name the columns {','.join(COLUMNS)}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    where = {name: names.index(name) for name in COLUMNS}
    rows: list[Exposure] = []
    seen: dict[tuple[str, str, str], int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # a blank line
        if len(fields) != len(names):
            raise ExposureError(f"line {line}: {len(fields)} fields, the header has {len(names)}")
        if any("\x00" in f for f in fields):
            raise ExposureError(f"line {line}: a NUL character")
        cell = {name: fields[i] for name, i in where.items()}
        try:
            year, month = parse_period(cell["period"])
            branch, product = cell["branch"].strip(), cell["product"].strip()
            if not branch:
                raise ValueError("branch is empty")
            row = Exposure(
                period=f"{year:04d}-{month:02d}",
                branch=branch,
                product=product,
                claims_reported=_whole(cell["claims_reported"], "claims_reported"),
                policies=_whole(cell["policies"], "policies"),
                premium_yuan=_yuan(cell["premium_yuan"]),
            )
        except ValueError as err:
            raise ExposureError(f"line {line}: {err}") from None
        key = (row.period, row.branch, row.product)
        if key in seen:
            raise ExposureError(
                f"line {line}: period {key[0]}, branch {key[1]!r}, product {key[2]!r} "
                f"is already on line {seen[key]}"
            )
        seen[key] = line
        rows.append(row)
    return rows


async def import_rows(conn: Queryable, rows: list[Exposure]) -> ImportResult:
    """Upsert the rows in one statement (one transaction); count inserted and updated."""
    inserted, updated = await exposures.upsert(conn, rows)
    return ImportResult(read=len(rows), inserted=inserted, updated=updated)


def read_file(path: Path) -> list[Exposure]:
    """The rows of a CSV file (see the module's docstring); ExposureError with a line number."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ExposureError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ExposureError(f"not UTF-8 text (byte {err.start})") from None


async def _import(rows: list[Exposure]) -> ImportResult:
    from infra.config import Settings
    from infra.postgres import database_url

    conn = await asyncpg.connect(await database_url(Settings.from_env()))
    try:
        return await import_rows(conn, rows)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reports.exposures", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="upsert the figures of a CSV file")
    imp.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        rows = read_file(args.file)
    except ExposureError as err:
        print(f"exposures: {args.file}: {err}; nothing imported", file=sys.stderr)
        return 1
    try:
        result = asyncio.run(_import(rows))
    except asyncpg.UndefinedTableError:
        print(
            "exposures: no table exposures: run `python -m ledger.migrate` first", file=sys.stderr
        )
        return 1
    print(
        f"{args.file}: {result.read} rows read, {result.written} written "
        f"({result.inserted} inserted, {result.updated} updated)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
