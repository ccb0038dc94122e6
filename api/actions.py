"""Actions on a case: `POST /v1/complaints/{id}/actions/<name>`, one route per action, each run
as a Temporal update, so the caller learns at once whether the case accepted it.

The routes are generated from the actions' definitions (`definitions`: the one place that
reads them): each takes its action's payload model less `actor` and `role` (they come from
the API key) as a typed body, so `/openapi.json` describes every action's fields and a
client generated from it is typed. The generic `POST /v1/complaints/{id}/actions/{action}`
with an open body stays for existing callers, deprecated. Both only authenticate, map and
call `api.cases.act` (the one path of an action: its checks, its errors)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path
from pydantic import create_model, model_validator
from temporalio.client import Client

from api import cases, scope
from api.action_examples import example
from api.auth import Identity, require
from api.cases import ACTING_ROLES, Ledger, Temporal
from api.models import ComplaintId, ComplaintView, Problem
from domain.actions import ACTION_MODELS, ACTIONS, Action
from domain.fields import Input
from workflows.contract import ACTION_SIGNALS

router = APIRouter()

ACTIONS_PATH = "/v1/complaints/{complaint_id}/actions"
FROM_THE_KEY = ("actor", "role")  # who acts, and in which role: the API key says

# The concept each action belongs to (`ActionDef.topic`): its tag in /openapi.json and /docs.
CONCEPTS: dict[str, tuple[str, ...]] = {
    topic: tuple(name for name, d in ACTIONS.items() if d.topic == topic)
    for topic in dict.fromkeys(d.topic for d in ACTIONS.values())
}
_CONCEPT_OF = {name: concept for concept, names in CONCEPTS.items() for name in names}

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such complaint"},
    409: {"model": Problem, "description": "the case refused it (its reason), or it is finished"},
}


@dataclass(frozen=True)
class Definition:
    """What the API needs of one action: its name, payload model and description."""

    name: str
    model: type[Action]
    description: str

    @property
    def tag(self) -> str:
        return f"actions: {_CONCEPT_OF.get(self.name, 'other')}"


def definitions() -> Iterator[Definition]:
    """Every action, from its definition: the one place the API reads them."""
    for name, model in ACTION_MODELS.items():
        described = ACTION_SIGNALS.get(name) or inspect.cleandoc(model.__doc__ or name)
        yield Definition(name, model, " ".join(described.split()))


class ActionBody(Input):
    """An action's body as the API takes it: its payload without `actor` and `role`."""

    @model_validator(mode="before")
    @classmethod
    def _identity_from_the_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(name in data for name in FROM_THE_KEY):
            raise ValueError("actor and role come from the API key; leave them out")
        return data


def body_model(definition: Definition) -> type[ActionBody]:
    """The action's payload model less `actor` and `role`, named after the action
    (`record_contact`: `RecordContactBody`), with an example. Its own validators run when
    `api.cases.act` checks the whole payload."""
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in definition.model.model_fields.items()
        if name not in FROM_THE_KEY
    }
    camel = "".join(part.title() for part in definition.name.split("_"))
    model: type[ActionBody] = create_model(
        f"{camel}Body",
        __base__=ActionBody,
        __doc__=f"The body of `{definition.name}`: {definition.description}",
        __module__=__name__,
        **fields,
    )
    model.model_config["json_schema_extra"] = {"examples": [example(definition.name)]}
    return model


Acting = Annotated[Identity, Depends(require(*ACTING_ROLES))]


async def _act(
    client: Client,
    pool: asyncpg.Pool,
    identity: Identity,
    complaint_id: str,
    action: str,
    payload: dict[str, Any],
) -> ComplaintView:
    await scope.case_to_change(client, pool, identity, complaint_id)
    return await cases.act(client, complaint_id, action, payload, identity, pool=pool)


def _route(definition: Definition, body: type[ActionBody]) -> Callable[..., Awaitable[Any]]:
    """The route function of one action; its signature is built here (a body model made at
    run time cannot be named in a function's annotations)."""

    async def take(
        complaint_id: str, body: ActionBody, identity: Identity, client: Client, pool: asyncpg.Pool
    ) -> ComplaintView:
        payload = body.model_dump(exclude_unset=True)
        return await _act(client, pool, identity, complaint_id, definition.name, payload)

    keyword = inspect.Parameter.KEYWORD_ONLY
    take.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("complaint_id", keyword, annotation=ComplaintId),
            inspect.Parameter("body", keyword, annotation=body),
            inspect.Parameter("identity", keyword, annotation=Acting),
            inspect.Parameter("client", keyword, annotation=Temporal),
            inspect.Parameter("pool", keyword, annotation=Ledger),
        ],
        return_annotation=ComplaintView,
    )
    take.__name__ = f"act_{definition.name}"
    take.__doc__ = definition.description
    return take


def _add_typed_routes() -> None:
    for definition in definitions():
        body = body_model(definition)
        summary = re.split(r"(?<=\.)\s", definition.description, maxsplit=1)[0]
        router.add_api_route(
            f"{ACTIONS_PATH}/{definition.name}",
            _route(definition, body),
            methods=["POST"],
            response_model=ComplaintView,
            responses=RESPONSES,
            operation_id=f"act_{definition.name}",
            summary=f"{definition.name}: {summary}",
            description=(
                f"{definition.description}\n\nThe body is the action's fields without `actor` "
                "and `role`, which come from the API key. 409 with the case's reason when it "
                "refuses the action."
            ),
            tags=[definition.tag],
        )


_add_typed_routes()  # before the generic route, which would otherwise answer their paths


@router.post(
    ACTIONS_PATH + "/{action}",
    response_model=ComplaintView,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
    tags=["actions"],
    deprecated=True,
)
async def act(
    complaint_id: ComplaintId,
    action: Annotated[str, Path(max_length=64)],
    payload: dict[str, Any],
    identity: Acting,
    client: Temporal,
    pool: Ledger,
) -> ComplaintView:
    """Run one action named in the path (body: its fields, without `actor` and `role`, which
    come from the API key). Deprecated: its body is an open object; use the action's own
    route (`POST /v1/complaints/{complaint_id}/actions/record_contact`, ...), whose body is
    typed. 404 for an unknown action, 409 with the workflow's reason when refused."""
    return await _act(client, pool, identity, complaint_id, action, payload)
