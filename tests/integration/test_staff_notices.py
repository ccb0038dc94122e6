"""Notices staff can act on (R-SLA-4: warnings, reminders, the supervisor's notice): what the
case worded with exact instants reaches people with every time in the branches' zone to the
minute, never in UTC, never to the microsecond, and with a link to the case page
(`notices/wording.py`). Sent over the real local SMTP sink and a local HTTP gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import next_working_instant
from domain.notice_models import Notification
from infra.mailsink import MailSink
from launcher.dev import case_url, parse_args
from notices.channels import Channels, ChannelSettings
from notices.wording import case_link, case_url_template, local_minutes
from tests.harness import Harness
from tests.integration.test_channels import Gateway, gateway  # noqa: F401 (a fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE_URL = "https://desk.insurer.example/desk/cases/{complaint_id}"
SECONDS = re.compile(r"\d{2}:\d{2}:\d{2}")
OFFSET = re.compile(r"[+-]\d{2}:\d{2}\b|\bZ\b|UTC")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail", port=0) as s:
        yield s


def channel_settings(sink: MailSink, **overrides: Any) -> ChannelSettings:
    fields: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port,
        "smtp_sender": "complaints@insurer.example",
        "smtp_timeout": 2.0,
        "case_url": CASE_URL,
    }
    return ChannelSettings(**(fields | overrides))


def email_body(sink: MailSink) -> str:
    [mail] = sink.messages()
    body = mail.get_body()
    assert body is not None
    text: str = body.get_content()
    return text


async def test_r_sla_4_reminder_email_shows_the_deadline_to_the_minute_in_shanghai_with_a_link(
    harness: Harness, sink: MailSink
) -> None:
    """The reminder the case really sends, delivered to the SMTP sink."""
    h = harness
    handle = await h.start()
    clock = (await h.state(handle)).clock("stage:contact")
    assert clock is not None
    await h.sleep_until(next_working_instant(h.policy.snapshot.calendar, clock.due_at))
    [reminder] = await h.notifier.wait_for("reminder")
    assert clock.due_at.isoformat() in reminder.body  # recorded as worded: histories unchanged

    async with Channels(channel_settings(sink)) as channels:
        assert (await channels.deliver(reminder, "email"))[0] == "delivered"

    body = email_body(sink)
    complaint_id = reminder.complaint_id
    due = f"{clock.due_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)"
    assert f"Complaint {complaint_id}: {clock.label} was due at {due} (催办 #1)." in body, body
    assert not SECONDS.search(body) and not OFFSET.search(body), body
    assert body.rstrip().endswith(f"Case: https://desk.insurer.example/desk/cases/{complaint_id}")


async def test_supervisor_sms_and_utc_instants_read_in_the_branch_zone(
    sink: MailSink,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> None:
    """An instant the case holds in UTC (a crisis clock, an extension asked in UTC) reads in
    the same zone as the others; the SMS to the supervisor carries the link too."""
    notice = Notification(
        key="complaint-T9:n4",
        complaint_id="T9",
        kind="escalation",
        recipient_role="supervisor",
        recipient="wang.qiang",
        channels=["email", "sms"],
        subject="Overdue in your team: crisis report",
        body="Complaint T9 (owner li.na) passed crisis report at 2026-12-08T02:30:41.512204+00:00;"
        " extension asked to 2026-12-09T10:00:00Z.",
    )
    settings = channel_settings(sink, sms_gateway_url=gateway.url)
    async with Channels(settings) as channels:
        await channels.deliver(notice, "email")
        await channels.deliver(notice, "sms")

    expected = (
        "Complaint T9 (owner li.na) passed crisis report at 2026-12-08 10:30 (Asia/Shanghai); "
        "extension asked to 2026-12-09 18:00 (Asia/Shanghai).\n\n"
        "Case: https://desk.insurer.example/desk/cases/T9"
    )
    assert email_body(sink).strip() == expected
    [sms] = gateway.requests
    assert sms.json()["text"] == f"Overdue in your team: crisis report\n{expected}"


async def test_customers_get_their_notice_as_worded_and_no_staff_link(sink: MailSink) -> None:
    customer = Notification(
        key="complaint-T9:n1",
        complaint_id="T9",
        kind="customer_notice",
        recipient_role="customer",
        recipient="zhang.wei@example.com",
        channels=["email"],
        subject="Handling time extended / 处理期限延长",
        body="The expected handling date of your complaint is now 2026-12-11.",
    )
    async with Channels(channel_settings(sink)) as channels:
        await channels.deliver(customer, "email")
    assert email_body(sink).strip() == customer.body


def test_instants_to_the_minute_in_the_zone() -> None:
    moment = datetime(2026, 12, 8, 2, 30, 59, 999999, tzinfo=UTC)
    text = f"due at {moment.isoformat()} and {moment.astimezone(SHANGHAI).isoformat()}; 18:00"
    assert local_minutes(text, SHANGHAI) == (
        "due at 2026-12-08 10:30 (Asia/Shanghai) and 2026-12-08 10:30 (Asia/Shanghai); 18:00"
    )
    naive = "截止时间：2026-11-23 18:00"  # no zone named: left as it is
    assert local_minutes(naive, SHANGHAI) == naive


def test_settings_of_the_wording_from_the_environment() -> None:
    default = ChannelSettings.from_env({})
    assert (default.time_zone, default.case_url) == ("Asia/Shanghai", None)
    configured = ChannelSettings.from_env(
        {"COMPLAINTS_TIME_ZONE": "Asia/Urumqi", "COMPLAINTS_CASE_URL": CASE_URL}
    )
    assert (configured.time_zone, configured.case_url) == ("Asia/Urumqi", CASE_URL)
    with pytest.raises(ValueError, match="COMPLAINTS_TIME_ZONE"):
        ChannelSettings.from_env({"COMPLAINTS_TIME_ZONE": "Mars/Olympus"})
    for bad in ("desk/cases/{complaint_id}", "https://desk/{id}", "https://desk/cases/"):
        with pytest.raises(ValueError, match="COMPLAINTS_CASE_URL"):
            ChannelSettings.from_env({"COMPLAINTS_CASE_URL": bad})


def test_make_run_links_staff_notices_to_the_case_on_the_desk() -> None:
    """The dev launcher's case page is the desk's (api/desk/), on the API's port."""
    url = case_url(parse_args(["--api-port", "8000"]))
    assert case_url_template(url) == url
    assert case_link(url, "DEMO-0001") == "http://127.0.0.1:8000/desk/cases/DEMO-0001"
