"""A table generated from the code, kept between two markers in a doc: written by its tool,
checked by `tests/unit/test_docs.py` (`--check`: exit 1 when the committed one is stale)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rendered(doc: str, start: str, end: str, table: str, where: Path) -> str:
    """`doc` with the text between `start` and `end` replaced by `table`."""
    head, found_start, rest = doc.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"{where.relative_to(ROOT)} has no {start!r} ... {end!r} markers")
    return f"{head}{start}\n{table}\n{end}{tail}"


def main(
    argv: list[str] | None,
    *,
    description: str | None,
    doc: Path,
    render: Callable[[str], str],
    what: str,
    command: str,
) -> int:
    """Write the table into `doc`, or with `--check` say whether it is current."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if the doc's {what} differs")
    args = parser.parse_args(argv)
    current = doc.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if current != wanted:
            print(f"{doc.relative_to(ROOT)}: the {what} is stale; run {command}")
            return 1
        return 0
    if current != wanted:
        doc.write_text(wanted, encoding="utf-8")
        print(f"{doc.relative_to(ROOT)}: {what} written")
    return 0
