"""The desk's settings, from the environment, read once per app (`settings(request)`).

- `COMPLAINTS_DESK_SECRET`: 32 random bytes, base64 (`python -c "import secrets, base64;
  print(base64.b64encode(secrets.token_bytes(32)).decode())"`): the key that encrypts the
  session cookie and derives the CSRF tokens. Every API process behind one address needs the
  same. Unset: a random one per process (sessions end when it restarts; fine for `make run`).
- `COMPLAINTS_DESK_DEV_KEY_FILE`: the launcher's dev API key file (`make run` sets it): the
  sign-in page offers "sign in as the dev user" (the key is read on the server, never sent to
  the browser). Unset in production.
- `COMPLAINTS_TEMPORAL_UI_URL`: the Temporal Web UI's base URL for the case page's link and
  the views (`views.py`; default `http://localhost:8233`).
- `COMPLAINTS_TIME_ZONE`: the zone every time is shown in (default `Asia/Shanghai`, the
  branches' statutory calendar; the staff notices use the same setting).
- `COMPLAINTS_DESK_SESSION_HOURS`: how long a sign-in lasts (default 10).
- `COMPLAINTS_DESK_SECURE_COOKIE`: `1` marks the cookie `Secure` (behind HTTPS; default off so
  that `make run` works on http://127.0.0.1).
- OIDC (`COMPLAINTS_OIDC_*`, `api/oidc.py`): behind a sign-in proxy, the person's access token
  in `X-Forwarded-Access-Token` (docs/desk.md).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request

from api.oidc import OidcVerifier, verifier_from_env
from notices import wording

DEFAULT_UI_URL = "http://localhost:8233"


@dataclass(frozen=True)
class DeskSettings:
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    dev_key_file: Path | None = None
    temporal_ui_url: str = DEFAULT_UI_URL
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(wording.DEFAULT_ZONE))
    session_hours: float = 10.0
    secure_cookie: bool = False
    oidc: OidcVerifier | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeskSettings:
        env = os.environ if environ is None else environ
        raw = env.get("COMPLAINTS_DESK_SECRET", "").strip()
        secret = secrets.token_bytes(32)
        if raw:
            try:
                secret = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("COMPLAINTS_DESK_SECRET must be base64") from None
            if len(secret) < 32:
                raise ValueError("COMPLAINTS_DESK_SECRET must hold at least 32 bytes")
        dev = env.get("COMPLAINTS_DESK_DEV_KEY_FILE", "").strip()
        return cls(
            secret=secret,
            dev_key_file=Path(dev) if dev else None,
            temporal_ui_url=(env.get("COMPLAINTS_TEMPORAL_UI_URL") or DEFAULT_UI_URL).rstrip("/"),
            zone=wording.zone(env.get("COMPLAINTS_TIME_ZONE") or wording.DEFAULT_ZONE),
            session_hours=float(env.get("COMPLAINTS_DESK_SESSION_HOURS") or 10.0),
            secure_cookie=env.get("COMPLAINTS_DESK_SECURE_COOKIE", "") in ("1", "true", "on"),
            oidc=verifier_from_env(env),
        )

    def zone_of(self, branch: str | None) -> ZoneInfo:
        """The zone a branch's times are shown in: every branch works on the one statutory
        calendar's zone (domain/calendar.py), so the setting; the one place to change if
        branches get their own."""
        return self.zone


def settings(request: Request) -> DeskSettings:
    """The app's desk settings: `app.state.desk_settings` if set (tests), else from the
    environment on first use."""
    found: DeskSettings | None = getattr(request.app.state, "desk_settings", None)
    if found is None:
        found = DeskSettings.from_env()
        request.app.state.desk_settings = found
    return found
