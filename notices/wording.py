"""How a notice reads to staff when it goes out: every time in the branches' zone to the minute,
and a link to the case.

The case words its notices (`domain/notices.py`) with exact instants (`2026-12-08T10:30:00.123456
+08:00`, some in UTC); those words are recorded in the case's history and in the outbox as they
are. They are reworded here, at send time, from what the outbox row holds: nothing recorded
changes (running cases replay as before), and a notice queued before this release reads like a
new one. Customers' notices name days, not instants (R-IN-4), and go out as worded; only the
insurer's own people get the link to the case page.
"""

from __future__ import annotations

import re
import string
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.notice_models import Notification

# The zone of the statutory working-time calendar every branch works on (domain/calendar.py).
DEFAULT_ZONE = "Asia/Shanghai"
# Who works inside the insurer and may open the case page (the regulator gets no link).
STAFF_ROLES = frozenset({"owner", "supervisor", "superior", "headquarters", "first_receiver"})
# An instant that names its offset (naive times are left alone: their zone is unknown).
_INSTANT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)


def zone(name: str, setting: str = "COMPLAINTS_TIME_ZONE") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{setting} must be a time zone such as Asia/Shanghai, not {name!r}"
        ) from None


def case_url_template(value: str, setting: str = "COMPLAINTS_CASE_URL") -> str:
    """An http(s) URL with `{complaint_id}` in it (and no other placeholder)."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{setting} must be an http(s) URL, not {value!r}")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as err:
        raise ValueError(f"{setting}: {err} in {value!r}") from None
    if fields != {"complaint_id"}:
        raise ValueError(
            f"{setting} must hold {{complaint_id}} and no other placeholder, not {value!r}"
        )
    return value


def local_minutes(text: str, tz: ZoneInfo) -> str:
    """Each instant in `text` in zone `tz`, to the minute: `2026-12-08 10:30 (Asia/Shanghai)`."""

    def local(match: re.Match[str]) -> str:
        try:
            instant = datetime.fromisoformat(match.group(0))
        except ValueError:
            return match.group(0)
        return f"{instant.astimezone(tz):%Y-%m-%d %H:%M} ({tz.key})"

    return _INSTANT.sub(local, text)


def case_link(template: str, complaint_id: str) -> str:
    return template.format(complaint_id=quote(complaint_id, safe=""))


def for_recipient(notice: Notification, tz: ZoneInfo, case_url: str | None) -> tuple[str, str]:
    """The subject and body `notice` goes out with."""
    if notice.recipient_role == "customer":
        return notice.subject, notice.body
    subject, body = local_minutes(notice.subject, tz), local_minutes(notice.body, tz)
    if case_url and notice.recipient_role in STAFF_ROLES:
        body = f"{body}\n\nCase: {case_link(case_url, notice.complaint_id)}"
    return subject, body
