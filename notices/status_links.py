"""The customer's status link in the notices that carry it (R-CU-2), added at send time.

The acknowledgement (R-IN-4) and the notice of a re-issued link carry the link to the case's
status page. The case records its notices without it (the token must never be in a workflow's
history or the outbox), so the link is added here, between the relay and the channel, from the
server's secret: `LinkingSender` wraps the relay's `Sender`, asks the ledger for the case's live
link (issuing the first one when the acknowledgement goes out, `ledger.status_links`) and hands
on the notice with the link in its body. A revoked case's notice goes out without one.

A later rendering of customer notices from templates takes the same URL from `status_url`
(one call, no other state), so a template can place it where its words need it.
"""

from __future__ import annotations

import asyncpg

from domain.notice_models import NoticeKind, Notification
from infra.config import Settings
from infra.postgres import Connection
from ledger import status_links
from notices.channels import DeliveryError, DeliveryStatus
from notices.relay import Sender

# The line that carries the link, in the customer's language (R-CU-1: Chinese unless chosen).
LINK_LINES = {"zh": "查看处理进度：{url}", "en": "See how your complaint is going: {url}"}


class StatusLinks:
    """Where the status page is and the secret its tokens come from."""

    def __init__(self, base_url: str, secret: bytes) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> StatusLinks | None:
        """None unless both the page's URL and the secret are set (infra/config.py)."""
        if settings.status_url is None or settings.status_secret is None:
            return None
        return cls(settings.status_url, settings.status_secret)

    def url(self, token: str) -> str:
        return f"{self.base_url}/{token}"

    async def status_url(self, conn: Connection, complaint_id: str) -> str | None:
        """The URL of the case's live link (the first one issued now if it has none); None
        when its links were revoked."""
        token = await status_links.link_to_send(conn, self._secret, complaint_id)
        return None if token is None else self.url(token)


def carries_link(notice: Notification) -> bool:
    """The customer's acknowledgement, and the notice of a re-issued link."""
    if notice.recipient_role != "customer":
        return False
    reissued = notice.key.startswith(f"{status_links.REISSUE_KEY}:")
    return notice.kind is NoticeKind.ACKNOWLEDGEMENT or reissued


def with_link(notice: Notification, url: str) -> Notification:
    line = LINK_LINES[notice.words.language if notice.words is not None else "zh"]
    return notice.model_copy(update={"body": f"{notice.body}\n{line.format(url=url)}"})


class LinkingSender:
    """A `Sender` that adds the status link to the notices that carry it, then delivers
    through `inner`. A ledger that cannot be reached is a retryable delivery error: the notice
    is not sent without the link it should carry."""

    def __init__(self, inner: Sender, pool: asyncpg.Pool, links: StatusLinks) -> None:
        self._inner = inner
        self._pool = pool
        self._links = links

    async def deliver(self, notice: Notification, channel: str) -> tuple[DeliveryStatus, str]:
        if carries_link(notice):
            try:
                async with self._pool.acquire() as conn:
                    url = await self._links.status_url(conn, notice.complaint_id)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                raise DeliveryError(
                    f"status link not available: {type(err).__name__}", channel=channel
                ) from err
            if url is not None:
                notice = with_link(notice, url)
        return await self._inner.deliver(notice, channel)
