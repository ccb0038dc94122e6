"""The decision as a printable letter (R-CU-1: "kept in the ledger as sent, and printable as a
letter for the file and for customers who asked for post").

`GET /v1/complaints/{id}/decision-letter` (an API key) and `GET /desk/cases/{id}/decision-letter`
(the desk's session; linked from the case page) render the case's newest decision notice as an
A4 letter in the customer's language: the company's letterhead (`Settings.letter_company`,
`letter_address`, the hotline `status_contact`), the customer, the case's number, the day it was
sent, then the notice's own subject and text. The words are never worded again for the letter:
they are the ledger's notice (its facts, `notifications.words`) in the template version that was
in force when it was queued, exactly as the outbox relay worded the message it sent
(`notices.templates.Wording.word`); a template saved later does not change a letter.

Who: the staff who deal with the customer (handler, supervisor, senior manager) within the key's
branches (`api.scope`: another branch's case is 404 as an unknown one); the letter holds the
outcome, so a handler who is not the case's owner is refused as R-CR-2 refuses the resolution
(`domain.crisis.may_see_resolution`). The customer's name and number are shown whole only to the
roles that may see them (`api.models.SEES_CUSTOMER_NUMBERS`; masked with `infra.masking`
otherwise, the text too), and such a read goes in the access log. 404 when no decision notice was
sent (a case not decided yet, or of rules 1-4).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api import cases, scope
from api.auth import Identity, require
from api.cases import Ledger, Temporal
from api.models import SEES_CUSTOMER_NUMBERS, ComplaintId, Problem
from domain.crisis import DECIDING_ROLES
from domain.intake import Language
from domain.vocabulary import Role
from infra.config import Settings
from infra.masking import mask_name, mask_number, mask_text
from ledger import letters, views
from ledger import templates as saved_templates
from notices.templates import TemplateVersion, Wording

router = APIRouter()

LETTER_STAFF = (Role.HANDLER, Role.SUPERVISOR, Role.SENIOR_MANAGER)

TEMPLATES = Path(__file__).resolve().parent / "letter_templates"
_JINJA = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
CSS = (TEMPLATES / "letter.css").read_text()
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class LetterWords:
    """The letter's own words around the notice, in the customer's language."""

    html_lang: str
    title: str
    screen_note: str
    unit: Callable[[str], str]
    address: str
    to: str
    phone: str
    reference: str
    on: str
    dear: Callable[[str], str]
    closing: tuple[str, ...]
    record: Callable[[str, str], str]
    kept: str
    day: Callable[[date], str]
    channels: dict[str, str]


WORDS: dict[Language, LetterWords] = {
    "zh": LetterWords(
        html_lang="zh-CN",
        title="投诉处理结果告知书",
        screen_note="打印本页即为A4信函（浏览器的“打印”，页边距选“默认”）。",
        unit=lambda branch: f"{branch} 投诉处理部门",
        address="地址：",
        to="收件人",
        phone="联系电话",
        reference="投诉编号",
        on="日期",
        dear=lambda name: f"尊敬的{name}：",
        closing=("特此函告。",),
        record=lambda day, channel: f"本函内容与{day}以{channel}发送给您的处理结果通知一致。",
        kept="台账记录",
        day=lambda d: f"{d.year}年{d.month}月{d.day}日",
        channels={"sms": "短信", "email": "电子邮件", "letter": "信函", "phone": "电话"},
    ),
    "en": LetterWords(
        html_lang="en",
        title="Decision on your complaint",
        screen_note="Print this page for an A4 letter (the browser's Print, default margins).",
        unit=lambda branch: f"{branch} complaints department",
        address="Address: ",
        to="To",
        phone="Phone",
        reference="Complaint no.",
        on="Date",
        dear=lambda name: f"Dear {name},",
        closing=("Yours sincerely,",),
        record=lambda day, channel: (
            f"This letter repeats the decision notice sent to you by {channel} on {day}."
        ),
        kept="Ledger record",
        day=lambda d: f"{d.day} {d:%B} {d.year}",
        channels={"sms": "SMS", "email": "email", "letter": "letter", "phone": "phone"},
    ),
}


@dataclass(frozen=True)
class Letter:
    complaint_id: str
    company: str
    unit: str
    address: str
    contact: str
    customer: str
    phone: str
    subject: str
    paragraphs: list[str]
    sent_on: date
    sent_on_words: str
    channel_words: str
    notice_key: str


def render(letter: Letter, words: LetterWords) -> str:
    return _JINJA.get_template("decision_letter.html").render(css=CSS, letter=letter, w=words)


async def decision_letter(
    pool: asyncpg.Pool, client: Temporal, identity: Identity, settings: Settings, cid: str, via: str
) -> HTMLResponse:
    """The letter of the case's newest decision notice (module docstring); `via` names the
    route in the access log."""
    await scope.case_to_read(client, pool, identity, cid)
    row = await views.complaint(pool, cid)
    sent = await letters.last_decision(pool, cid)
    if row is None or sent is None:
        raise HTTPException(404, f"no decision notice was sent for complaint {cid}")
    if not (identity.name in (row["owner"], row["supervisor"]) or identity.roles & DECIDING_ROLES):
        raise HTTPException(
            403,
            f"R-CR-2: the decision letter holds the outcome of complaint {cid}: for its handler "
            "and supervisor, and the roles that decide",
        )
    wording = Wording(map(TemplateVersion.from_row, await saved_templates.saved(pool)))
    notice = wording.word(sent.notice, sent.queued_at)  # as the relay worded it
    assert notice.words is not None  # a decision notice always has its facts
    words = WORDS[notice.words.language]
    whole = identity.has(*SEES_CUSTOMER_NUMBERS)
    name, phone, body = row["customer_name"], row["customer_phone"], notice.body
    if not whole:
        name, phone, body = mask_name(name), mask_number(phone), mask_text(body)
    sent_on = sent.queued_at.astimezone(ZoneInfo(settings.time_zone)).date()
    unit = words.unit(row["branch"])
    letter = Letter(
        complaint_id=cid,
        company=settings.letter_company or unit,
        unit=unit if settings.letter_company else "",
        address=settings.letter_address,
        contact=settings.status_contact,
        customer=name,
        phone=phone,
        subject=notice.subject,
        paragraphs=[line.strip() for line in body.splitlines() if line.strip()],
        sent_on=sent_on,
        sent_on_words=words.day(sent_on),
        channel_words=words.channels.get(sent.channel, sent.channel),
        notice_key=sent.notice.key,
    )
    if whole:
        await cases.accessed(pool, identity, via, [cid])
    return HTMLResponse(render(letter, words), headers=HEADERS)


@router.get(
    "/v1/complaints/{complaint_id}/decision-letter",
    tags=["complaints"],
    # the letter is HTML; its errors are JSON problems like every other route's
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        403: {"model": Problem},
        404: {"model": Problem},
    },
    summary="The decision notice as sent, as a printable A4 letter (R-CU-1)",
)
async def decision_letter_page(
    complaint_id: ComplaintId,
    request: Request,
    identity: Annotated[Identity, Depends(require(*LETTER_STAFF))],
    client: Temporal,
    pool: Ledger,
) -> HTMLResponse:
    """The case's newest decision notice, worded as it was sent (never re-worded), as a
    print-ready A4 letter in the customer's language with the company's letterhead. 404 when no
    decision notice was sent."""
    settings: Settings = request.app.state.settings
    return await decision_letter(
        pool,
        client,
        identity,
        settings,
        complaint_id,
        "api:GET /v1/complaints/{id}/decision-letter",
    )
