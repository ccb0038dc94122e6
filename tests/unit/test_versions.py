"""Rules versions are named behaviours (domain/versions.py): code asks
`versions.has(rules, Behaviour.X)`, never compares a rules number, so what each version
changed has a name and an old version's branches can be found and retired together."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from domain import versions
from domain.case import RULES
from domain.versions import INTRODUCED, RETIRABLE_AFTER, Behaviour

ROOT = Path(__file__).resolve().parent.parent.parent
# The layers that run a case or serve it; tests and tools may name versions freely.
SOURCES = (
    "domain",
    "workflows",
    "activities",
    "api",
    "ledger",
    "notices",
    "infra",
    "workers",
    "reports",
    "launcher",
)
# `rules >= 3`, `case.rules < 2`, `self.rules >= RULES`, `rules < crisis.RULES`, `3 <= rules`.
COMPARISON = re.compile(
    r"\brules\s*(?:>=|<=|==|!=|<|>)\s*(?:\d|[A-Za-z_.]*RULES\b)"
    r"|(?:\d|\bRULES)\s*(?:>=|<=|==|!=|<|>)\s*[\w.]*\brules\b"
)


def comparisons(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if COMPARISON.search(line)]


def test_the_pattern_finds_a_rules_comparison() -> None:
    """The check below would see each form a version comparison took."""
    for line in (
        "if case.rules >= 3 and s.first_receiver is not None:",
        "return x if rules >= 2 else y",
        "if self.case.rules < 2:",
        "if case.rules >= RULES:",
        "if rules < crisis.RULES:",
        "if 3 <= case.rules:",
    ):
        assert comparisons(line), line
    assert not comparisons("if versions.has(case.rules, Behaviour.CRISIS_IN_FULL):")
    assert not comparisons("if case.rules < d.since:")  # an action's own version


def test_no_rules_number_is_compared_outside_versions() -> None:
    """Every version-dependent branch asks for a named behaviour."""
    found = {
        f"{path.relative_to(ROOT)}: {line}"
        for top in SOURCES
        if (ROOT / top).is_dir()
        for path in sorted((ROOT / top).rglob("*.py"))
        if path != ROOT / "domain" / "versions.py"
        for line in comparisons(path.read_text(encoding="utf-8"))
    }
    assert not found, "compare through versions.has(rules, Behaviour.X):\n" + "\n".join(
        sorted(found)
    )


def test_every_behaviour_has_its_version() -> None:
    assert set(INTRODUCED) == set(Behaviour)
    assert all(1 < v <= RULES for v in INTRODUCED.values())


def test_a_behaviour_stays_in_every_later_version() -> None:
    for b in Behaviour:
        assert [versions.has(r, b) for r in range(1, RULES + 1)] == [
            r >= INTRODUCED[b] for r in range(1, RULES + 1)
        ]
    assert versions.behaviours(1) == []


def test_an_old_version_goes_90_days_after_the_next_release() -> None:
    """Longest case life (60 days) plus the review window (30 days), counted from the day the
    next version took over new cases; the version in force has no such day."""
    assert RETIRABLE_AFTER[1] == date(2027, 3, 2)  # rules 2 came on 2026-12-02
    assert RETIRABLE_AFTER[2] == RETIRABLE_AFTER[3] == date(2027, 3, 2)
    assert RETIRABLE_AFTER[RULES] is None
    assert set(RETIRABLE_AFTER) == set(range(1, RULES + 1))
