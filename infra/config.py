"""Configuration from the environment (contract: Configuration)."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    temporal_address: str | None = None  # None: Temporal's own config profile / default
    temporal_namespace: str | None = None
    # workflows.contract.TASK_QUEUE, which infra (below it) cannot import; tests/test_contract.py
    # holds the two equal.
    task_queue: str = "complaints"
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "data")
    log_format: str = "console"  # "json" in production
    clock_speed: float = 1.0  # demo only: working time runs this many times faster
    workflow_sandbox: bool = True  # off: faster starts, no runtime guard (docs/deployment.md)
    # The worker's own HTTP server: /healthz, /readyz, /metrics (0: any free port).
    worker_http_host: str = "0.0.0.0"
    worker_http_port: int = 9400
    # The SDK's Prometheus exporter ("host:port"); None: a free loopback port. The worker's
    # /metrics appends what it serves (infra/README.md, "Metrics").
    sdk_metrics_address: str | None = None
    # After SIGTERM: how long running activities may finish before they are cancelled.
    worker_shutdown_grace: float = 30.0
    # A notice claimed by a relay that died is sent again after this many seconds.
    outbox_lease: float = 300.0
    otel: bool = False  # OpenTelemetry tracing (TracingInterceptor, OTLP export)
    # Workflow cache and task settings for a large open book (docs/benchmarks.md). A case
    # woken outside the cache is replayed first; each cached case costs memory.
    max_cached_workflows: int = 1000  # the SDK's default
    sticky_timeout_seconds: float = 10.0  # the SDK's sticky schedule-to-start timeout
    # Workflow tasks run at once (and the threads running them); None: the SDK's (100 / 500).
    max_concurrent_workflow_tasks: int | None = None
    # An intake's received_at may lie this many days back at most (docs/input.md).
    intake_horizon_days: int = 365
    # R-IN-9: evidence files a case or an appeal may take: at most this size, of these types.
    evidence_max_bytes: int = 10 * 1024 * 1024
    evidence_media_types: tuple[str, ...] = (
        "application/pdf",
        "image/jpeg",
        "image/png",
        "audio/mpeg",
        "audio/mp4",
        "audio/wav",
        "text/plain",
        # Word and Excel (Office Open XML; infra/evidence_files.py lists every type possible)
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # R-CU-2: the customer's status page (docs/status-page.md). Its base URL (the token is
    # appended: `<url>/<token>`) and the secret its tokens are derived from; without both the
    # acknowledgement carries no link. The page shows `status_contact` as the way to reach the
    # handler's team, dates in `time_zone`, and answers each client at most `status_burst`
    # requests at once, then `status_rate_per_minute`.
    status_url: str | None = None
    status_secret: bytes | None = field(default=None, repr=False)
    status_contact: str = ""
    status_burst: int = 20
    status_rate_per_minute: float = 30.0
    time_zone: str = "Asia/Shanghai"
    # R-CU-1: the letterhead of the printable decision letter (docs/customer-notices.md): the
    # company's name and postal address; its hotline is `status_contact`.
    letter_company: str = ""
    letter_address: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            temporal_address=env.get("TEMPORAL_ADDRESS") or None,
            temporal_namespace=env.get("TEMPORAL_NAMESPACE") or None,
            task_queue=env.get("COMPLAINTS_TASK_QUEUE") or cls.task_queue,
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("COMPLAINTS_DATA_DIR") or PROJECT_ROOT / "data"),
            log_format=env.get("COMPLAINTS_LOG_FORMAT") or "console",
            clock_speed=float(env.get("COMPLAINTS_CLOCK_SPEED") or 1.0),
            workflow_sandbox=env.get("COMPLAINTS_WORKFLOW_SANDBOX", "on").lower()
            not in ("off", "false", "0"),
            worker_http_host=env.get("COMPLAINTS_WORKER_HTTP_HOST") or cls.worker_http_host,
            worker_http_port=int(env.get("COMPLAINTS_WORKER_HTTP_PORT") or cls.worker_http_port),
            sdk_metrics_address=env.get("COMPLAINTS_SDK_METRICS_ADDRESS") or None,
            worker_shutdown_grace=float(
                env.get("COMPLAINTS_WORKER_SHUTDOWN_GRACE") or cls.worker_shutdown_grace
            ),
            outbox_lease=float(env.get("COMPLAINTS_OUTBOX_LEASE") or cls.outbox_lease),
            otel=env.get("COMPLAINTS_OTEL", "").lower() in ("1", "true", "yes", "on"),
            max_cached_workflows=int(
                env.get("COMPLAINTS_MAX_CACHED_WORKFLOWS") or cls.max_cached_workflows
            ),
            sticky_timeout_seconds=float(
                env.get("COMPLAINTS_STICKY_TIMEOUT_SECONDS") or cls.sticky_timeout_seconds
            ),
            max_concurrent_workflow_tasks=int(env["COMPLAINTS_MAX_CONCURRENT_WORKFLOW_TASKS"])
            if env.get("COMPLAINTS_MAX_CONCURRENT_WORKFLOW_TASKS")
            else None,
            intake_horizon_days=int(
                env.get("COMPLAINTS_INTAKE_HORIZON_DAYS") or cls.intake_horizon_days
            ),
            evidence_max_bytes=int(
                env.get("COMPLAINTS_EVIDENCE_MAX_BYTES") or cls.evidence_max_bytes
            ),
            evidence_media_types=tuple(
                t.strip().lower()
                for t in (env.get("COMPLAINTS_EVIDENCE_TYPES") or "").split(",")
                if t.strip()
            )
            or cls.evidence_media_types,
            letter_company=(env.get("COMPLAINTS_LETTER_COMPANY") or "").strip(),
            letter_address=(env.get("COMPLAINTS_LETTER_ADDRESS") or "").strip(),
            **_status_page(env),
        )


MIN_STATUS_SECRET = 32  # bytes: as strong as the 256-bit tokens derived from it


class _StatusPage(TypedDict):
    status_url: str | None
    status_secret: bytes | None
    status_contact: str
    status_burst: int
    status_rate_per_minute: float
    time_zone: str


def _status_page(env: Mapping[str, str]) -> _StatusPage:
    """The status page's settings (`Settings.status_*`), each refused with its name when
    wrong; a base URL without a secret too (it would send links nobody can open)."""
    url = (env.get("COMPLAINTS_STATUS_URL") or "").strip() or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError(f"COMPLAINTS_STATUS_URL must be an http(s) URL, not {url!r}")
    inline = (env.get("COMPLAINTS_STATUS_SECRET") or "").strip()
    file = (env.get("COMPLAINTS_STATUS_SECRET_FILE") or "").strip()
    if inline and file:
        raise ValueError("set COMPLAINTS_STATUS_SECRET or COMPLAINTS_STATUS_SECRET_FILE, not both")
    name = "COMPLAINTS_STATUS_SECRET" if inline else f"COMPLAINTS_STATUS_SECRET_FILE ({file})"
    if file:
        try:
            inline = Path(file).read_text().strip()
        except OSError as err:
            raise ValueError(f"cannot read {name}: {err}") from None
    secret = status_secret(inline, name) if inline else None
    if url is not None and secret is None:
        raise ValueError(
            "COMPLAINTS_STATUS_URL is set but no secret is (COMPLAINTS_STATUS_SECRET or "
            "COMPLAINTS_STATUS_SECRET_FILE)"
        )
    zone = env.get("COMPLAINTS_TIME_ZONE") or Settings.time_zone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"COMPLAINTS_TIME_ZONE must be a time zone such as Asia/Shanghai, not {zone!r}"
        ) from None
    burst = int(env.get("COMPLAINTS_STATUS_BURST") or Settings.status_burst)
    rate = float(env.get("COMPLAINTS_STATUS_RATE_PER_MINUTE") or Settings.status_rate_per_minute)
    if burst < 1 or rate <= 0:
        raise ValueError("COMPLAINTS_STATUS_BURST and _RATE_PER_MINUTE must be positive")
    return {
        "status_url": url.rstrip("/") if url else None,
        "status_secret": secret,
        "status_contact": (env.get("COMPLAINTS_STATUS_CONTACT") or "").strip(),
        "status_burst": burst,
        "status_rate_per_minute": rate,
        "time_zone": zone,
    }


def status_secret(text: str, name: str = "COMPLAINTS_STATUS_SECRET") -> bytes:
    """The status links' secret from its base64 text (standard or URL-safe alphabet)."""
    try:
        normal = text.replace("-", "+").replace("_", "/")
        secret = base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} must be base64") from None
    if len(secret) < MIN_STATUS_SECRET:
        raise ValueError(f"{name} must hold at least {MIN_STATUS_SECRET} bytes, not {len(secret)}")
    return secret


def new_status_secret() -> str:
    """A fresh secret for the status links, as base64 text."""
    return base64.urlsafe_b64encode(os.urandom(MIN_STATUS_SECRET)).decode()
