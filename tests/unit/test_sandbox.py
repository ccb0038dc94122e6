"""The sandbox loads the workflow module afresh for every case; what it imports from our own
packages (pure rules, models, activity stubs) must be passed through, not loaded again: each
reload costs every new case worker CPU (bench/first_wait.py)."""

from __future__ import annotations

import sys
import types

from temporalio import workflow
from temporalio.api.common.v1 import Payloads
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DataConverter
from temporalio.worker._workflow_instance import WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _fake_info

from workers import WORKFLOWS

OURS = (
    "domain",
    "activities",
    "workflows.search_attributes",
    "workflows.contract",
    "workflows.visibility",
)


async def test_workflow_modules_take_our_own_modules_passed_through() -> None:
    runner = SandboxedWorkflowRunner()
    for cls in WORKFLOWS:
        defn = workflow._Definition.must_from_class(cls)
        instance = runner.create_instance(  # as the worker does for each new run
            WorkflowInstanceDetails(
                payload_converter_factory=DataConverter.default._new_payload_converter,
                failure_converter_class=DataConverter.default.failure_converter_class,
                interceptor_classes=[],
                defn=defn,
                info=_fake_info,
                randomness_seed=-1,
                extern_functions={},
                disable_eager_activity_execution=False,
                worker_level_failure_exception_types=[],
                patch_activation_callback=None,
                last_completion_result=Payloads(),
                last_failure=Failure(),
            )
        )
        sandboxed = instance.globals_and_locals["__temporal_workflow_class"]  # type: ignore[attr-defined]
        assert sandboxed is not cls, "the workflow module itself is loaded afresh"
        host, inside = vars(sys.modules[cls.__module__]), sandboxed.run.__globals__
        fresh = [name for name, value in host.items() if _ours(value) and inside[name] is not value]
        assert not fresh, f"{cls.__name__}: loaded again in the sandbox: {fresh}"


def _ours(value: object) -> bool:
    name = (
        value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", "")
    )
    return isinstance(name, str) and name.startswith(OURS)
