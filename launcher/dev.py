"""Everything locally in one command: `python -m launcher [--demo] [--speed N] [--headless]`.

Starts the Temporal dev server (with the Web UI) as a subprocess on a database file in the
data folder, waits for it, and runs the complaints worker in this process. `--demo` also
files sample complaints (`launcher/demo.py`) on a fast working-time clock (x480 unless `--speed`:
an 8-hour working day per minute); without it working time is real (`COMPLAINTS_CLOCK_SPEED`
or `--speed` change that). The speed is recorded in each case when it starts. The banner says
where the metrics are: the API's `/metrics` on its port, the worker's `/metrics` (with the
Temporal SDK's own) and probes on `--worker-http-port` (9400), both on 127.0.0.1.

The Web UI on `--ui-port` is the embedded one behind a guard (`launcher/ui_guard.py`): no
Terminate, Reset, Cancel or batch actions, shown or accepted (a case ends only through its own
actions); the embedded UI itself listens on an internal loopback port.

Ctrl-C or SIGTERM stops the worker, then the server (killed if it has not exited after
10 s); the exit code is 0. If one of its ports is already taken, even by another Temporal
server, it says so and exits with 2 rather than share a server it does not own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import signal
import socket
import sys
from asyncio.subprocess import Process
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
import structlog
import uvicorn
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from activities.calendar_years import report_library_catch_up, summary
from api.app import create_app
from api.auth import create_key, create_ui_token
from api.codec import ENV_UI_ORIGINS, codec_router_from_env
from domain.contacts import Unit, problems
from domain.vocabulary import Role
from infra import logs
from infra.binaries import find
from infra.codec import (
    ENV_KEYS,
    ENV_KEYS_FILE,
    CodecError,
    KeyRing,
    ensure_key_file,
    write_private,
)
from infra.config import Settings, new_status_secret
from infra.mailsink import MailSink
from infra.postgres import Queryable, create_pool, database_url
from infra.smssink import SmsSink
from infra.temporal import (
    cli_flags,
    connect,
    metrics_runtime,
    register_search_attributes,
)
from launcher import demo, ui_guard
from ledger import policy as policies
from ledger.migrate import migrate
from notices.channels import ChannelSettings
from workers import complaints_worker, endpoints
from workers.schedules import ensure_schedules
from workflows import contract

HOST = "127.0.0.1"
ENV_CASE_URL = "COMPLAINTS_CASE_URL"
ENV_DESK_DEV_KEY_FILE = "COMPLAINTS_DESK_DEV_KEY_FILE"  # api/desk/config.py
ENV_TEMPORAL_UI_URL = "COMPLAINTS_TEMPORAL_UI_URL"
DEMO_SPEED = 480.0
START_TIMEOUT = 30.0  # seconds for the dev server to answer
STOP_TIMEOUT = 10.0  # seconds for the worker, then the server, to stop before being forced

log = structlog.get_logger("dev")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m launcher", description=__doc__.split("\n")[0])
    parser.add_argument("--demo", action="store_true", help="file sample complaints")
    parser.add_argument("--speed", type=float, help="working-time clock speed (demo: 480)")
    parser.add_argument("--port", type=int, default=7233, help="gRPC port (default 7233)")
    parser.add_argument("--ui-port", type=int, default=8233, help="Web UI port (default 8233)")
    parser.add_argument("--headless", action="store_true", help="no Web UI")
    parser.add_argument("--api-port", type=int, default=8000, help="HTTP API port (default 8000)")
    parser.add_argument(
        "--worker-http-port",
        type=int,
        default=None,
        help="the worker's /healthz, /readyz, /metrics (default COMPLAINTS_WORKER_HTTP_PORT or "
        "9400; 0: any free port)",
    )
    args = parser.parse_args(argv)
    if args.speed is not None and args.speed <= 0:
        parser.error("--speed must be positive")
    return args


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


async def _is_temporal(port: int) -> bool:
    """Ask with the CLI (a subprocess, so a stuck probe is simply killed)."""
    probe = await asyncio.create_subprocess_exec(
        find("temporal"),
        "operator",
        "cluster",
        "health",
        "--address",
        f"{HOST}:{port}",
        "--command-timeout",
        "3s",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        return await asyncio.wait_for(probe.wait(), timeout=5) == 0
    except TimeoutError:
        probe.kill()
        await probe.wait()
        return False


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM even if this process is killed without cleaning up."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def start_server(
    args: argparse.Namespace, settings: Settings, namespace: str, codec_endpoint: str | None = None
) -> Process:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        "server",
        "start-dev",
        "--db-filename",
        str(settings.data_dir / "temporal.db"),
        "--ip",
        HOST,
        "--port",
        str(args.port),
        "--ui-port",
        str(_embedded_ui_port(args)),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
        *cli_flags(contract.SEARCH_ATTRIBUTES),
    ]
    if namespace != "default":
        command += ["--namespace", namespace]
    if args.headless:
        command.append("--headless")
    elif codec_endpoint:  # codec: the Web UI decrypts payloads through the API (api/codec.py)
        command += ["--ui-codec-endpoint", codec_endpoint]
    with (settings.data_dir / "temporal.log").open("ab") as out:
        # Its own session: a terminal's Ctrl-C reaches only us, so the worker stops first.
        return await asyncio.create_subprocess_exec(
            find("temporal"),
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def _embedded_ui_port(args: argparse.Namespace) -> int:
    """The embedded UI's internal loopback port (chosen once): the public `--ui-port` is the
    guard's (`launcher/ui_guard.py`)."""
    if getattr(args, "embedded_ui_port", None) is None:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            args.embedded_ui_port = sock.getsockname()[1]
    port: int = args.embedded_ui_port
    return port


