"""An action's form, made from its payload model's JSON schema (`domain.actions.ACTION_MODELS`),
and the form's answer read back into that payload.

Each property becomes one field: an enum (or `Literal`) a select, a date-time a
`datetime-local` read in the branch's zone, a date a date, a list of an enum checkboxes,
another list a text area of one item a line, a boolean a checkbox (an optional one a
yes / no / not said select), a number a number, a long text a text area, a nested model its
own fields (`deadlines.contact_hours`); the note comes last. `actor` and `role` come from
who is signed in, never from the form; `request_id` is a hidden field made when the form is
shown, so that sending the same form twice acts once.

`read` checks the answer with the model (with the person's name and role, as the API does) and
returns the payload, or the errors by field name: nothing is sent while a field is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api.desk import words

FROM_IDENTITY = frozenset({"actor", "role", "request_id"})
LONG_TEXT = 200  # longer than a name: a text area
Kind = Literal[
    "text",
    "textarea",
    "number",
    "select",
    "checkbox",
    "tristate",
    "checkboxes",
    "lines",
    "datetime",
    "date",
]
# The words tables for enums that have them, by the enum's schema title.
ENUM_WORDS = {"HelpFlag": words.HELP_FLAGS, "Channel": words.CHANNELS, "Grade": words.GRADES}


@dataclass
class FormField:
    name: str  # dotted for a nested model's field
    label: str
    kind: Kind
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    integer: bool = False
    step: str = "any"
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    default: Any = None
    help: str = ""


def fields_of(model: type[BaseModel]) -> list[FormField]:
    """The form's fields, in the model's order."""
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    fields = _object_fields(schema, defs, prefix="")
    return [f for f in fields if f.name != "note"] + [f for f in fields if f.name == "note"]


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str):
        return {**defs[ref.rsplit("/", 1)[-1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


def _object_fields(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[FormField]:
    required = set(schema.get("required", []))
    out: list[FormField] = []
    for name, raw in schema.get("properties", {}).items():
        if not prefix and name in FROM_IDENTITY:
            continue
        out += _fields(prefix + name, _resolve(raw, defs), name in required, defs)
    return out


def _fields(
    name: str, prop: dict[str, Any], required: bool, defs: dict[str, Any]
) -> list[FormField]:
    default = prop.get("default")
    variants = [_resolve(v, defs) for v in prop.get("anyOf", [prop])]
    nullable = any(v.get("type") == "null" for v in variants)
    kinds = [v for v in variants if v.get("type") != "null"]
    main = next((v for v in kinds if v.get("type") in ("number", "integer")), kinds[0])
    if main.get("type") == "object" and "properties" in main:
        return _object_fields(main, defs, prefix=name + ".")
    f = FormField(
        name=name,
        label=words.field(name),
        kind="text",
        required=required,
        default=default,
        help=str(main.get("description") or ""),
    )
    if "enum" in main or "const" in main:
        values = main.get("enum") or [main["const"]]
        table = ENUM_WORDS.get(str(main.get("title")), words.VALUES)
        f.kind = "select"
        f.integer = main.get("type") == "integer"
        f.options = [(str(v), table.get(str(v), str(v))) for v in values]
        if nullable or not required:
            f.options.insert(0, ("", "—"))
    elif main.get("type") == "boolean":
        f.kind = "tristate" if nullable else "checkbox"
    elif main.get("type") == "array":
        items = _resolve(main.get("items", {}), defs)
        if "enum" in items:
            table = ENUM_WORDS.get(str(items.get("title")), {})
            f.kind = "checkboxes"
            f.options = [(str(v), table.get(str(v), str(v))) for v in items["enum"]]
        else:
            f.kind = "lines"
    elif main.get("type") in ("number", "integer"):
        f.kind = "number"
        f.integer = main["type"] == "integer"
        f.step = (
            "1"
            if f.integer
            else ("0.01" if any(v.get("type") == "string" for v in kinds) else "any")
        )
        f.minimum = main.get("minimum", main.get("exclusiveMinimum"))
        f.maximum = main.get("maximum")
    elif main.get("format") == "date-time":
        f.kind = "datetime"
    elif main.get("format") == "date":
        f.kind = "date"
    else:
        f.max_length = main.get("maxLength")
        f.kind = "textarea" if (f.max_length or 0) > LONG_TEXT else "text"
    return [f]


@dataclass
class Answer:
    """What the form said: the payload (without actor and role), or errors by field name
    (`""`: the form as a whole), and the values to show again."""

    payload: dict[str, Any]
    errors: dict[str, str]
    values: dict[str, Any]


def read(
    model: type[BaseModel],
    fields: list[FormField],
    form: FormData,
    *,
    actor: str,
    role: str,
    zone: ZoneInfo,
    acting: bool = True,
) -> Answer:
    """`acting`: the model is an action's payload (it takes the person's name and role, and a
    request id); else an intake (`api.models.ComplaintIn`), whose nested groups left at their
    defaults (no crisis fact ticked, no bank outlet) are not sent at all."""
    payload: dict[str, Any] = {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw: Any = form.getlist(f.name) if f.kind == "checkboxes" else form.get(f.name)
        values[f.name] = raw
        try:
            value = _value(f, raw, zone)
        except ValueError as err:
            errors[f.name] = str(err)
            continue
        if value is not None:
            _put(payload, f.name, value)
    request_id = str(form.get("request_id") or "").strip()
    if request_id and acting:
        payload["request_id"] = request_id
    if not acting:
        _drop_untouched_groups(payload, fields)
    if not errors:
        try:
            who = {"actor": actor, "role": role} if acting else {}
            model.model_validate({**payload, **who})
        except ValidationError as err:
            names = {f.name for f in fields}
            for e in err.errors():
                where = ".".join(str(p) for p in e.get("loc", ()))
                key = (
                    where
                    if where in names
                    else next((n for n in names if where.startswith(n + ".")), "")
                )
                message = str(e.get("msg", "invalid"))
                errors[key] = f"{errors[key]}; {message}" if key in errors else message
    return Answer(payload=payload, errors=errors, values=values)


def _value(f: FormField, raw: Any, zone: ZoneInfo) -> Any:
    if f.kind == "checkbox":
        return raw is not None
    if f.kind == "checkboxes":
        return [str(v) for v in raw] or None
    text = "" if raw is None else str(raw).strip()
    if f.kind == "tristate":
        return {"": None, "true": True, "false": False}.get(text)
    if text == "":
        return None
    if f.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    if f.kind == "datetime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("a date and time, e.g. 2026-12-08T10:30") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.isoformat()
    if (f.kind == "number" or f.kind == "select") and f.integer:
        try:
            return int(text)
        except ValueError:
            raise ValueError("a whole number") from None
    return text  # pydantic reads numbers, decimals and dates from their text


def _drop_untouched_groups(payload: dict[str, Any], fields: list[FormField]) -> None:
    """A nested group whose every value is its default, unticked or empty: not given."""
    defaults = {f.name: f.default for f in fields}
    for group, values in list(payload.items()):
        if isinstance(values, dict) and all(
            not v or v == defaults.get(f"{group}.{k}") for k, v in values.items()
        ):
            del payload[group]


def _put(payload: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    target = payload
    for p in parents:
        target = target.setdefault(p, {})
    target[last] = value
