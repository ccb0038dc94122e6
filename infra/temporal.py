"""Connecting to Temporal with Temporal's own client configuration.

`temporalio.envconfig` reads the standard profile file and TEMPORAL_* variables (address,
namespace, TLS, API key), so the same code reaches the dev server, a self-hosted cluster or
Temporal Cloud. Payloads are pydantic models, converted by the SDK's pydantic converter, and
encrypted (`infra/codec.py`) when codec keys are configured.
"""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import Iterable
from typing import Any

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.envconfig import ClientConfig
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from infra import tracing
from infra.codec import CodecError, KeyRing, data_converter
from infra.config import Settings


async def connect(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    service: str = "complaints",
) -> Client:
    """A client for the worker, the API and the demo (all connect through here).

    `runtime`: the process's Temporal runtime, for the worker's SDK metrics
    (`metrics_runtime`); None: one runtime per process without metrics, whose core logs go
    through `core_logging` as the worker's do (`logging_runtime`). With
    `COMPLAINTS_OTEL=1` the client traces (`infra.tracing`), as `service` in the traces.

    Payloads (workflow and activity inputs and results, updates, queries, memos, static
    summaries) are encrypted by `infra.codec.EncryptionCodec` with the key ring configured
    in the environment (`COMPLAINTS_CODEC_KEYS` or `COMPLAINTS_CODEC_KEYS_FILE`, and
    `COMPLAINTS_CODEC_ACTIVE_KEY`; `KeyRing.from_env`). Keys are required: without them
    customer data would sit readable in Temporal, and the identity sealed into an action
    could not be told from one typed by hand (infra/codec.py), so `CodecError` says how to
    configure them; so does a wrong configuration. Every process reading or writing the same
    histories needs the same ring.
    """
    settings = settings or Settings.from_env()
    ring = KeyRing.from_env()
    if ring is None:
        raise CodecError(
            "no codec keys configured: set COMPLAINTS_CODEC_KEYS or COMPLAINTS_CODEC_KEYS_FILE "
            "(make run makes data/codec-keys.json; infra/README.md: Encryption keys)"
        )
    options = client_options(settings, service=service)
    options["runtime"] = runtime or logging_runtime()
    return await Client.connect(**options, data_converter=data_converter(ring))


@functools.cache
def logging_runtime() -> Runtime:
    """A Temporal runtime (one per process) without metrics, its core's logs forwarded."""
    return Runtime(telemetry=TelemetryConfig(logging=core_logging()))


def client_options(settings: Settings, *, service: str = "complaints") -> dict[str, Any]:
    """`Client.connect`'s options but the converter: Temporal's client configuration
    (profile file, TEMPORAL_* variables), our address and namespace over it, and the tracing
    interceptor when `settings.otel` (a worker built on the client inherits it)."""
    options: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    if settings.temporal_address:
        options["target_host"] = settings.temporal_address
    if settings.temporal_namespace:
        options["namespace"] = settings.temporal_namespace
    options.setdefault("target_host", "localhost:7233")
    options["interceptors"] = tracing.interceptors(settings.otel, service)
    return options


def metrics_runtime(address: str | None = None) -> tuple[Runtime, str]:
    """A Temporal runtime whose SDK metrics (`temporal_*`: polls, task latencies, slots,
    cache, requests) are served in Prometheus' text format at http://<address>/metrics, and
    that address. None: a free port on 127.0.0.1 (the worker's /metrics reads it there, so
    only this machine needs to reach it). A runtime is process-wide: make one, before the
    client, and pass it to `connect`. The core's own logs go through `core_logging`."""
    for attempt in range(3):
        bind = address or _free_loopback_address()
        try:
            config = TelemetryConfig(
                metrics=PrometheusConfig(bind_address=bind), logging=core_logging()
            )
            return Runtime(telemetry=config), bind
        except ValueError:  # "Address already in use": taken since it was found free
            if address or attempt == 2:
                raise
    raise AssertionError("unreachable")


CORE_LOGGER = "temporalio.core"


def core_logging() -> LoggingConfig:
    """The Temporal core's warnings and errors (a slow or failed workflow task, a poll error),
    forwarded to the standard library's logger `temporalio.core`, so `infra.logs` renders them
    as it renders ours (JSON in production). The SDK's default writes them to stdout as coloured
    console lines from the core's own thread, which then blocks if stdout does: a pipe nobody
    reads stalled a whole worker in bench/open_book.py (docs/benchmarks.md)."""
    return LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger(CORE_LOGGER)),
    )


def _free_loopback_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


async def register_search_attributes(
    client: Client, keys: Iterable[SearchAttributeKey[Any]]
) -> None:
    """Register custom search attributes on the client's namespace (idempotent); callers pass
    the contract's (`workflows.search_attributes.ALL`).

    The dev launcher passes them to `temporal server start-dev` instead; this is for the
    time-skipping test server and for clusters (`infra/README.md` shows the CLI way).
    """
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
    from temporalio.service import RPCError, RPCStatusCode

    wanted = {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in keys}
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=wanted)
        )
    except RPCError as err:
        if err.status is not RPCStatusCode.ALREADY_EXISTS:
            raise


def cli_flags(keys: Iterable[SearchAttributeKey[Any]]) -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    names = {
        1: "Text",
        2: "Keyword",
        3: "Int",
        4: "Double",
        5: "Bool",
        6: "Datetime",
        7: "KeywordList",
    }
    flags: list[str] = []
    for key in keys:
        flags += ["--search-attribute", f"{key.name}={names[int(key.indexed_value_type)]}"]
    return flags