async def stop_server(server: Process) -> None:
    if server.returncode is None:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), timeout=STOP_TIMEOUT)
        except TimeoutError:
            log.warning("dev server did not stop in time; killing it", pid=server.pid)
            server.kill()
            await server.wait()
    log.info("dev server stopped", exit_code=server.returncode)


async def wait_ready(
    server: Process, settings: Settings, stop: asyncio.Event, runtime: Runtime | None = None
) -> Client | None:
    """Connect once the server answers; None if told to stop first. Raises on failure."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while not stop.is_set():
        if server.returncode is not None:
            raise RuntimeError(f"the dev server exited with code {server.returncode}")
        try:
            return await asyncio.wait_for(
                connect(settings, runtime=runtime, service="complaints-dev"), timeout=5
            )
        except Exception as err:
            if loop.time() > deadline:
                raise RuntimeError(
                    f"the dev server did not answer within {START_TIMEOUT:g} s: {err}"
                ) from err
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.3)
    return None


def banner(args: argparse.Namespace, settings: Settings, namespace: str, speed: float) -> str:
    ui = f"http://localhost:{args.ui_port}/namespaces/{namespace}/workflows"
    filters = {
        "open complaints": f'WorkflowType="{contract.WORKFLOW_TYPE}" AND ExecutionStatus="Running"',
        "awaiting contact": 'ComplaintStage="contact"',
        "major or crisis": 'ComplaintGrade="major" OR Crisis=true',
        "deadline breached": "SlaBreached=true",
    }
    rows: list[tuple[str, str]] = []
    if not args.headless:
        rows.append(("Web UI", ui))
        rows += [(f"  {name}", f"{ui}?query={quote(query)}") for name, query in filters.items()]
    rows += [
        ("gRPC", f"{HOST}:{args.port} (namespace {namespace}, task queue {settings.task_queue})"),
        (
            "CLI (paste)",
            f'export PATH="{Path(find("temporal")).parent}:$PATH" '
            f"TEMPORAL_ADDRESS={HOST}:{args.port} TEMPORAL_NAMESPACE={namespace}",
        ),
        ("try", "temporal workflow list --query 'ComplaintGrade=\"major\"'"),
        ("working time", f"x{speed:g}" + (" (real time)" if speed == 1 else " (fast demo clock)")),
        ("data folder", str(settings.data_dir)),
        ("server log", str(settings.data_dir / "temporal.log")),
    ]
    lines = [f"  {label:<20}{value}" for label, value in rows]
    return "\n".join(
        ["", "Complaints dev environment is up", *lines, "Ctrl-C stops everything.", ""]
    )


async def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    speed = args.speed or (DEMO_SPEED if args.demo else settings.clock_speed)
    namespace = settings.temporal_namespace or "default"
    if args.worker_http_port is None:
        args.worker_http_port = settings.worker_http_port
    ports = [args.port, args.api_port] + ([] if args.headless else [args.ui_port])
    ports += [args.worker_http_port] if args.worker_http_port else []
    for port in ports:
        if _port_taken(port):
            temporal = await _is_temporal(port)
            hint = (
                f"; to run only the worker against it: TEMPORAL_ADDRESS={HOST}:{port} "
                "python -m workers"
                if temporal
                else ""
            )
            log.error(
                f"{'a Temporal server' if temporal else 'something'} already listens on "
                f"{HOST}:{port}: stop it or choose other ports (--port, --ui-port, --api-port, "
                f"--worker-http-port){hint}"
            )
            return 2
    settings = dataclasses.replace(
        settings, temporal_address=f"{HOST}:{args.port}", temporal_namespace=namespace
    )
    try:  # codec: before anything connects, so that every payload is encrypted
        codec_setup(args, settings)
    except (CodecError, OSError) as err:
        log.error(f"codec keys: {err}")
        return 2
    status_setup(args, settings)  # R-CU-2: the acknowledgement links the customer's page
    # Staff notices link to the case: its page on the desk (api/desk/), and the desk's case
    # page links to the workflow in this Web UI.
    os.environ.setdefault(ENV_CASE_URL, case_url(args))
    if not args.headless:
        os.environ.setdefault(ENV_TEMPORAL_UI_URL, f"http://localhost:{args.ui_port}")
    # The ledger first: the dev user's personal codec endpoint (a key's token) is the Web UI's.
    dsn = await database_url(settings)  # DATABASE_URL, or the embedded server in data/postgres
    await migrate(dsn)
    async with create_pool(dsn, min_size=1, max_size=1) as pool:
        await seed_contacts(pool)  # R-CR-9: the development directory, once
    key_file, ui_codec = await _dev_identity(dsn, settings, args)
    os.environ.setdefault(ENV_DESK_DEV_KEY_FILE, str(key_file))  # the desk's "sign in as dev"

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    # The SDK's metrics (one runtime per process), appended to the worker's /metrics.
    runtime, args.sdk_metrics = metrics_runtime(settings.sdk_metrics_address)
    server = await start_server(args, settings, namespace, None if args.headless else ui_codec)
    log.info("dev server starting", pid=server.pid, port=args.port)
    try:
        try:
            client = await wait_ready(server, settings, stop, runtime)
        except RuntimeError as err:
            log.error(str(err), log_file=str(settings.data_dir / "temporal.log"))
            return 1
        if client is None:
            return 0
        # A no-op when the CLI flags did it.
        await register_search_attributes(client, contract.SEARCH_ATTRIBUTES)
        # The monthly accountability cycle and the ledger's reconciliation.
        await ensure_schedules(client, settings.task_queue)
        args.dev_identity = (key_file, ui_codec)
        return await serve(client, server, args, settings, speed, stop, dsn)
    finally:
        await stop_server(server)


async def serve(
    client: Client,
    server: Process,
    args: argparse.Namespace,
    settings: Settings,
    speed: float,
    stop: asyncio.Event,
    dsn: str,
) -> int:
    # The sink listens where the email channel sends (COMPLAINTS_SMTP_PORT, default 8025).
    sink = MailSink(settings.data_dir / "mail", port=ChannelSettings.from_env().smtp_port)
    sink.start()
    sms = _sms_sink(settings)
    api_pool = await create_pool(dsn, min_size=1, max_size=5)
    api = _ApiServer(
        uvicorn.Config(
            create_app(
                client,
                api_pool,
                task_queue=settings.task_queue,
                codec_router=codec_router_from_env(client.namespace),
            ),
            host=HOST,
            port=args.api_port,
            log_level="warning",
            access_log=False,
        )
    )
    serving = asyncio.create_task(api.serve())
    guard: _ApiServer | None = None
    guarding: asyncio.Task[None] | None = None
    if not args.headless:  # the public Web UI port: the embedded UI behind the guard
        guard = _ApiServer(
            uvicorn.Config(
                ui_guard.create_app(f"http://{HOST}:{_embedded_ui_port(args)}"),
                host=HOST,
                port=args.ui_port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,  # the UI long-polls histories: don't wait them out
            )
        )
        guarding = asyncio.create_task(guard.serve())
    key_file, ui_codec = args.dev_identity
    try:
        async with (
            complaints_worker(
                client,
                dsn,
                task_queue=settings.task_queue,
                clock_speed=speed,
                sandbox=settings.workflow_sandbox,
                outbox_lease=timedelta(seconds=settings.outbox_lease),
            ) as worker,
            endpoints.serving(
                endpoints.create_app(client, worker, args.sdk_metrics), HOST, args.worker_http_port
            ) as worker_http_port,
        ):
            args.extra_banner = [
                ("complaint desk", f"http://{HOST}:{args.api_port}/desk (sign in as the dev user)"),
                ("HTTP API", f"http://{HOST}:{args.api_port}/docs"),
                ("API key (dev)", f"export KEY=$(cat {key_file})"),
                ("codec server", f"http://{HOST}:{args.api_port}/codec (payloads encrypted)"),
                ("UI codec (dev user)", ui_codec),
                ("case links", os.environ.get(ENV_CASE_URL) or "none"),
                ("API metrics", f"http://{HOST}:{args.api_port}/metrics"),
                (
                    "worker metrics",
                    f"http://{HOST}:{worker_http_port}/metrics (probes: /healthz, /readyz)",
                ),
                ("calendar years", await _calendar_years(api_pool, speed)),
                ("sms/phone sink", f"{sms.url} → {sms.folder}/")
                if sms is not None
                else ("sms/phone gateway", os.environ[SMS_GATEWAY_URL]),
            ]
            return await _serve(client, server, args, settings, speed, stop, worker, sink, dsn)
    finally:
        api.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, timeout=STOP_TIMEOUT)
        if guard is not None and guarding is not None:
            guard.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(guarding, timeout=STOP_TIMEOUT)
        await api_pool.close()
        sink.stop()
        if sms is not None:
            sms.stop()


SMS_GATEWAY_URL = "COMPLAINTS_SMS_GATEWAY_URL"


def _sms_sink(settings: Settings) -> SmsSink | None:
    """SMS and phone tasks go through the real HTTP gateway adapter to a local sink that keeps
    each message in data/sms/ (as e-mail lands in data/mail/), unless a gateway is configured.
    Started before the worker, which reads the gateway's URL from the environment."""
    if os.environ.get(SMS_GATEWAY_URL):
        return None
    sms = SmsSink(settings.data_dir / "sms", host=HOST, port=0)  # any free port
    sms.start()
    os.environ[SMS_GATEWAY_URL] = sms.url
    return sms


