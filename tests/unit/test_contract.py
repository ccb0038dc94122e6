"""The contract module names what the workflows define: a rename on either side fails here,
not in a caller at run time."""

from __future__ import annotations

from temporalio import workflow

from domain.actions import ACTION_MODELS
from infra.config import Settings
from workflows import contract
from workflows.accountability import AccountabilityCycleWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.search_attributes import ALL


def test_complaint_workflow_answers_to_the_contracts_names() -> None:
    defn = workflow._Definition.must_from_class(ComplaintWorkflow)
    assert defn.name == contract.WORKFLOW_TYPE
    assert contract.STATE_QUERY in defn.queries
    assert contract.REGISTER_UPDATE in defn.updates
    assert None in defn.updates and None in defn.signals  # every action, dynamically
    assert {n: s.description for n, s in defn.signals.items() if n} == contract.ACTION_SIGNALS
    assert set(contract.ACTIONS) == set(ACTION_MODELS)


def test_accountability_cycle_answers_to_the_contracts_names() -> None:
    defn = workflow._Definition.must_from_class(AccountabilityCycleWorkflow)
    assert defn.name == contract.CYCLE_WORKFLOW_TYPE
    assert contract.CYCLE_STATE_QUERY in defn.queries


def test_ids_and_defaults() -> None:
    assert contract.workflow_id("C123") == "complaint-C123"
    assert contract.cycle_workflow_id("2026-11") == "accountability-2026-11"
    # infra sits below workflows and cannot import the contract: the two defaults must agree.
    assert Settings().task_queue == contract.TASK_QUEUE
    assert contract.SEARCH_ATTRIBUTES == ALL
