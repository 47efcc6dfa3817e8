"""Executions run node by node through the broker: mappings, branches, joins, edge
conditions, failures, duplicate deliveries and the recovery sweep."""

from __future__ import annotations

from datetime import timedelta

from core import executions as executions_service
from core.caller import SYSTEM
from core.models import Execution, Step, utcnow
from core.recovery import sweep
from tests.conftest import wait_for
from tests.support.api import active_workflow, edge, executor, provider_config, run_to_end, set_output, start, trigger


def test_executor_body_is_exactly_the_mapped_fields_and_carries_an_idempotency_key(client, provider):
    config = provider_config(client, provider.url + "/api")
    mapping = [
        {"source": "workflow.payment.amount", "target": "amount", "required": True},
        {"source": "workflow.items[1].sku", "target": "line.sku"},
        {"source": "workflow.customer", "target": "customer", "transformation": {"type": "to_uppercase"}},
        {"source": "workflow.absent", "target": "absent"},
    ]
    workflow_id = active_workflow(
        client,
        [trigger(), executor("charge", config, "/v1/charges", mapping), set_output("done", {"ok": True})],
        [edge("start", "charge"), edge("charge", "done")],
    )
    result = run_to_end(
        client, workflow_id,
        {"payment": {"amount": 125.5}, "items": [{"sku": "a"}, {"sku": "b"}], "customer": "ana", "secret": "x"},
    )
    assert result["status"] == "completed", result
    [call] = provider.calls("POST", "/api/v1/charges")
    assert call["body"] == {"amount": 125.5, "line": {"sku": "b"}, "customer": "ANA"}
    assert call["idempotency_key"] == f"{result['executionId']}:charge"
    steps = {s["nodeId"]: s for s in result["stepResults"]}
    assert steps["charge"]["output"]["status"] == 200
    assert steps["charge"]["output"]["body"]["body"]["amount"] == 125.5
    assert result["finalOutput"] == {"ok": True}
    assert [s["stepNumber"] for s in result["stepResults"]] == [1, 2]


def test_conditional_runs_only_the_branch_taken_and_skips_the_other(client, provider):
    provider.route("POST", "/score", lambda body, _h: (200, {"decision": "ALLOW" if body["amount"] < 100 else "DENY"}))
    config = provider_config(client, provider.url)
    nodes = [
        trigger(),
        executor("fraud-check", config, "/score", [{"source": "workflow.amount", "target": "amount"}]),
        {"id": "decide", "type": "conditional", "data": {"condition": 'fraud-check.body.decision == "ALLOW"'}},
        executor("ledger", config, "/ledger", [{"source": "workflow.amount", "target": "amount"}]),
        set_output("approved", {"result": "approved"}),
        set_output("denied", {"result": "denied"}),
    ]
    edges = [
        edge("start", "fraud-check"), edge("fraud-check", "decide"),
        edge("decide", "ledger", "true"), edge("ledger", "approved"), edge("decide", "denied", "false"),
    ]
    workflow_id = active_workflow(client, nodes, edges)
    approved = run_to_end(client, workflow_id, {"amount": 10})
    denied = run_to_end(client, workflow_id, {"amount": 1000})
    assert approved["finalOutput"] == {"result": "approved"}
    assert denied["finalOutput"] == {"result": "denied"}
    statuses = {s["nodeId"]: s["status"] for s in denied["stepResults"]}
    assert statuses == {"fraud-check": "completed", "decide": "completed", "ledger": "skipped", "approved": "skipped", "denied": "completed"}
    assert [c["body"] for c in provider.calls("POST", "/ledger")] == [{"amount": 10}]
    status = client.get(f"/v1/executions/{denied['executionId']}").json
    assert status["currentStepNumber"] == status["totalSteps"] == 5


def test_fan_out_runs_branches_and_the_join_exactly_once(client, provider):
    config = provider_config(client, provider.url)
    nodes = [
        trigger(),
        executor("kyc", config, "/kyc"),
        executor("aml", config, "/aml"),
        executor("join", config, "/join", [{"source": "kyc.status", "target": "kyc"}, {"source": "aml.status", "target": "aml"}]),
    ]
    edges = [edge("start", "kyc"), edge("start", "aml"), edge("kyc", "join"), edge("aml", "join")]
    workflow_id = active_workflow(client, nodes, edges)
    result = run_to_end(client, workflow_id, {})
    assert result["status"] == "completed"
    assert len(provider.calls("POST", "/kyc")) == len(provider.calls("POST", "/aml")) == 1
    [join] = provider.calls("POST", "/join")
    assert join["body"] == {"kyc": 200, "aml": 200}


def test_a_false_edge_condition_skips_its_target_and_a_join_still_runs(client, provider):
    config = provider_config(client, provider.url)
    nodes = [trigger(), executor("big", config, "/big"), executor("small", config, "/small"), set_output("end", {"done": 1})]
    edges = [
        edge("start", "big", condition="workflow.amount >= 1000"),
        edge("start", "small", condition="workflow.amount < 1000"),
        edge("big", "end"), edge("small", "end"),
    ]
    workflow_id = active_workflow(client, nodes, edges)
    result = run_to_end(client, workflow_id, {"amount": 5})
    statuses = {s["nodeId"]: s["status"] for s in result["stepResults"]}
    assert statuses == {"small": "completed", "big": "skipped", "end": "completed"}
    assert provider.calls("POST", "/big") == []


