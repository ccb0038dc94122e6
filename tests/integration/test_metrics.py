"""Metrics (infra/README.md, "Metrics"): a deadline passes on the time-skipping server and the
worker's `/metrics`, served on a real port, shows the breach counted once with its lateness,
the case open in its stage and grade, and the outbox's backlog; the relay counts failed
deliveries by channel and outcome; the API counts its requests by route template at its own
`/metrics`, which needs no API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from infra import metrics
from ledger.outbox import enqueue
from notices.channels import DeliveryError, PermanentDeliveryError
from notices.relay import OutboxRelay
from tests.harness import Harness, eventually
from tests.integration.test_outbox import CountingSender, notice
from workers import ComplaintsWorker, build_worker, endpoints


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by name and labels."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def value(
    scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def worker(bare_harness: Harness) -> AsyncIterator[ComplaintsWorker]:
    h = bare_harness
    w = build_worker(
        h.client, pool=h.pool, task_queue=h.task_queue, sender=h.notifier, policy_source=h.policy
    )
    async with w:
        yield w


async def test_breach_counted_once_with_its_lateness_at_the_workers_metrics(
    bare_harness: Harness, worker: ComplaintsWorker
) -> None:
    h = bare_harness
    app = endpoints.create_app(h.client, worker, sdk_metrics=None)
    async with (
        endpoints.serving(app, "127.0.0.1", 0) as port,  # 0: any free port
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):

        async def scrape() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
            answer = await http.get("/metrics")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
            return samples(answer.text)

        # Counters live in this test process (other tests may have counted before): deltas.
        before = await scrape()
        handle = await h.start()
        clock = (await h.state(handle)).clock("stage:contact")
        assert clock is not None

        async def acknowledged() -> bool:
            return bool(await h.pool.fetchval("SELECT count(*) FROM complaints") == 1)

        await eventually(acknowledged, what="the case in the ledger")
        opened = await scrape()
        assert value(opened, "complaints_open_cases", stage="contact", grade="general") == 1
        assert value(opened, "complaints_outbox_pending") >= 0
        assert value(opened, "complaints_outbox_oldest_pending_age_seconds") >= 0

        await h.sleep_until(clock.due_at)  # time skipping: the contact deadline passes

        async def breached() -> bool:
            return bool(await h.pool.fetchval("SELECT count(*) FROM sla_breaches") == 1)

        await eventually(breached, what="the breach in the ledger")
        after = await scrape()
        for name in (
            "complaints_breaches_recorded_total",
            "complaints_breach_lateness_seconds_count",
        ):
            gained = value(after, name, kind="stage") - value(before, name, kind="stage")
            assert gained == 1, name
        # Recorded at the deadline in test time, which runs ahead of the wall clock: lateness 0.
        gained_sum = value(after, "complaints_breach_lateness_seconds_sum", kind="stage") - value(
            before, "complaints_breach_lateness_seconds_sum", kind="stage"
        )
        assert gained_sum == 0
        # The acknowledgement went out through the outbox and the relay counted it.
        sms = {"channel": "sms", "status": "delivered"}

        async def sent() -> bool:
            name = "complaints_notice_deliveries_total"
            return value(await scrape(), name, **sms) - value(before, name, **sms) >= 1

        await eventually(sent, what="the acknowledgement counted by the relay")
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"worker": "ok", "temporal": "ok", "postgres": "ok"}


async def test_readiness_fails_once_the_worker_is_shutting_down(
    bare_harness: Harness, worker: ComplaintsWorker
) -> None:
    app = endpoints.create_app(bare_harness.client, worker, sdk_metrics=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as http:

        async def ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        await eventually(ready, what="the worker polling")
        await worker.shutdown()
        answer = await http.get("/readyz")
        assert answer.status_code == 503 and answer.json()["worker"] == "shutting down"
        assert (await http.get("/healthz")).status_code == 200


async def test_api_counts_requests_by_route_template_and_serves_metrics_without_a_key(
    harness: Harness,
) -> None:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    key = await create_key(harness.pool, "audit", [Role.AUDITOR])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        route = "/v1/complaints/{complaint_id}"
        labels = {"method": "GET", "route": route, "status": "404"}
        before = samples((await http.get("/metrics")).text)
        for _ in range(2):
            missing = await http.get(
                "/v1/complaints/C-NOT-THERE", headers={"Authorization": f"Bearer {key}"}
            )
            assert missing.status_code == 404
        answer = await http.get("/metrics")  # no Authorization header
        assert answer.status_code == 200
        after = samples(answer.text)
        gained = value(after, "complaints_api_requests_total", **labels) - value(
            before, "complaints_api_requests_total", **labels
        )
        assert gained == 2
        timed = {"method": "GET", "route": route}
        count = "complaints_api_request_duration_seconds_count"
        assert value(after, count, **timed) - value(before, count, **timed) == 2
        assert "C-NOT-THERE" not in answer.text  # templates, never ids


async def test_delivery_failures_counted_by_channel_and_outcome(pool: asyncpg.Pool) -> None:
    sender = CountingSender(
        {
            "sms": DeliveryError("gateway 503", channel="sms"),
            "email": PermanentDeliveryError("no such user", channel="email"),
        }
    )
    before = samples(metrics.exposition(metrics.WORKER).decode())
    relay = OutboxRelay(pool, sender, first_backoff=timedelta(milliseconds=50))
    async with relay.running():
        async with pool.acquire() as conn:
            await enqueue(conn, [notice(1)])  # on sms and email

        async def settled() -> bool:
            rows = await pool.fetch("SELECT channel, status FROM notifications")
            return {(r["channel"], r["status"]) for r in rows} == {
                ("sms", "delivered"),  # after one retry
                ("email", "failed"),  # refused for good
            }

        await eventually(settled, what="the retry and the refusal recorded")
    after = samples(metrics.exposition(metrics.WORKER).decode())

    def gained(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    failures = "complaints_notice_delivery_failures_total"
    assert gained(failures, channel="sms", outcome="retry") == 1
    assert gained(failures, channel="email", outcome="failed") == 1
    deliveries = "complaints_notice_deliveries_total"
    assert gained(deliveries, channel="sms", status="delivered") == 1
