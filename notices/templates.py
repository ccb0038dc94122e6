"""Customer notices worded from templates, in the customer's language (R-CU-1, R-CU-2).

A case records a customer notice with its facts (`Notification.words`: the template, the
language, the case id, the dates told, the insurer...); the outbox relay words it here when it
sends it, with the template version in force when the notice was queued (its outbox row's
`created_at`). Why then and not at the case's start: the words are not case logic (nothing in a
workflow's history depends on them, so a recorded case replays whatever the templates say), an
administrator's correction reaches the running cases' next notices, and a retried delivery
words the notice as its first attempt did.

Templates are Jinja2 in `ImmutableSandboxedEnvironment` with `StrictUndefined`: an
administrator's template can read the notice's facts and nothing else (no attribute of Python
internals, no mutation; no loops, calls or arithmetic either: `_only_words`), and a
placeholder that is not a fact of its template is an error. Every template is checked when
it is saved (`check`: syntax, unknown placeholders, rendering against sample notices), so
wording a notice never fails at send time; if it ever did, the shipped default is used, and
failing that the case's own text.

Version 0 of each template is the default shipped in code (`notices.default_templates`); the
saved versions are in the ledger (`ledger.templates`, migration 0016).
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import structlog
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from domain.intake import Language
from domain.notice_models import CustomerTemplate, CustomerWords, Notification
from notices.default_templates import DEFAULTS

log = structlog.get_logger("notices")

T = CustomerTemplate
LANGUAGES: tuple[Language, ...] = ("zh", "en")
Part = Literal["subject", "body"]

# The facts each template may use, and whether every notice of it has the fact (False: a
# template must cope with its absence, e.g. `{% if decision_by %}`).
FACTS: dict[CustomerTemplate, dict[str, bool]] = {
    T.ACKNOWLEDGEMENT: {"complaint_id": True, "handler": True, "decision_by": True},
    T.HANDLING_EXTENDED: {"complaint_id": True, "handling_by": True, "decision_by": False},
    T.REGULATORY_EXTENDED: {"complaint_id": True, "decision_by": True},
    T.DECISION_DATE_KNOWN: {"complaint_id": True, "decision_by": True},
    T.PAUSED: {"complaint_id": True},
    T.RESUMED: {"complaint_id": True, "decision_by": False},
    T.HANDED_TO_INSURER: {
        "complaint_id": True,
        "insurer": True,
        "contact_by": True,
        "bank": False,
        "outlet": False,
    },
    T.REFERRED_TO_INSURER: {"complaint_id": True, "insurer": True, "contact_by": True},
    T.DECISION: {
        "complaint_id": True,
        "handler": True,
        "outcome": True,
        "reasons": False,
        "amount": False,
        "review_by": True,
    },
    T.WITHDRAWAL_CONFIRMED: {"complaint_id": True},
    T.REVIEW_ACCEPTED: {"complaint_id": True, "handling_by": False},
    T.ANSWER_DATE_KNOWN: {"complaint_id": True, "answer_by": True},
    T.INSURER_OPINION: {"complaint_id": True, "insurer": True, "opinion": True},
    T.HANDLER_CHANGED: {"complaint_id": True, "handler": True, "team": True},
    T.RESOLUTION_PROPOSED: {
        "complaint_id": True,
        "handler": True,
        "resolution": True,
        "answer_by": True,
    },
}

# What the sample notices of `check` hold for each fact.
_SAMPLE_FACTS: dict[str, Any] = {
    "complaint_id": "C20261207-0001",
    "handler": "li.na",
    "decision_by": date(2026, 12, 22),
    "handling_by": date(2026, 12, 15),
    "contact_by": date(2026, 12, 10),
    "insurer": "平安财险上海分公司",
    "bank": "工商银行",
    "outlet": "浦东支行",
    "outcome": "按保险合同约定重新核定损失",
    "reasons": "第二张发票经核实为真实有效",
    "amount": Decimal("8200.00"),
    "review_by": date(2027, 1, 21),
    "opinion": "经核实，保单系您本人签名，回访合规，维持原保单效力",
    "team": "理赔部（上海浦东）",
    "resolution": "按第二张发票重新核定维修费用",
    "answer_by": date(2026, 12, 14),
}


class TemplateProblem(ValueError):
    """A template refused when saved: which part, which line, what is wrong."""

    def __init__(self, part: Part, line: int | None, message: str) -> None:
        where = f"{part}, line {line}" if line is not None else part
        super().__init__(f"{where}: {message}")
        self.part = part
        self.line = line
        self.message = message


class _Sandbox(ImmutableSandboxedEnvironment):
    # Intercepted, so neither rendering nor constant folding at compile time can build a huge
    # string or number; a notice's words need no arithmetic.
    intercepted_binops = frozenset({"*", "**", "//", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError(f"the operator {operator} is not available in notice templates")


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def samples(template: CustomerTemplate) -> list[dict[str, Any]]:
    """The sample notices a template is rendered against when saved: every fact given, and
    only the facts every notice has."""
    facts = FACTS[template]
    full = {name: _SAMPLE_FACTS[name] for name in facts}
    bare = {name: (_SAMPLE_FACTS[name] if always else None) for name, always in facts.items()}
    return [full, bare]


def check(template: CustomerTemplate, subject: str, body: str) -> None:
    """Raise `TemplateProblem` unless both parts compile, use only the template's facts and
    render against every sample notice to non-empty text."""
    allowed = FACTS[template]
    compiled = {part: _compile(part, source, allowed) for part, source in _parts(subject, body)}
    for sample in samples(template):
        for part, source in compiled.items():
            text = _render_part(part, source, sample)
            if not text.strip():
                given = ", ".join(k for k, v in sample.items() if v is not None)
                raise TemplateProblem(part, None, f"renders as empty text (with {given})")


def _parts(subject: str, body: str) -> list[tuple[Part, str]]:
    return [("subject", subject), ("body", body)]


def _compile(part: Part, source: str, allowed: Mapping[str, bool]) -> Template:
    try:
        tree = _ENV.parse(source)
        _only_words(part, tree)
        unknown = meta.find_undeclared_variables(tree) - set(allowed)
    except TemplateSyntaxError as err:
        raise TemplateProblem(part, err.lineno, f"syntax: {err.message}") from None
    if unknown:
        line, name = min(
            (n.lineno, n.name)
            for n in tree.find_all(nodes.Name)
            if n.ctx == "load" and n.name in unknown
        )
        raise TemplateProblem(
            part,
            line,
            f"unknown placeholder {name!r}; this template may use: " + ", ".join(allowed),
        )
    try:
        return _compiled(source)
    except TemplateSyntaxError as err:
        raise TemplateProblem(part, err.lineno, f"syntax: {err.message}") from None


def _only_words(part: Part, tree: nodes.Template) -> None:
    """Text, facts, `if` and a few filters: no loops, calls, macros, assignments or
    arithmetic, so what a template renders is bounded by its own size and its facts'."""
    for node in tree.find_all(nodes.Node):
        name = getattr(node, "name", None)
        if not isinstance(node, _WORDS_NODES):
            what = type(node).__name__
            raise TemplateProblem(
                part,
                node.lineno,
                f"{what} is not available in notice "
                "templates: text, {{ fact }}, {% if %}...{% endif %} and the "
                f"filters {', '.join(sorted(_FILTERS))}",
            )
        if isinstance(node, nodes.Filter) and name not in _FILTERS:
            raise TemplateProblem(
                part,
                node.lineno,
                f"the filter {name!r} is not available; these are: {', '.join(sorted(_FILTERS))}",
            )
        if isinstance(node, nodes.Test) and name not in _TESTS:
            raise TemplateProblem(
                part,
                node.lineno,
                f"the test {name!r} is not available; these are: {', '.join(sorted(_TESTS))}",
            )


