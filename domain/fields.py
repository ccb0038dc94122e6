"""The field types of what the case takes in, and the two kinds of model: `Input`, what can
arrive from outside (untrusted: an intake, an action typed in the Web UI), and `Derived`, what
our own code built from checked input.

Every model forbids unknown fields so that a typo in a hand-typed signal payload is refused with
a clear reason instead of being silently ignored.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import email_validator
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a time zone, e.g. 2026-11-23T10:00:00+08:00")
    if not EARLIEST <= value < LATEST:
        raise ValueError("datetime must lie between 2000 and 2100")
    return value


def no_nul(value: Any) -> Any:
    """Refuse NUL characters anywhere in a payload: PostgreSQL text cannot hold them."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            no_nul(key)
            no_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            no_nul(item)
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]

# ---------------------------------------------------------------------------------------------
# The input rules for text (docs/input.md). They apply to new input only: validated with the
# context `NEW_INPUT` (the API does; a case under the rules that have them would). Without it a
# payload loads as it always did, so a history recorded before the rules (its intake, its
# actions, a snapshot carried over) replays unchanged.

NEW_INPUT: dict[str, Any] = {"new_input": True}
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock a sender's clock may run

# Line and paragraph separators and bidi embeddings/overrides/isolates: invisible, they break
# a line or reorder what a reader sees (`li.na\u202e` ...).
_NOT_IN_A_LINE = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*[0-9)]$")


def _new(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and info.context.get("new_input") is True


def _control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def _not_blank(value: str, info: ValidationInfo) -> str:
    if _new(info) and not value.strip():
        raise ValueError("must hold more than white space")
    return value


def _one_line(value: str, info: ValidationInfo) -> str:
    """No control character (CR and LF included) and no invisible line or direction mark."""
    if _new(info) and any(_control(ch) or ch in _NOT_IN_A_LINE for ch in value):
        raise ValueError("must be one line without control characters")
    return value


def _free_text(value: str, info: ValidationInfo) -> str:
    """Lines of text: CR LF and CR become LF; tab and LF are the only controls kept."""
    if not _new(info):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if any(_control(ch) and ch not in "\n\t" for ch in value):
        raise ValueError("may hold no control characters but line breaks and tabs")
    return value


def _phone(value: str, info: ValidationInfo) -> str:
    if _new(info):
        digits = sum(ch.isdigit() for ch in value)
        if not _PHONE.match(value) or not 5 <= digits <= 20:
            raise ValueError(
                "must be a phone number: 5 to 20 digits, optionally a leading +, "
                "spaces, dashes and parentheses"
            )
    return value


def _email(value: str, info: ValidationInfo) -> str:
    if _new(info):
        try:
            email_validator.validate_email(value, check_deliverability=False)
        except email_validator.EmailNotValidError as err:
            raise ValueError(f"must be an e-mail address ({err})") from None
    return value


SingleLine = Annotated[str, AfterValidator(_one_line), AfterValidator(_not_blank)]
Name = Annotated[SingleLine, Field(min_length=1, max_length=200)]
Text = Annotated[
    str,
    Field(min_length=1, max_length=4000),
    AfterValidator(_free_text),
    AfterValidator(_not_blank),
]
Note = Annotated[str, Field(max_length=4000), AfterValidator(_free_text)]  # may be left empty
Key = Annotated[SingleLine, Field(min_length=1, max_length=128)]  # an id the caller chose
Phone = Annotated[str, Field(min_length=5, max_length=32), AfterValidator(_phone)]
Email = Annotated[str, Field(max_length=200), AfterValidator(_email)]


class EvidenceOfTheCase:
    """Marks a field holding evidence ids of the case itself (R-IN-9). The workflow cannot
    read the ledger, so the door that takes the action (`api.cases.act`) checks them there,
    for every action with such a field (`evidence_fields`)."""


EvidenceIds = Annotated[
    list[Name],
    Field(max_length=20, description="evidence ids of this complaint (R-IN-9)"),
    EvidenceOfTheCase(),
]


def evidence_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` that hold evidence ids of the case (`EvidenceIds`)."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if any(isinstance(m, EvidenceOfTheCase) for m in field.metadata)
    )


def received_in_window(received_at: datetime, now: datetime, horizon: timedelta) -> None:
    """An intake's `received_at` at the API: not ahead of `now` by more than the clock skew,
    not further back than `horizon`. A check of the door, never of a case (the workflow
    reads no clock); ValueError naming the field."""
    if received_at > now + CLOCK_SKEW:
        raise ValueError("received_at: is in the future")
    if received_at < now - horizon:
        raise ValueError(f"received_at: is more than {horizon.days} days ago")


class Derived(BaseModel):
    """What our own code builds from checked input (state, timeline, clocks, the ledger record,
    the policy): unknown fields refused; its text is not walked for NUL characters again, a
    walk that cost a tenth of a worker's CPU per complaint (bench/first_wait.py)."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class Input(Derived):
    """What can arrive from outside (an intake, an action typed in the Web UI): unknown fields
    and NUL characters refused."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # Only this model's own text: a nested model (a dict here; no Input has a dict of
        # strings) checks its own, so a deep payload is walked once, not once per level.
        if isinstance(data, dict):
            for key, item in data.items():
                no_nul(key)
                if isinstance(item, list | tuple):
                    for element in item:
                        if not isinstance(element, dict):
                            no_nul(element)
                elif not isinstance(item, dict):
                    no_nul(item)
        return data