def case_url(args: argparse.Namespace) -> str:
    """The case page staff notices link to (notices/wording.py): the desk's (api/desk/)."""
    return f"http://{HOST}:{args.api_port}/desk/cases/{{complaint_id}}"


# --- codec (infra/codec.py, api/codec.py) ----------------------------------------------------


def codec_setup(args: argparse.Namespace, settings: Settings) -> None:
    """Codec keys, made once in the data folder and put in this process's environment (the
    worker, the API and the demo read them there), and the Web UI's origins for CORS. Keys
    already in the environment win."""
    env = os.environ
    if not (env.get(ENV_KEYS) or env.get(ENV_KEYS_FILE)):
        path = (settings.data_dir / "codec-keys.json").resolve()
        if not path.exists() and (settings.data_dir / "temporal.db").exists():
            log.warning(
                "new codec keys for an existing temporal.db: cases encrypted under lost keys "
                "will fail with 'unknown key id'",
                key_file=str(path),
            )
        ensure_key_file(path)
        env[ENV_KEYS_FILE] = str(path)
    KeyRing.from_env()  # a bad configuration fails here, not in the middle of a connect
    origins = [o for o in env.get(ENV_UI_ORIGINS, "").split(",") if o.strip()]
    origins += [f"http://localhost:{args.ui_port}", f"http://{HOST}:{args.ui_port}"]
    env[ENV_UI_ORIGINS] = ",".join(dict.fromkeys(origins))


