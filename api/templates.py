"""The words of customer notices as data (R-CU-1, versioned like policy: R-SLA-10).

- `POST /v1/notice-templates/{template}/{language}` (admin): a new version of one template's
  `subject` and `body` (Jinja2, the facts of `GET` as placeholders) with a `reason`; the author
  is the key's. In force for every customer notice queued from then on (notices/templates.py).
  Checked before it is kept: broken syntax, a placeholder that is not a fact of the template,
  or a failure rendering a sample notice is a 422 naming the part and the line.
- `GET /v1/notice-templates` (admin, supervisor, auditor): every template and language with the
  version in force now (version 0: the shipped default) and the facts it may use.
- `GET /v1/notice-templates/{template}/{language}`: every version of one, oldest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from api import scope
from api.auth import Identity, require
from api.cases import Ledger
from api.models import Problem
from domain.fields import Input
from domain.intake import Language
from domain.notice_models import CustomerTemplate
from domain.vocabulary import Role
from ledger import templates as saved_templates
from notices.templates import FACTS, LANGUAGES, TemplateProblem, TemplateVersion, Wording, check

router = APIRouter(tags=["notice templates"])
READERS = (Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR)


class TemplateChange(Input):  # domain Input: unknown fields and NUL characters refused
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=2000)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class NoticeTemplateVersion(BaseModel):
    template: CustomerTemplate
    language: Language
    version: int  # 0: the default shipped in code
    subject: str
    body: str
    reason: str
    changed_by: str
    changed_at: datetime | None  # None: the default
    facts: list[str]  # the placeholders this template may use

    @classmethod
    def of(cls, v: TemplateVersion) -> NoticeTemplateVersion:
        return cls(
            template=v.template,
            language=v.language,
            version=v.version,
            subject=v.subject,
            body=v.body,
            reason=v.reason,
            changed_by=v.changed_by,
            changed_at=v.changed_at,
            facts=list(FACTS[v.template]),
        )


async def _wording(pool: Ledger) -> Wording:
    return Wording(map(TemplateVersion.from_row, await saved_templates.saved(pool)))


@router.post(
    "/v1/notice-templates/{template}/{language}",
    status_code=201,
    response_model=NoticeTemplateVersion,
    responses={422: {"model": Problem}},
)
async def save(
    template: CustomerTemplate,
    language: Language,
    change: TemplateChange,
    identity: Annotated[Identity, Depends(require(Role.ADMIN))],
    pool: Ledger,
) -> NoticeTemplateVersion:
    """R-CU-1: a new version, checked against sample notices first; the earlier ones stay."""
    scope.change(identity, scope.EVERY_BRANCH, "the words of customer notices")
    try:
        check(template, change.subject, change.body)
    except TemplateProblem as err:
        raise HTTPException(422, f"{template.value} ({language}): {err}") from None
    row = await saved_templates.add_version(
        pool, template.value, language, change.subject, change.body, change.reason, identity.name
    )
    saved = TemplateVersion(
        template=template,
        language=language,
        version=row["version"],
        subject=change.subject,
        body=change.body,
        reason=change.reason,
        changed_by=identity.name,
        changed_at=row["changed_at"],
    )
    return NoticeTemplateVersion.of(saved)


@router.get("/v1/notice-templates", response_model=list[NoticeTemplateVersion])
async def in_force(
    _: Annotated[Identity, Depends(require(*READERS))], pool: Ledger
) -> list[NoticeTemplateVersion]:
    wording = await _wording(pool)
    return [
        NoticeTemplateVersion.of(wording.in_force(template, language, None))
        for template in CustomerTemplate
        for language in LANGUAGES
    ]


@router.get(
    "/v1/notice-templates/{template}/{language}", response_model=list[NoticeTemplateVersion]
)
async def versions(
    template: CustomerTemplate,
    language: Language,
    _: Annotated[Identity, Depends(require(*READERS))],
    pool: Ledger,
) -> list[NoticeTemplateVersion]:
    wording = await _wording(pool)
    return [NoticeTemplateVersion.of(v) for v in wording.versions(template, language)]
