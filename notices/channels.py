"""Channel adapters: one notice to one transport (email over SMTP, SMS/phone via an HTTP gateway).

Every notice is in the ledger's outbox first; the outbox relay (`notices.relay`) calls
`Channels.deliver` once per channel. An adapter either returns (delivered, or skipped with a
reason) or raises:

* `DeliveryError` (retryable): the transport was unreachable, timed out, or answered with a
  temporary failure (SMTP 4xx, HTTP 5xx / 408 / 409 / 425 / 429). The relay retries it.
* `PermanentDeliveryError`: retrying the same request cannot succeed (SMTP 5xx such as a refused
  recipient, HTTP 4xx, an address that cannot be used). Mark the delivery failed.

Retries are safe where the transport allows it: every request carries an idempotency key derived
from the notice key and the channel (`delivery_key`). The gateway gets it as `Idempotency-Key`
and as `reference`; email gets a `Message-ID` derived from it, so a mail client can recognise a
duplicate that an SMTP retry may produce (SMTP itself has no idempotency).

Customer phone numbers and email addresses never appear in clear in log events or exception
messages: both carry a masked recipient only.
"""

from __future__ import annotations

import email.policy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from types import TracebackType
from typing import Any, Literal, Self

import aiosmtplib
import httpx
import structlog

from domain.notice_models import Notification
from infra.masking import mask_recipient, mask_text
from notices import wording

