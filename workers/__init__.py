"""The worker seam (contract: Seams for tests).

`build_worker(client)` returns the real worker, with every workflow and activity wired to its
dependencies, around any Temporal client: the dev server, a cluster, Temporal Cloud, or a
time-skipping test server. The client must use the pydantic data converter
(`temporalio.contrib.pydantic.pydantic_data_converter`), as `infra.temporal.connect` does.
"""

from __future__ import annotations

import compileall
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notifications import LogNotifier, NotificationActivities, Notifier
from activities.policy import PolicyActivities, PolicySource, StatutoryPolicySource
from workflows.complaint import ComplaintWorkflow

DEFAULT_TASK_QUEUE = "complaints"
WORKFLOWS = [ComplaintWorkflow]


def build_worker(
    client: Client,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    notifier: Notifier | None = None,
    policy_source: PolicySource | None = None,
    clock_speed: float = 1.0,
    **worker_options: Any,
) -> Worker:
    """The complaints worker. `notifier` and `policy_source` default to the production ones."""
    _precompile_workflows()
    notifications = NotificationActivities(notifier or LogNotifier())
    policy = PolicyActivities(policy_source or StatutoryPolicySource(clock_speed=clock_speed))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[notifications.notify, policy.load_policy],
        **worker_options,
    )


def _precompile_workflows() -> None:
    """The sandbox re-imports the workflow modules for every workflow run. Without cached
    bytecode (PYTHONDONTWRITEBYTECODE, an editable install) each run recompiles them, which
    halves throughput (bench/first_wait.py). Compile them once; a read-only tree is fine."""
    import workflows

    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2, maxlevels=0)
