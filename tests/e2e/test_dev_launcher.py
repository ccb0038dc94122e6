"""`python -m launcher --demo` for real: dev server, worker and demo complaints, then Ctrl-C.

Starts the launcher as a subprocess on free ports and a temporary data folder, waits for the
demo complaints to be listed (and the regulator's to be found as major), reads the worker's
and the API's `/metrics` where the banner says they are, sends SIGINT, and checks that it
exits 0 and leaves no `temporal` process behind.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from infra.config import PROJECT_ROOT
from tests.harness import eventually
from workers.schedules import RECONCILIATION_SCHEDULE
from workflows import contract

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> dict[int, str]:
    """Direct children of `pid` with their command names (Linux /proc)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid:
            found[int(entry.name)] = name
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


async def ids(client: Client, query: str) -> set[str]:
    return {wf.id async for wf in client.list_workflows(query)}


async def test_dev_launcher_demo_then_ctrl_c(tmp_path: Path) -> None:
    port, ui_port, api_port, worker_port = free_port(), free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.pop("COMPLAINTS_SMS_GATEWAY_URL", None)  # the launcher's own sink
    env["COMPLAINTS_DATA_DIR"] = str(tmp_path / "data")
    env["COMPLAINTS_SMTP_PORT"] = str(free_port())  # never the 8025 of a developer's make run
    output = (tmp_path / "launcher.log").open("wb")
    command = [sys.executable, "-m", "launcher", "--demo", "--headless"]
    command += ["--port", str(port), "--ui-port", str(ui_port), "--api-port", str(api_port)]
    command += ["--worker-http-port", str(worker_port)]
    launcher = await asyncio.create_subprocess_exec(
        *command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT
    )
    servers: dict[int, str] = {}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        client: Client | None = None
        complaints: set[str] = set()
        while len(complaints) < 7:
            assert launcher.returncode is None, f"launcher exited early: {launcher.returncode}"
            assert loop.time() < deadline, f"demo complaints not listed in time: {complaints}"
            await asyncio.sleep(0.5)
            try:
                client = client or await Client.connect(f"127.0.0.1:{port}")
                complaints = await ids(client, f'WorkflowType = "{contract.WORKFLOW_TYPE}"')
            except RuntimeError:
                continue  # the dev server is not up yet
        assert client is not None
        assert {contract.workflow_id(f"DEMO-000{n}") for n in range(1, 8)} <= complaints
        major: set[str] = set()
        regulators = contract.workflow_id("DEMO-0002")
        while regulators not in major and loop.time() < deadline:
            major = await ids(client, 'ComplaintGrade = "major"')
            await asyncio.sleep(0.3)
        assert regulators in major, major  # from the regulator: major on arrival
        # The bank-outlet complaint becomes a crisis on the script's cue.
        bank, crisis = contract.workflow_id("DEMO-0007"), set[str]()
        escalated_by = loop.time() + 30  # the script escalates it 8 s after filing
        while bank not in crisis and loop.time() < escalated_by:
            crisis = await ids(client, 'Crisis = true AND ComplaintChannel = "bank_outlet"')
            await asyncio.sleep(0.3)
        assert bank in crisis, crisis
        # R-AN-3: the accountability cycle is scheduled for the 21st.
        schedule = await client.get_schedule_handle(contract.CYCLE_SCHEDULE_ID).describe()
        calendar = schedule.schedule.spec.calendars[0]
        assert calendar.day_of_month[0].start == 21
        # The ledger's reconciliation, every 10 minutes (docs/operations.md).
        reconciling = await client.get_schedule_handle(RECONCILIATION_SCHEDULE).describe()
        assert [i.every for i in reconciling.schedule.spec.intervals] == [timedelta(minutes=10)]

        # SMS and phone tasks land in data/sms/ through the real HTTP gateway adapter, in the
        # customer's language (Chinese for the demo's customers).
        sms = tmp_path / "data" / "sms" / "messages.jsonl"

        async def acknowledged() -> bool:
            return sms.exists() and "投诉已受理" in sms.read_text(encoding="utf-8")

        await eventually(acknowledged, what="the demo's acknowledgements in data/sms/")

        # `make run` says where the metrics are, and they are there: the worker's with the
        # SDK's own appended, the API's without a key.
        output.flush()
        banner = (tmp_path / "launcher.log").read_text(errors="replace")
        assert "sms/phone sink" in banner and str(tmp_path / "data" / "sms") in banner
        assert f"http://127.0.0.1:{worker_port}/metrics" in banner
        assert f"http://127.0.0.1:{api_port}/metrics" in banner
        # The dev user's personal codec endpoint: the Web UI's, so its actions count as theirs.
        assert f"http://127.0.0.1:{api_port}/codec/u/cu_" in banner
        # R-SLA-11: which years of the calendar are official, entered or provisional.
        assert "calendar years" in banner and "2026 official" in banner, banner
        # The complaint desk: `make run` offers the dev user's sign-in (its key read on the
        # server), and the team queue lists the demo's cases.
        assert f"http://127.0.0.1:{api_port}/desk" in banner
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as desk:
            login = await desk.get("/desk/login")
            assert 'id="dev-login"' in login.text
            token = re.search(r'name="csrf" value="([^"]+)"', login.text)
            assert token is not None
            signed = await desk.post("/desk/login", data={"csrf": token[1], "dev": "1"})
            assert signed.status_code == 303, signed.text
            assert "DEMO-0001" in (await desk.get("/desk/queue/team")).text
        async with httpx.AsyncClient(base_url="http://127.0.0.1") as http:
            worker_metrics = await http.get(f"http://127.0.0.1:{worker_port}/metrics")
            assert worker_metrics.status_code == 200
            assert 'complaints_open_cases{grade="major",stage="contact"}' in worker_metrics.text
            assert "temporal_worker_task_slots_available" in worker_metrics.text
            assert 'complaints_orphaned_cases{status="terminated"} 0.0' in worker_metrics.text
            assert (await http.get(f"http://127.0.0.1:{worker_port}/readyz")).status_code == 200
            assert (await http.get(f"http://127.0.0.1:{api_port}/healthz")).status_code == 200
            api_metrics = await http.get(f"http://127.0.0.1:{api_port}/metrics")
            assert api_metrics.status_code == 200
            counted = 'complaints_api_requests_total{method="GET",route="/healthz",status="200"}'
            assert counted in api_metrics.text

        servers = {pid: name for pid, name in children(launcher.pid).items() if "temporal" in name}
        assert servers, "the dev server should be a child of the launcher"
        launcher.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(launcher.wait(), timeout=STOP_TIMEOUT)
        assert code == 0
        assert not [pid for pid in servers if alive(pid)], (
            "a temporal process outlived the launcher"
        )
    except BaseException:
        output.flush()
        print((tmp_path / "launcher.log").read_text(errors="replace")[-5000:])
        raise
    finally:
        if launcher.returncode is None:
            launcher.kill()
            await asyncio.wait_for(launcher.wait(), timeout=STOP_TIMEOUT)
        for pid in servers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        output.close()