# What a notice's words need; bounded (no loops, calls, arithmetic or filters that pad).
_WORDS_NODES = (
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Getattr,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
)
_FILTERS = frozenset({"default", "d", "upper", "lower", "title", "capitalize", "trim", "string"})
_TESTS = frozenset({"defined", "undefined", "none", "string"})


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """Compiled once per text: the relay words every customer notice with few templates."""
    return _ENV.from_string(source)


def _render_part(part: Part, compiled: Template, facts: Mapping[str, Any]) -> str:
    try:
        text: str = compiled.render(**facts)
    except Exception as err:  # whatever a template did wrong, refused with its line
        raise TemplateProblem(part, _template_line(err), f"{type(err).__name__}: {err}") from None
    return text


def _template_line(err: BaseException) -> int | None:
    """The template's line an error was raised at (Jinja2 puts it in the traceback)."""
    lines = [
        f.lineno for f in traceback.extract_tb(err.__traceback__) if f.filename == "<template>"
    ]
    return lines[-1] if lines else None


# ---------------------------------------------------------------------------------------------
# Versions and wording at send time


@dataclass(frozen=True)
class TemplateVersion:
    """One version of one template in one language; version 0 is the shipped default."""

    template: CustomerTemplate
    language: Language
    version: int
    subject: str
    body: str
    reason: str
    changed_by: str
    changed_at: datetime | None  # None: the default, in force since ever

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TemplateVersion:
        return cls(
            template=CustomerTemplate(row["template"]),
            language=row["language"],
            version=row["version"],
            subject=row["subject"],
            body=row["body"],
            reason=row["reason"],
            changed_by=row["changed_by"],
            changed_at=row["changed_at"],
        )