def test_a_provider_error_fails_the_execution_and_nothing_after_it_runs(client, provider):
    provider.route("POST", "/down", lambda _b, _h: (503, {"error": "maintenance"}))
    config = provider_config(client, provider.url)
    nodes = [trigger(), executor("call", config, "/down"), executor("after", config, "/after")]
    workflow_id = active_workflow(client, nodes, [edge("start", "call"), edge("call", "after")])
    result = run_to_end(client, workflow_id, {})
    assert result["status"] == "failed"
    assert 'node "call"' in result["errorMessage"] and "503" in result["errorMessage"]
    steps = {s["nodeId"]: s for s in result["stepResults"]}
    assert steps["call"]["status"] == "failed"
    assert steps["call"]["output"]["body"] == {"error": "maintenance"}
    assert "after" not in steps
    assert provider.calls("POST", "/after") == []


def test_a_condition_on_a_missing_field_fails_naming_the_path(client):
    nodes = [trigger(), {"id": "check", "type": "conditional", "data": {"condition": "workflow.customer.score > 10"}},
             set_output("yes", {"a": 1}), set_output("no", {"a": 0})]
    edges = [edge("start", "check"), edge("check", "yes", "true"), edge("check", "no", "false")]
    workflow_id = active_workflow(client, nodes, edges)
    result = run_to_end(client, workflow_id, {"customer": {}})
    assert result["status"] == "failed"
    assert "workflow.customer.score" in result["errorMessage"]


def test_a_required_mapping_source_that_is_missing_fails_the_node(client, provider):
    config = provider_config(client, provider.url)
    nodes = [trigger(), executor("call", config, "/x", [{"source": "workflow.amount", "target": "amount", "required": True}])]
    workflow_id = active_workflow(client, nodes, [edge("start", "call")])
    result = run_to_end(client, workflow_id, {"other": 1})
    assert result["status"] == "failed"
    assert "workflow.amount" in result["errorMessage"]
    assert provider.calls() == []


def test_a_redelivered_message_for_a_finished_step_does_not_call_the_provider_again(app, client, provider):
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/once")], [edge("start", "call")])
    result = run_to_end(client, workflow_id, {})
    engine = app.extensions["flowker"].engine
    assert engine.run_node(result["executionId"], "call") == "duplicate"
    assert len(provider.calls("POST", "/once")) == 1


class _DroppingDispatcher:
    """Loses every message: the process 'crashed' between commit and dispatch."""

    def dispatch(self, execution_id, nodes, delay_ms=0):
        pass


def test_the_sweep_heals_an_execution_whose_dispatch_was_lost(app, client, provider):
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/healed")], [edge("start", "call")])
    output, created = executions_service.start(workflow_id, {"n": 1}, "lost-dispatch", SYSTEM, _DroppingDispatcher())
    assert created
    Step.update(dispatched_at=utcnow() - timedelta(seconds=60)).where(Step.execution == output["executionId"]).execute()
    wait_for(lambda: Execution.get_by_id(output["executionId"]).status == "completed", 20)
    assert len(provider.calls("POST", "/healed")) == 1


def test_a_running_step_whose_lease_expired_is_taken_over(app, client, provider):
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/takeover")], [edge("start", "call")])
    output, _ = executions_service.start(workflow_id, {}, "lease-expired", SYSTEM, _DroppingDispatcher())
    execution_id = output["executionId"]
    # The trigger "ran" on a worker that died holding its lease.
    Step.update(status="running", attempt=1, lease_expires_at=utcnow() - timedelta(seconds=1)).where(
        Step.execution == execution_id
    ).execute()
    runtime = app.extensions["flowker"]
    counts = sweep(runtime.dispatcher, 3600)
    assert counts["reclaimed"] >= 1
    wait_for(lambda: Execution.get_by_id(execution_id).status == "completed", 20)
    trigger_step = Step.get((Step.execution == execution_id) & (Step.node_id == "start"))
    assert trigger_step.attempt == 2
    assert len(provider.calls("POST", "/takeover")) == 1


def test_idempotency_replay_returns_the_same_execution(client):
    workflow_id = active_workflow(client, [trigger(), set_output("o", {"x": 1})], [edge("start", "o")])
    first = start(client, workflow_id, {"a": 1}, key="k-1")
    again = start(client, workflow_id, {"a": 1}, key="k-1")
    other_body = start(client, workflow_id, {"a": 2}, key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["executionId"] == first.json["executionId"]
    assert other_body.status_code == 422 and other_body.json["code"] == "FLK-0510"
    second_workflow = active_workflow(client, [trigger(), set_output("o", {"x": 1})], [edge("start", "o")])
    elsewhere = start(client, second_workflow, {"a": 1}, key="k-1")
    assert elsewhere.status_code == 201 and elsewhere.json["executionId"] != first.json["executionId"]
