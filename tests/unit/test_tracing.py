"""OpenTelemetry tracing is off by default and on with COMPLAINTS_OTEL=1: then every client
that `infra.temporal.connect` makes, and so every worker built on it, carries the SDK's
TracingInterceptor (infra/tracing.py)."""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from infra import tracing
from infra.config import Settings
from infra.temporal import client_options


async def test_no_tracing_interceptor_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPLAINTS_OTEL", raising=False)
    settings = Settings.from_env()
    assert settings.otel is False
    options = client_options(settings)
    assert options["interceptors"] == []
    client = await Client.connect(**options, lazy=True)  # lazy: no server needed
    assert not any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"])


async def test_tracing_interceptor_installed_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_OTEL", "1")
    # No span is made here, so nothing is sent; the exporter would send there.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    settings = Settings.from_env()
    assert settings.otel is True
    options = client_options(settings, service="complaints-worker")
    assert [type(i) for i in options["interceptors"]] == [TracingInterceptor]
    client = await Client.connect(**options, lazy=True)
    assert any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"])
    # The provider is process-wide; FastAPI traces every request once one is set, so stop it
    # here rather than have later tests' requests exported to a collector that is not there.
    tracing.shutdown()