def default(template: CustomerTemplate, language: Language) -> TemplateVersion:
    subject, body = DEFAULTS[(template, language)]
    return TemplateVersion(template, language, 0, subject, body, "shipped default", "default", None)


class Wording:
    """The saved versions of the templates: words a customer notice with the version in force
    at an instant (the notice's queueing)."""

    def __init__(self, saved: Iterable[TemplateVersion] = ()) -> None:
        self._versions: dict[tuple[CustomerTemplate, Language], list[TemplateVersion]] = {}
        for v in sorted(saved, key=lambda v: v.version):
            self._versions.setdefault((v.template, v.language), []).append(v)

    def versions(self, template: CustomerTemplate, language: Language) -> list[TemplateVersion]:
        """Every version, oldest first, the default first of all."""
        return [default(template, language), *self._versions.get((template, language), [])]

    def in_force(
        self, template: CustomerTemplate, language: Language, at: datetime | None
    ) -> TemplateVersion:
        """The newest version saved at or before `at` (None: the newest), else the default."""
        found = default(template, language)
        for v in self._versions.get((template, language), []):
            if at is None or (v.changed_at is not None and v.changed_at <= at):
                found = v
        return found

    def word(self, notice: Notification, queued_at: datetime | None) -> Notification:
        """The notice with the customer's words in its subject and body; a notice without
        facts (staff notices, customer notices queued before templates) as it is."""
        facts = notice.words
        if facts is None:
            return notice
        chosen = self.in_force(facts.template, facts.language, queued_at)
        for version in dict.fromkeys([chosen, default(facts.template, facts.language)]):
            try:
                subject, body = render(version, facts)
            except Exception as err:  # checked when saved: should never happen; never fatal
                log.error(
                    "customer notice template failed, falling back",
                    key=notice.key,
                    template=facts.template.value,
                    language=facts.language,
                    version=version.version,
                    error=str(err),
                )
                continue
            return notice.model_copy(update={"subject": subject, "body": body})
        return notice


def render(version: TemplateVersion, facts: CustomerWords) -> tuple[str, str]:
    """(subject, body) of `version` for a notice's facts."""
    allowed = FACTS[facts.template]
    values = {name: getattr(facts, name) for name in allowed}
    subject = _render_part("subject", _compiled(version.subject), values)
    body = _render_part("body", _compiled(version.body), values)
    return " ".join(subject.split()), body.strip()
