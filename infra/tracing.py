"""OpenTelemetry tracing, off by default (`COMPLAINTS_OTEL=1` turns it on).

When on, every Temporal client made by `infra.temporal.connect` carries the SDK's
`temporalio.contrib.opentelemetry.TracingInterceptor`, and so does every worker built on such
a client: starting a workflow, an update, a signal, a query, a workflow task and an activity
each make a span, and the trace context travels in Temporal headers from the API's request
into the workflow and its activities. Spans go by OTLP over HTTP to the collector named by
the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, default http://localhost:4318;
`OTEL_EXPORTER_OTLP_HEADERS`, ...); the service name is `OTEL_SERVICE_NAME` if set, else the
process's role (`complaints-worker`, `complaints-api`).

The OpenTelemetry packages are imported only when tracing is on.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from temporalio.client import Interceptor

_lock = threading.Lock()
_configured = False
_provider: Any = None  # the TracerProvider this process installed, if any


def configure(service_name: str) -> None:
    """Install a tracer provider exporting by OTLP/HTTP, once per process."""
    global _configured
    with _lock:
        if _configured:
            return
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name}
        provider = TracerProvider(resource=Resource.create(attributes))  # flushed at exit
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        global _provider
        _provider = provider
        _configured = True


def shutdown() -> None:
    """Send the spans still batched and stop exporting (OpenTelemetry's global provider is
    set once per process, so tracing stays off in this process afterwards)."""
    with _lock:
        if _provider is not None:
            _provider.shutdown()


def interceptors(enabled: bool, service_name: str) -> list[Interceptor]:
    """The client interceptors for tracing: none when off."""
    if not enabled:
        return []
    configure(service_name)
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]
