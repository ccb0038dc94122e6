"""The application's Prometheus metrics, defined in one place (infra/README.md, "Metrics").

Two registries: `WORKER` (served on the worker's port, 9400: the ledger gauges, breaches,
deliveries) and `API` (served by the API at `/metrics`: requests). Each also carries the
process collectors (CPU, memory, open files, GC). Neither holds customer data: labels are
stages, grades, clock kinds, channels, routes and status codes.

Counters count in the process that did the work (the worker whose ledger write inserted the
breach, the relay that sent the notice): sum them over processes. The ledger gauges are read
from PostgreSQL when scraped, so every worker reports the same figure: take max, not sum.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series per counter

WORKER = CollectorRegistry()
API = CollectorRegistry()
for _registry in (WORKER, API):
    ProcessCollector(registry=_registry)
    PlatformCollector(registry=_registry)
    GCCollector(registry=_registry)

# --- the worker: read from the ledger at scrape time ----------------------------------------

OPEN_CASES = Gauge(
    "complaints_open_cases",
    "Complaints in the ledger not closed or withdrawn, by stage and grade",
    ["stage", "grade"],
    registry=WORKER,
)
OUTBOX_PENDING = Gauge(
    "complaints_outbox_pending",
    "Notices (one per channel) waiting in the outbox to be sent or retried",
    registry=WORKER,
)
ORPHANED_CASES = Gauge(
    "complaints_orphaned_cases",
    "Cases open in the ledger whose workflow no longer runs, by what Temporal said (terminated, "
    "reset, timed_out, failed, canceled, completed, not_found): marked by the reconciliation",
    ["status"],
    registry=WORKER,
)
OUTBOX_OLDEST_AGE = Gauge(
    "complaints_outbox_oldest_pending_age_seconds",
    "Age of the oldest notice still pending in the outbox (0 when none is)",
    registry=WORKER,
)

# --- the worker: counted where it happens ---------------------------------------------------

BREACHES = Counter(
    "complaints_breaches_recorded",
    "SLA breaches this process recorded in the ledger, by clock kind (stage, regulatory, crisis)",
    ["kind"],
    registry=WORKER,
)
BREACH_LATENESS = Histogram(
    "complaints_breach_lateness_seconds",
    "From a breach's due instant to the commit of the ledger record holding it",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=WORKER,
)
DELIVERIES = Counter(
    "complaints_notice_deliveries",
    "Notices the outbox relay handed to a channel, by channel and result (delivered, skipped)",
    ["channel", "status"],
    registry=WORKER,
)
DELIVERY_FAILURES = Counter(
    "complaints_notice_delivery_failures",
    "Failed delivery attempts by channel; outcome retry (tried again later) or failed (given up)",
    ["channel", "outcome"],
    registry=WORKER,
)
SDK_METRICS_UP = Gauge(
    "complaints_sdk_metrics_up",
    "1 if the Temporal SDK's own metrics were read for this scrape, else 0",
    registry=WORKER,
)

# --- the API --------------------------------------------------------------------------------

API_REQUESTS = Counter(
    "complaints_api_requests",
    "HTTP requests answered by the API, by method, route template and status code",
    ["method", "route", "status"],
    registry=API,
)
API_LATENCY = Histogram(
    "complaints_api_request_duration_seconds",
    "Time to answer an HTTP request of the API, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=API,
)

# R-SLA-11: set at start-up (activities/calendar_years.py): for each year entered by hand that
# the calendar library now ships too, how many days the two disagree on (0: they agree).
CALENDAR_DIFFERENCES = Gauge(
    "complaints_calendar_library_differences",
    "Days on which the calendar library's data differs from the arrangement entered by hand",
    ["year"],
    registry=API,
)


def clock_kind(clock_key: str) -> str:
    """`stage:contact` → `stage`, `regulatory` → `regulatory`, `crisis:superior` → `crisis`."""
    return clock_key.partition(":")[0]


def breach_recorded(clock_key: str, due_at: datetime, committed_at: datetime) -> None:
    """One breach newly in the ledger. Lateness below zero (a time-skipping test server, whose
    clock runs ahead of the wall clock, or clock skew) counts as 0."""
    kind = clock_kind(clock_key)
    BREACHES.labels(kind=kind).inc()
    BREACH_LATENESS.labels(kind=kind).observe(max(0.0, (committed_at - due_at).total_seconds()))


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(registry)