# --- end codec --------------------------------------------------------------------------------


def status_setup(args: argparse.Namespace, settings: Settings) -> None:
    """The customer's status page (docs/status-page.md): served by this API, its secret made
    once in the data folder. Settings already in the environment win."""
    env = os.environ
    if not (env.get("COMPLAINTS_STATUS_SECRET") or env.get("COMPLAINTS_STATUS_SECRET_FILE")):
        path = (settings.data_dir / "status-secret").resolve()
        if not path.exists():
            write_private(path, new_status_secret() + "\n")
        env["COMPLAINTS_STATUS_SECRET_FILE"] = str(path)
    env.setdefault("COMPLAINTS_STATUS_URL", f"http://{HOST}:{args.api_port}/status")


class _ApiServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the launcher owns SIGINT and SIGTERM and stops the API itself


CONTACTS = Path(__file__).with_name("contacts.json")  # made-up people, for development only


async def seed_contacts(db: Queryable, path: Path = CONTACTS) -> int:
    """R-CR-9: the development directory of designated contacts, entered once when the ledger
    has none (an administrator's changes stay theirs). How many units it entered."""
    data = json.loads(await asyncio.to_thread(path.read_text))
    units = [Unit.model_validate(u) for u in data["units"]]
    if wrong := problems(units):
        raise ValueError(f"{path}: {'; '.join(wrong)}")
    if await policies.every_scope_in_force(db, "contacts", datetime.max.replace(tzinfo=UTC)):
        return 0
    since, why = datetime(2000, 1, 1, tzinfo=UTC), f"development directory ({path.name})"
    for u in units:
        body = u.model_dump(mode="json", exclude={"unit"})
        await policies.add_version(db, "contacts", u.unit, since, body, why, "make run")
    return len(units)


