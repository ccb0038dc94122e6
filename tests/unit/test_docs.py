"""The docs hold together: the action table is the one the code generates, every relative link
reaches a file (and a heading, where it names one in a Markdown file), and every dependency in
pyproject.toml is explained in docs/dependencies.md."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from domain.actions import ACTION_MODELS
from tools import action_table, behaviour_table

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
# Pages the README lists that other branches write; each is checked like any other once it
# exists (drop it from here then).
WRITTEN_ELSEWHERE = frozenset(
    {
        "docs/operations.md",
        "docs/security.md",
        "docs/input.md",
        "docs/ending-a-case.md",
        "docs/calendar.md",
    }
)

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def test_action_table_is_the_generated_one() -> None:
    """The action table in docs/http-api.md says what the code's action definitions say."""
    committed = action_table.DOC.read_text(encoding="utf-8")
    assert committed == action_table.rendered(committed), (
        "docs/http-api.md's action table differs from the code's actions: run "
        f"{action_table.COMMAND} and commit the result"
    )


def test_behaviour_table_is_the_generated_one() -> None:
    """docs/rules-and-versions.md lists each rules version's behaviours as domain/versions.py
    names them, with the day the version may go."""
    committed = behaviour_table.DOC.read_text(encoding="utf-8")
    assert committed == behaviour_table.rendered(committed), (
        "docs/rules-and-versions.md's behaviour table differs from domain/versions.py: run "
        f"{behaviour_table.COMMAND} and commit the result"
    )


def test_action_table_lists_every_action_once() -> None:
    rows = [line for line in action_table.table().splitlines()[2:]]
    names = [row.split("|")[1].strip().strip("`") for row in rows]
    assert names == list(ACTION_MODELS)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().replace("`", "").replace("**", "")  # code and bold render as text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        base = slug(heading)
        name, n = base, 0
        while name in found:  # a repeated heading gets -1, -2, ...
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def links(path: Path) -> list[str]:
    text = CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
    return LINK.findall(text)


def test_slug_follows_github() -> None:
    assert slug("The open book: `bench/open_book.py`") == "the-open-book-benchopen_bookpy"
    assert slug("9. Sizing for 1,000,000 complaints a year") == (
        "9-sizing-for-1000000-complaints-a-year"
    )
    assert slug("The bank channel and the intake rules (rules 3)") == (
        "the-bank-channel-and-the-intake-rules-rules-3"
    )


def test_every_relative_link_resolves() -> None:
    """Each relative link in README.md, CHANGELOG.md and docs/*.md reaches an existing file, and
    a `#anchor` into a Markdown file names one of its headings."""
    broken: list[str] = []
    for doc in DOCS:
        if not doc.exists():
            continue
        for target in links(doc):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path_part, _, anchor = target.partition("#")
            dest = (doc.parent / path_part).resolve() if path_part else doc
            where = f"{doc.relative_to(ROOT)}: {target}"
            if not dest.exists():
                if dest.relative_to(ROOT).as_posix() not in WRITTEN_ELSEWHERE:
                    broken.append(f"{where} (no such file)")
                continue
            if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{where} (no heading #{anchor})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_readme_is_a_front_page() -> None:
    """The README is the front page; the detail lives in docs/ by topic."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    assert "make run" in readme and "make test" in readme


def test_refusal_reason_names_a_readme_section() -> None:
    """The refusal the case writes for an unverified action names a README section (its text
    is on recorded timelines, so it stays as it is; the section stays too)."""
    from domain.identity import UNVERIFIED

    named = re.search(r"README: ([^)]+)\)", UNVERIFIED)
    assert named is not None
    assert slug(named.group(1)) in anchors(ROOT / "README.md")


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def test_every_dependency_is_explained() -> None:
    """docs/dependencies.md names every package pyproject.toml asks for."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_requirement_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_requirement_name(r) for r in extra if not r.startswith("complaints")}
    text = (ROOT / "docs" / "dependencies.md").read_text(encoding="utf-8").lower()
    explained = {n for n in re.findall(r"`([a-z0-9_.\-]+)(?:\[[a-z]+\])?`", text)}
    missing = sorted(names - explained)
    assert not missing, f"explain these in docs/dependencies.md: {missing}"


def test_the_unverified_refusal_names_a_readme_section_that_exists() -> None:
    """The refusal of an unverified action (written to case timelines, so its text stays as
    it is) sends people to a README section: that heading must be there."""
    from domain.identity import UNVERIFIED

    named = re.search(r"README: ([^)]+)\)", UNVERIFIED)
    assert named is not None
    assert slug(named.group(1)) in anchors(ROOT / "README.md")
