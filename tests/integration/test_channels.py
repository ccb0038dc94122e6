"""Channel adapters over real transports: an aiosmtpd server (the dev MailSink) and a tiny local
HTTP server standing in for the SMS/phone gateway. Nothing is mocked."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from domain.notice_models import Notification
from infra.mailsink import MailSink
from notices.channels import (
    Channels,
    ChannelSettings,
    DeliveryError,
    EmailChannel,
    HttpGateway,
    PermanentDeliveryError,
    message_id_for,
)

PHONE = "13812345678"


def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def notice(**overrides: Any) -> Notification:
    fields: dict[str, Any] = {
        "key": "complaint-T1:n3",
        "complaint_id": "T1",
        "kind": "reminder",
        "recipient_role": "owner",
        "recipient": "li.na",
        "channels": ["email", "sms"],
        "subject": "投诉 T1 联系客户已超时",
        "body": "请尽快联系客户张伟。\n截止时间：2026-11-23 18:00",
    }
    fields.update(overrides)
    return Notification.model_validate(fields)


# ---------------------------------------------------------------------------------------------
# A tiny HTTP/1.1 server: records each request, answers from a script


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Gateway:
    url: str
    requests: list[Request] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"id": "gw-1"}'
    delay: float = 0.0


async def _serve(gw: Gateway, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        gw.requests.append(Request(method, path, headers, body))
        if gw.delay:
            await asyncio.sleep(gw.delay)
        reason = HTTPStatus(gw.status).phrase
        writer.write(
            f"HTTP/1.1 {gw.status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(gw.answer)}\r\nConnection: close\r\n\r\n".encode()
            + gw.answer
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    holder: list[Gateway] = []
    server = await asyncio.start_server(lambda r, w: _serve(holder[0], r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    holder.append(Gateway(url=f"http://127.0.0.1:{port}/v1/messages"))
    async with server:
        yield holder[0]
        server.close()


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail", port=0, refuse=["ghost@staff.local"]) as s:
        yield s


def settings(sink: MailSink | None = None, gateway: Gateway | None = None) -> ChannelSettings:
    return ChannelSettings(
        smtp_host="127.0.0.1",
        smtp_port=sink.port if sink else free_port(),
        smtp_sender="complaints@insurer.example",
        smtp_timeout=2.0,
        sms_gateway_url=gateway.url if gateway else None,
        sms_gateway_token="s3cret" if gateway else None,
        gateway_timeout=2.0,
    )


# ---------------------------------------------------------------------------------------------
# Settings


def test_settings_from_env() -> None:
    default = ChannelSettings.from_env({})
    assert (default.smtp_host, default.smtp_port) == ("localhost", 8025)
    assert default.smtp_sender == "complaints@localhost"
    assert default.staff_email_domain == "staff.local"
    assert default.sms_gateway_url is None and default.smtp_starttls is None

    configured = ChannelSettings.from_env(
        {
            "COMPLAINTS_SMTP_HOST": "smtp.example.com",
            "COMPLAINTS_SMTP_PORT": "587",
            "COMPLAINTS_SMTP_USERNAME": "bot",
            "COMPLAINTS_SMTP_PASSWORD": "pw",
            "COMPLAINTS_SMTP_STARTTLS": "true",
            "COMPLAINTS_STAFF_EMAIL_DOMAIN": "insurer.example",
            "COMPLAINTS_SMS_GATEWAY_URL": "https://gw.example/send",
            "COMPLAINTS_SMS_GATEWAY_TOKEN": "tok",
        }
    )
    assert configured.smtp_port == 587 and configured.smtp_starttls is True
    assert configured.sms_gateway_url == "https://gw.example/send"
    assert "pw" not in repr(configured) and "tok" not in repr(configured)

    with pytest.raises(ValueError, match="COMPLAINTS_SMTP_PORT"):
        ChannelSettings.from_env({"COMPLAINTS_SMTP_PORT": "smtp"})
    with pytest.raises(ValueError, match="COMPLAINTS_SMTP_STARTTLS"):
        ChannelSettings.from_env({"COMPLAINTS_SMTP_STARTTLS": "maybe"})


def test_message_ids_are_stable_and_distinct() -> None:
    assert (
        message_id_for("complaint-T1:n3:email", "x.example") == "<complaint-T1.n3.email@x.example>"
    )
    assert message_id_for("a:b", "d") != message_id_for("a=3Ab", "d")
    assert message_id_for("a.b", "d") != message_id_for("a:b", "d")
    assert message_id_for(":odd", "d") == "<=3Aodd@d>"


# ---------------------------------------------------------------------------------------------
# Email


async def test_email_to_staff_keeps_chinese_text(sink: MailSink) -> None:
    async with Channels(settings(sink)) as channels:
        status, message_id = await channels.deliver(notice(), "email")

    assert status == "delivered"
    assert message_id == "<complaint-T1.n3.email@insurer.example>"
    [mail] = sink.messages()
    assert mail["To"] == "li.na@staff.local"
    assert mail["From"] == "complaints@insurer.example"
    assert mail["Subject"] == "投诉 T1 联系客户已超时"
    assert mail["Message-ID"] == message_id
    assert mail["X-Complaint-Id"] == "T1"
    body = mail.get_body()
    assert body is not None
    assert body.get_content().strip() == "请尽快联系客户张伟。\n截止时间：2026-11-23 18:00"

    index = (sink.folder / "index.txt").read_text(encoding="utf-8")
    assert "li.na@staff.local" in index and "投诉 T1 联系客户已超时" in index


async def test_email_channel_returns_the_message_id(sink: MailSink) -> None:
    channel = EmailChannel(settings(sink))
    message_id = await channel.send(to="wang.qiang@staff.local", subject="s", body="b", key="k:1")
    again = await channel.send(to="wang.qiang@staff.local", subject="s", body="b", key="k:1")
    assert message_id == again == "<k.1@insurer.example>"
    assert [m["Message-ID"] for m in sink.messages()] == [message_id, message_id]


async def test_refused_recipient_is_permanent(sink: MailSink) -> None:
    channel = EmailChannel(settings(sink))
    with pytest.raises(PermanentDeliveryError) as err:
        await channel.send(to="ghost@staff.local", subject="s", body="b", key="k")
    assert err.value.status == 550 and not err.value.retryable
    assert sink.messages() == []


async def test_unreachable_smtp_server_is_retryable() -> None:
    channel = EmailChannel(settings())
    with pytest.raises(DeliveryError) as err:
        await channel.send(to="li.na@staff.local", subject="s", body="b", key="k")
    assert err.value.retryable and not isinstance(err.value, PermanentDeliveryError)


async def test_customer_email_only_to_an_email_address(sink: MailSink) -> None:
    async with Channels(settings(sink)) as channels:
        by_phone = notice(recipient_role="customer", recipient=PHONE, kind="customer_notice")
        status, reason = await channels.deliver(by_phone, "email")
        assert status == "skipped" and "email" in reason

        by_mail = notice(
            recipient_role="customer", recipient="zhang.wei@example.com", kind="customer_notice"
        )
        assert (await channels.deliver(by_mail, "email"))[0] == "delivered"
    assert [m["To"] for m in sink.messages()] == ["zhang.wei@example.com"]


# ---------------------------------------------------------------------------------------------
# Gateway


async def test_gateway_post(gateway: Gateway) -> None:
    client = HttpGateway(gateway.url, token="s3cret")
    try:
        provider_id = await client.send(kind="sms", to=PHONE, text="您好", key="complaint-T1:n4")
    finally:
        await client.aclose()

    assert provider_id == "gw-1"
    [request] = gateway.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["idempotency-key"] == "complaint-T1:n4"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.json() == {
        "type": "sms",
        "to": PHONE,
        "text": "您好",
        "reference": "complaint-T1:n4",
    }


async def test_gateway_without_id_returns_status_text(gateway: Gateway) -> None:
    gateway.status, gateway.answer = 202, b"queued"
    client = HttpGateway(gateway.url)
    try:
        assert await client.send(kind="phone", to="li.na", text="t", key="k") == "202 Accepted"
    finally:
        await client.aclose()
    assert "authorization" not in gateway.requests[0].headers


@pytest.mark.parametrize(
    ("status", "permanent"), [(503, False), (500, False), (429, False), (400, True), (401, True)]
)
async def test_gateway_errors(gateway: Gateway, status: int, permanent: bool) -> None:
    gateway.status, gateway.answer = status, f'{{"error": "no", "to": "{PHONE}"}}'.encode()
    client = HttpGateway(gateway.url)
    try:
        with pytest.raises(DeliveryError) as err:
            await client.send(kind="sms", to=PHONE, text="t", key="k")
    finally:
        await client.aclose()
    assert isinstance(err.value, PermanentDeliveryError) is permanent
    assert err.value.retryable is not permanent and err.value.status == status
    assert PHONE not in str(err.value) and "138****5678" in str(err.value)


async def test_gateway_timeout_is_retryable(gateway: Gateway) -> None:
    gateway.delay = 1.0
    client = HttpGateway(gateway.url, timeout=0.2)
    try:
        with pytest.raises(DeliveryError) as err:
            await client.send(kind="sms", to=PHONE, text="t", key="k")
    finally:
        await client.aclose()
    assert err.value.retryable and "timed out" in str(err.value)


async def test_unreachable_gateway_is_retryable() -> None:
    client = HttpGateway(f"http://127.0.0.1:{free_port()}/send", timeout=1.0)
    try:
        with pytest.raises(DeliveryError) as err:
            await client.send(kind="sms", to=PHONE, text="t", key="k")
    finally:
        await client.aclose()
    assert err.value.retryable and not isinstance(err.value, PermanentDeliveryError)


# ---------------------------------------------------------------------------------------------
# Routing


async def test_sms_and_phone_skipped_without_gateway() -> None:
    async with Channels(settings()) as channels:
        assert channels.gateway is None
        for channel in ("sms", "phone"):
            status, reason = await channels.deliver(notice(), channel)
            assert status == "skipped" and "COMPLAINTS_SMS_GATEWAY_URL" in reason


async def test_im_and_letter_are_skipped() -> None:
    async with Channels(settings()) as channels:
        for channel in ("im", "letter"):
            status, reason = await channels.deliver(notice(), channel)
            assert status == "skipped" and channel in reason
        with pytest.raises(PermanentDeliveryError):
            await channels.deliver(notice(), "pigeon")


async def test_routing_customer_and_staff_through_gateway(gateway: Gateway) -> None:
    customer = notice(recipient_role="customer", recipient=PHONE, kind="customer_notice")
    async with Channels(settings(gateway=gateway)) as channels:
        with capture_logs() as logs:
            assert await channels.deliver(customer, "sms") == ("delivered", "gw-1")
            assert await channels.deliver(customer, "phone") == ("delivered", "gw-1")
        assert await channels.deliver(notice(recipient_role="supervisor"), "sms") == (
            "delivered",
            "gw-1",
        )

    sms, call, staff = (r.json() for r in gateway.requests)
    assert (sms["type"], sms["to"]) == ("sms", PHONE)
    assert (call["type"], call["to"]) == ("phone", PHONE)
    assert (staff["type"], staff["to"]) == ("sms", "li.na")
    assert sms["text"].startswith("投诉 T1 联系客户已超时\n请尽快联系客户张伟")
    # One notice on two gateway channels: two distinct idempotency keys.
    keys = [r.headers["idempotency-key"] for r in gateway.requests]
    assert keys == ["complaint-T1:n3:sms", "complaint-T1:n3:phone", "complaint-T1:n3:sms"]
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in gateway.requests)

    assert [e["event"] for e in logs] == ["notice delivered", "notice delivered"]
    assert logs[0]["complaint_id"] == "T1" and logs[0]["key"] == "complaint-T1:n3"
    assert logs[0]["recipient"] == "138****5678"
    assert PHONE not in repr(logs)


async def test_failure_is_logged_and_raised(gateway: Gateway) -> None:
    gateway.status = 503
    customer = notice(recipient_role="customer", recipient=PHONE)
    async with Channels(settings(gateway=gateway)) as channels:
        with capture_logs() as logs, pytest.raises(DeliveryError):
            await channels.deliver(customer, "sms")
    [event] = logs
    assert event["event"] == "notice delivery failed" and event["retryable"] is True
    assert PHONE not in repr(logs)


async def test_a_line_break_in_a_subject_header_or_address_cannot_add_a_header(
    sink: MailSink,
) -> None:
    """Headers are built by the e-mail library under the SMTP policy: text carrying CR LF
    (a customer's name in a subject, a case id) stays in its own header; an address with
    one is no address. The real SMTP sink receives one recipient and no Bcc."""
    channel = EmailChannel(settings(sink))
    await channel.send(
        to="li.na@staff.local",
        subject="投诉 T1\r\nBcc: evil@example.com",
        body="b",
        key="k:1",
        headers={"X-Complaint-Id": "T1\r\nBcc: evil2@example.com\r\n\r\nforged body"},
    )
    [mail] = sink.messages()
    assert mail["Bcc"] is None and mail.get_all("Bcc") is None
    assert mail["Subject"] == "投诉 T1 Bcc: evil@example.com"
    assert mail["X-Complaint-Id"] == "T1 Bcc: evil2@example.com forged body"
    index = (sink.folder / "index.txt").read_text(encoding="utf-8")
    assert index.split("\t")[2] == "li.na@staff.local"  # the envelope: one recipient
    async with Channels(settings(sink)) as channels:
        forged = notice(recipient_role="customer", recipient="nope\r\nBcc: a@b.c")
        assert (await channels.deliver(forged, "email"))[0] == "skipped"
    with pytest.raises(PermanentDeliveryError):
        await channel.send(to="li.na@staff.local\r\nBcc: a@b.c", subject="s", body="b", key="k")
    assert len(sink.messages()) == 1
