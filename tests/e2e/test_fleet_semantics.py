"""Execution semantics across real worker processes: the circuit breaker's state is shared
through Redis, and a worker killed during a long node is replaced via its expired lease."""

from __future__ import annotations

import time
import uuid

from tests.e2e.conftest import api
from tests.e2e.test_fleet_runs import _wait_all_terminal
from tests.support.provider_server import ProviderServer


def _single_node_workflow(fleet, provider, path, retry=None):
    config = api(fleet, "POST", "/v1/provider-configurations", json={
        "name": f"svc-{uuid.uuid4().hex[:8]}", "providerId": "http", "config": {"base_url": provider.url}}).json()["id"]
    data = {"executorId": "http.request", "providerConfigId": config, "path": path, "timeout": 10}
    if retry:
        data["retry"] = retry
    body = {"name": f"wf-{uuid.uuid4().hex[:8]}", "nodes": [
        {"id": "start", "type": "trigger"}, {"id": "call", "type": "executor", "data": data}],
        "edges": [{"id": "e", "source": "start", "target": "call"}]}
    workflow_id = api(fleet, "POST", "/v1/workflows", json=body).json()["workflowId"]
    assert api(fleet, "POST", f"/v1/workflows/{workflow_id}/activate").status_code == 200
    return workflow_id, config


def _run(fleet, workflow_id):
    execution_id = api(fleet, "POST", f"/v1/workflows/{workflow_id}/executions", json={"inputData": {}},
                       headers={"Idempotency-Key": str(uuid.uuid4())}).json()["executionId"]
    _wait_all_terminal(fleet, [execution_id], timeout=30)
    return api(fleet, "GET", f"/v1/executions/{execution_id}/results").json()


def test_a_breaker_opened_by_one_worker_process_fails_fast_in_another(fleet):
    fleet.env.update(FLOWKER_BREAKER_FAIL_MAX="3", FLOWKER_BREAKER_RESET_SECONDS="3")
    healthy = {"value": False}
    with ProviderServer() as provider:
        provider.route("POST", "/svc", lambda _b, _h: (200, {}) if healthy["value"] else (503, {}))
        fleet.start_web()
        fleet.start_worker("worker-1")
        fleet.start_scheduler()
        workflow_id, _config = _single_node_workflow(fleet, provider, "/svc", retry={"maxAttempts": 1})
        for _ in range(3):
            assert _run(fleet, workflow_id)["status"] == "failed"
        assert len(provider.calls()) == 3
        fleet.start_worker("worker-2")
        fleet.stop("worker-1")  # from now on only worker-2, which never saw a failure, runs nodes
        for _ in range(3):
            result = _run(fleet, workflow_id)
            assert result["status"] == "failed" and "circuit breaker open" in result["errorMessage"]
        assert len(provider.calls()) == 3, "worker-2 called a provider whose breaker was open"
        healthy["value"] = True
        time.sleep(3.2)
        assert _run(fleet, workflow_id)["status"] == "completed"  # the half-open trial call closes it
        assert _run(fleet, workflow_id)["status"] == "completed"


def test_a_worker_killed_during_a_long_node_is_replaced_and_the_step_shows_both_attempts(fleet):
    with ProviderServer() as provider:
        provider.route("POST", "/slow", lambda _b, _h: (time.sleep(2.5), (200, {"done": True}))[1])
        fleet.start_web()
        fleet.start_worker("victim")
        fleet.start_scheduler()
        workflow_id, _ = _single_node_workflow(fleet, provider, "/slow")
        execution_id = api(fleet, "POST", f"/v1/workflows/{workflow_id}/executions", json={"inputData": {}},
                           headers={"Idempotency-Key": str(uuid.uuid4())}).json()["executionId"]
        deadline = time.monotonic() + 20
        while not provider.calls() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        fleet.kill("victim")
        fleet.start_worker("replacement")
        _wait_all_terminal(fleet, [execution_id], timeout=60)
        results = api(fleet, "GET", f"/v1/executions/{execution_id}/results").json()
        assert results["status"] == "completed"
        [step] = results["stepResults"]
        assert [a["outcome"] for a in step["attempts"]] == ["abandoned", "completed"]
        assert step["attempt"] == 2 and len(provider.calls("POST", "/slow")) == 2