GatewayKind = Literal["sms", "phone"]
DeliveryStatus = Literal["delivered", "skipped"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Any single addr-spec we can put in To:, and the stricter shape a customer's email must have.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")
_STAFF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# 4xx answers of the gateway that mean "not now" rather than "never".
_RETRYABLE_HTTP = frozenset({408, 409, 425, 429})


# ---------------------------------------------------------------------------------------------
# Errors


class DeliveryError(Exception):
    """A notice could not be handed to its channel. Retryable unless a `PermanentDeliveryError`."""

    retryable: bool = True

    def __init__(
        self,
        message: str,
        *,
        channel: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.channel = channel
        self.status = status  # SMTP reply code or HTTP status, when there was an answer
        self.retry_after = retry_after  # seconds, from the gateway's Retry-After header


class PermanentDeliveryError(DeliveryError):
    """Retrying the same request cannot succeed: mark the delivery failed."""

    retryable = False


# ---------------------------------------------------------------------------------------------
# Settings


def _flag(name: str, value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} must be one of true/false/1/0/yes/no/on/off, not {value!r}")


def _port(name: str, value: str | None, default: int) -> int:
    if value is None or not value.strip():
        return default
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a port number, not {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"{name} must be between 1 and 65535, not {port}")
    return port


@dataclass(frozen=True)
class ChannelSettings:
    smtp_host: str = "localhost"
    smtp_port: int = 8025
    smtp_sender: str = "complaints@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    # None: use STARTTLS when the server offers it; True: require it; False: never.
    smtp_starttls: bool | None = None
    smtp_timeout: float = 10.0
    staff_email_domain: str = "staff.local"
    sms_gateway_url: str | None = None  # None: SMS and phone notices are skipped
    sms_gateway_token: str | None = field(default=None, repr=False)
    gateway_timeout: float = 10.0
    time_zone: str = wording.DEFAULT_ZONE  # staff notices' times (notices/wording.py)
    case_url: str | None = None  # the case page, `{complaint_id}` in it; None: no link

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ChannelSettings:
        e = os.environ if env is None else env
        return cls(
            smtp_host=e.get("COMPLAINTS_SMTP_HOST") or "localhost",
            smtp_port=_port("COMPLAINTS_SMTP_PORT", e.get("COMPLAINTS_SMTP_PORT"), 8025),
            smtp_sender=e.get("COMPLAINTS_SMTP_SENDER") or "complaints@localhost",
            smtp_username=e.get("COMPLAINTS_SMTP_USERNAME") or None,
            smtp_password=e.get("COMPLAINTS_SMTP_PASSWORD") or None,
            smtp_starttls=_flag("COMPLAINTS_SMTP_STARTTLS", e.get("COMPLAINTS_SMTP_STARTTLS")),
            staff_email_domain=e.get("COMPLAINTS_STAFF_EMAIL_DOMAIN") or "staff.local",
            sms_gateway_url=e.get("COMPLAINTS_SMS_GATEWAY_URL") or None,
            sms_gateway_token=e.get("COMPLAINTS_SMS_GATEWAY_TOKEN") or None,
            time_zone=wording.zone(e.get("COMPLAINTS_TIME_ZONE") or wording.DEFAULT_ZONE).key,
            case_url=(
                wording.case_url_template(url) if (url := e.get("COMPLAINTS_CASE_URL")) else None
            ),
        )


# ---------------------------------------------------------------------------------------------
# Helpers


def delivery_key(notice: Notification, channel: str) -> str:
    """The idempotency key of one delivery: one notice may go to the gateway as SMS *and* phone,
    and those two requests must not be taken for replays of each other."""
    return f"{notice.key}:{channel}"


def message_id_for(key: str, domain: str) -> str:
    """A stable RFC 5322 Message-ID for an idempotency key: `<complaint-T1.n3.email@domain>`.

    Colons become dots; any other character outside [A-Za-z0-9_-] becomes `=XX` (its UTF-8
    bytes), so two different keys never share a Message-ID.
    """
    if not key:
        raise ValueError("an idempotency key is required")

    def encode(text: str) -> str:
        return "".join(
            ch if ch in _ID_SAFE else "".join(f"={b:02X}" for b in ch.encode()) for ch in text
        )

    parts = key.split(":")
    left = ".".join(encode(p) for p in parts) if all(parts) else encode(key)
    return f"<{left}@{domain}>"


def _single_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


# ---------------------------------------------------------------------------------------------
# Email


class EmailChannel:
    """Sends one message per call over SMTP (aiosmtplib): connect, send, quit."""

    def __init__(self, settings: ChannelSettings) -> None:
        self._settings = settings
        _, address = parseaddr(settings.smtp_sender)
        domain = address.rpartition("@")[2] if "@" in address else ""
        self._domain = domain or "complaints.local"

    async def send(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        key: str,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Send and return the Message-ID (derived from `key`, so a retry reuses it)."""
        masked = mask_recipient(to)
        if not _ADDRESS.match(to):
            raise PermanentDeliveryError(f"not a usable email address: {masked}", channel="email")
        message_id = message_id_for(key, self._domain)
        # Headers only through the e-mail library, under the SMTP policy: it refuses a CR or
        # LF in any header value, so no text of a notice can add a header (Bcc: ...).
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = self._settings.smtp_sender
        message["To"] = Address(addr_spec=to)
        message["Subject"] = _single_line(subject)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id
        for name, value in (headers or {}).items():
            message[name] = _single_line(value)
        message.set_content(body, charset="utf-8")

        s = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [r.code for r in err.recipients]
            reply = mask_text("; ".join(f"{r.code} {r.message}" for r in err.recipients))
            error_type = PermanentDeliveryError if all(c >= 500 for c in codes) else DeliveryError
            raise error_type(
                f"SMTP server refused recipient {masked}: {reply}",
                channel="email",
                status=codes[0] if codes else None,
            ) from err
        except aiosmtplib.SMTPResponseException as err:
            error_type = PermanentDeliveryError if err.code >= 500 else DeliveryError
            raise error_type(
                f"SMTP {s.smtp_host}:{s.smtp_port} answered {err.code} {mask_text(err.message)}",
                channel="email",
                status=err.code,
            ) from err
        except (aiosmtplib.SMTPException, OSError) as err:
            # Connection refused or dropped, timeouts, STARTTLS/AUTH not offered: retryable.
            raise DeliveryError(
                f"SMTP {s.smtp_host}:{s.smtp_port} failed: {type(err).__name__}: {err}",
                channel="email",
            ) from err
        return message_id


# ---------------------------------------------------------------------------------------------
# SMS / phone gateway


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: let the caller's backoff decide


class HttpGateway:
    """POSTs SMS and phone (voice) notices as JSON to one HTTP gateway; one pooled client."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
        )

    async def send(self, *, kind: GatewayKind, to: str, text: str, key: str) -> str:
        """Return the gateway's message id (`id` of the JSON answer) or its status text."""
        masked = mask_recipient(to)
        payload = {"type": kind, "to": to, "text": text, "reference": key}
        try:
            response = await self._client.post(
                self.url, json=payload, headers={"Idempotency-Key": key}
            )
        except httpx.TimeoutException as err:
            raise DeliveryError(
                f"gateway timed out ({type(err).__name__}) sending {kind} to {masked}",
                channel=kind,
            ) from err
        except httpx.TransportError as err:
            raise DeliveryError(
                f"gateway unreachable ({type(err).__name__}: {err}) sending {kind} to {masked}",
                channel=kind,
            ) from err

        status = response.status_code
        if response.is_success:
            return self._message_id(response)
        reason = f"{status} {response.reason_phrase}".strip()
        # The answer may echo the number back: it goes into logs and Temporal failures masked.
        detail = mask_text(_single_line(response.text[:200]))
        message = f"gateway answered {reason} for {kind} to {masked}" + (
            f": {detail}" if detail else ""
        )
        if status >= 500 or status in _RETRYABLE_HTTP:
            raise DeliveryError(
                message, channel=kind, status=status, retry_after=_retry_after(response)
            )
        # 4xx, and 1xx/3xx (a misconfigured URL): the same request will not succeed later.
        raise PermanentDeliveryError(message, channel=kind, status=status)

    @staticmethod
    def _message_id(response: httpx.Response) -> str:
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("id") not in (None, ""):
            return str(data["id"])
        return f"{response.status_code} {response.reason_phrase}".strip()

    async def aclose(self) -> None:
        await self._client.aclose()


# ---------------------------------------------------------------------------------------------
# Routing


class Channels:
    """Resolves a notice's recipient per channel and hands it to the matching adapter."""

    def __init__(self, settings: ChannelSettings | None = None) -> None:
        self.settings = settings or ChannelSettings.from_env()
        self.email = EmailChannel(self.settings)
        self.gateway: HttpGateway | None = (
            HttpGateway(
                self.settings.sms_gateway_url,
                token=self.settings.sms_gateway_token,
                timeout=self.settings.gateway_timeout,
            )
            if self.settings.sms_gateway_url
            else None
        )
        self._log = structlog.get_logger("channels")
        self._zone = wording.zone(self.settings.time_zone)

    @classmethod
    def from_env(cls) -> Channels:
        return cls(ChannelSettings.from_env())

    async def deliver(self, notice: Notification, channel: str) -> tuple[DeliveryStatus, str]:
        """Deliver `notice` on `channel`: ("delivered", provider id) or ("skipped", reason).

        Raises `DeliveryError` (retry) or `PermanentDeliveryError` (mark failed).
        """
        customer = notice.recipient_role == "customer"
        log = self._log.bind(
            complaint_id=notice.complaint_id,
            key=notice.key,
            kind=notice.kind.value,
            channel=channel,
            recipient_role=notice.recipient_role,
            recipient=mask_recipient(notice.recipient) if customer else notice.recipient,
        )
        try:
            status, provider_id = await self._deliver(notice, channel, customer)
        except DeliveryError as err:
            log.warning(
                "notice delivery failed", error=str(err), retryable=err.retryable, status=err.status
            )
            raise
        if status == "delivered":
            log.info("notice delivered", provider_id=provider_id)
        else:
            log.info("notice skipped", reason=provider_id)
        return status, provider_id

    async def _deliver(
        self, notice: Notification, channel: str, customer: bool
    ) -> tuple[DeliveryStatus, str]:
        key = delivery_key(notice, channel)
        subject, body = wording.for_recipient(notice, self._zone, self.settings.case_url)
        if channel == "email":
            address = self.email_address(notice)
            if address is None:
                return "skipped", "customer has no email address (recipient is not one)"
            message_id = await self.email.send(
                to=address,
                subject=subject,
                body=body,
                key=key,
                headers={
                    "X-Complaint-Id": notice.complaint_id,
                    "X-Notice-Kind": notice.kind.value,
                },
            )
            return "delivered", message_id
        if channel in ("sms", "phone"):
            if self.gateway is None:
                return "skipped", f"no {channel} gateway configured (COMPLAINTS_SMS_GATEWAY_URL)"
            kind: GatewayKind = "sms" if channel == "sms" else "phone"
            text = f"{subject}\n{body}" if subject else body
            # Customers: the recipient is their phone number. Staff: the user id, which the
            # gateway resolves to the person's number.
            provider_id = await self.gateway.send(
                kind=kind, to=notice.recipient, text=text, key=key
            )
            return "delivered", provider_id
        if channel in ("im", "letter"):
            return "skipped", f"no adapter for channel {channel!r} yet"
        raise PermanentDeliveryError(f"unknown channel {channel!r}", channel=channel)

    def email_address(self, notice: Notification) -> str | None:
        """The address an email for `notice` goes to, or None when there is none."""
        recipient = notice.recipient.strip()
        if notice.recipient_role == "customer":
            return recipient if _EMAIL.match(recipient) else None
        if "@" in recipient:
            return recipient  # already a full staff address
        if not _STAFF_ID.match(recipient):
            raise PermanentDeliveryError(
                f"staff user id {recipient!r} cannot be turned into an email address",
                channel="email",
            )
        return f"{recipient}@{self.settings.staff_email_domain}"

    async def aclose(self) -> None:
        if self.gateway is not None:
            await self.gateway.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