async def _dev_identity(dsn: str, settings: Settings, args: argparse.Namespace) -> tuple[Path, str]:
    """The dev user: a key with every acting role for trying the API locally, and its personal
    codec endpoint, which the dev server's Web UI uses (so what is sent from the UI counts as
    the dev user's). Made once, kept in data/ (0600)."""
    key_path, url_path = settings.data_dir / "dev-api-key", settings.data_dir / "dev-ui-codec"
    async with create_pool(dsn, min_size=1, max_size=1) as pool:
        if not key_path.exists():
            key = await create_key(pool, "dev", [Role.SYSTEM, Role.HANDLER, Role.SUPERVISOR])
            write_private(key_path, key)
            url_path.unlink(missing_ok=True)
        if not url_path.exists():
            key_id = key_path.read_text().strip().split("_")[1]
            token = await create_ui_token(pool, key_id)
            if token is None:
                raise RuntimeError(f"the dev key in {key_path} is revoked: delete the file")
            write_private(url_path, f"http://{HOST}:{args.api_port}/codec/u/{token}")
    return key_path, url_path.read_text().strip()


async def _serve(
    client: Client,
    server: Process,
    args: argparse.Namespace,
    settings: Settings,
    speed: float,
    stop: asyncio.Event,
    worker: Worker,
    sink: MailSink,
    dsn: str,
) -> int:
    running = asyncio.create_task(worker.run())
    watching = asyncio.create_task(server.wait())
    stopping = asyncio.create_task(stop.wait())
    namespace = client.namespace
    print(banner(args, settings, namespace, speed), flush=True)
    for label, value in [*args.extra_banner, ("ledger", _masked(dsn))]:
        print(f"  {label:<20}{value}", flush=True)
    print(f"  {'mail sink':<20}smtp://127.0.0.1:{sink.port} → {sink.folder}/", flush=True)
    log.info("worker started", task_queue=settings.task_queue, clock_speed=speed)
    demo_task = asyncio.create_task(demo.run(client, settings.task_queue)) if args.demo else None

    await asyncio.wait({running, watching, stopping}, return_when=asyncio.FIRST_COMPLETED)
    code = 0 if stopping.done() else 1
    if watching.done() and not stopping.done():
        log.error(
            "the dev server exited unexpectedly",
            exit_code=watching.result(),
            log_file=str(settings.data_dir / "temporal.log"),
        )
    log.info("stopping")
    for task in (demo_task, watching, stopping):
        if task is not None:
            task.cancel()
    if demo_task is not None:
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await demo_task
            except Exception:
                log.exception("demo failed")
    if not running.done():
        try:
            await asyncio.wait_for(worker.shutdown(), timeout=STOP_TIMEOUT)
        except TimeoutError:
            log.warning("worker did not stop in time")
            running.cancel()
    try:
        await running
        log.info("worker stopped")
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("worker failed")
        code = 1
    return code


async def _calendar_years(pool: asyncpg.Pool, speed: float) -> str:
    """R-SLA-11: which years are official, entered by hand or provisional (docs/calendar.md);
    a library that now ships a year entered by hand is compared with it (logged, counted)."""
    statuses = await report_library_catch_up(pool, datetime.now(UTC))
    demo = "; the demo clock is always open" if speed != 1 else ""
    return f"{summary(statuses)} (GET /v1/calendar){demo}"


def _masked(dsn: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", dsn)


def main() -> None:
    args = parse_args()
    try:
        code = asyncio.run(run(args))
    except KeyboardInterrupt:  # before the handlers were installed: nothing started yet
        code = 130
    sys.exit(code)
