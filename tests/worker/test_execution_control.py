"""Cancel, retry, deadlines and duplicate deliveries."""

from __future__ import annotations

import threading
import time

from core import executions as executions_service
from core.caller import SYSTEM
from core.engine import Engine
from core.models import Execution, Step
from tests.conftest import unique, wait_for
from tests.support.api import active_workflow, edge, executor, provider_config, run_to_end, set_output, start, trigger

CHAIN = ["n1", "n2", "n3", "n4", "n5"]


def _chain(client, config, **extra):
    nodes = [trigger()] + [executor(n, config, f"/{n}", **extra) for n in CHAIN]
    edges = [edge("start", "n1")] + [edge(a, b) for a, b in zip(CHAIN, CHAIN[1:])]
    return active_workflow(client, nodes, edges)


def _status(client, execution_id):
    return client.get(f"/v1/executions/{execution_id}").json["status"]


def test_cancel_in_the_middle_of_a_five_node_run_starts_no_further_call(client, provider):
    def slow(body, _h):
        time.sleep(0.3)
        return 200, {}

    for n in CHAIN:
        provider.route("POST", f"/{n}", slow)
    workflow_id = _chain(client, provider_config(client, provider.url))
    execution_id = start(client, workflow_id, {}).json["executionId"]
    wait_for(lambda: provider.calls("POST", "/n2"), 10, 0.01)
    response = client.post(f"/v1/executions/{execution_id}/cancel")
    answered_at = time.monotonic()
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    time.sleep(1.2)  # long enough for n3..n5 to have run had they been started
    assert [c for c in provider.calls() if c["time"] > answered_at] == []
    assert {c["path"] for c in provider.calls()} == {"/n1", "/n2"}
    assert _status(client, execution_id) == "cancelled"
    again = client.post(f"/v1/executions/{execution_id}/cancel")
    assert again.status_code == 422 and again.json["code"] == "FLK-0511"


def test_retry_of_a_failed_execution_reruns_only_the_failed_node_and_what_follows(client, provider):
    broken = {"value": True}
    provider.route("POST", "/n3", lambda _b, _h: (400, {"error": "bad"}) if broken["value"] else (200, {"fixed": True}))
    workflow_id = _chain(client, provider_config(client, provider.url))
    failed = run_to_end(client, workflow_id, {})
    assert failed["status"] == "failed" and 'node "n3"' in failed["errorMessage"]
    assert client.post(f"/v1/executions/{failed['executionId']}/results").status_code == 405
    broken["value"] = False
    response = client.post(f"/v1/executions/{failed['executionId']}/retry")
    assert response.status_code == 200 and response.json["status"] == "running"
    wait_for(lambda: _status(client, failed["executionId"]) == "completed", 20)
    calls = [c["path"] for c in provider.calls()]
    assert calls.count("/n1") == calls.count("/n2") == 1
    assert calls.count("/n3") == 2 and calls.count("/n4") == calls.count("/n5") == 1
    results = client.get(f"/v1/executions/{failed['executionId']}/results").json
    n3 = next(s for s in results["stepResults"] if s["nodeId"] == "n3")
    assert [a["outcome"] for a in n3["attempts"]] == ["4xx", "manual_retry", "completed"]
    status = client.get(f"/v1/executions/{failed['executionId']}").json
    assert status["currentStepNumber"] == status["totalSteps"] == 5
    again = client.post(f"/v1/executions/{failed['executionId']}/retry")
    assert again.status_code == 422 and again.json["code"] == "FLK-0512"


class _DroppingDispatcher:
    def dispatch(self, execution_id, nodes, delay_ms=0):
        pass


def test_the_same_node_message_delivered_twice_concurrently_calls_the_provider_once(app, client, provider):
    provider.route("POST", "/once", lambda _b, _h: (time.sleep(0.2), (200, {}))[1])
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/once")], [edge("start", "call")])
    output, _ = executions_service.start(workflow_id, {}, unique("key"), SYSTEM, _DroppingDispatcher())
    execution_id = output["executionId"]
    # An engine whose follow-up messages go nowhere, so only these threads run the node.
    engine = Engine(_DroppingDispatcher(), app.extensions["flowker"].settings)
    engine.run_node(execution_id, "start")  # makes "call" ready
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(engine.run_node(execution_id, "call"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("completed") == 1 and len(provider.calls("POST", "/once")) == 1
    assert set(outcomes) - {"completed"} <= {"busy", "duplicate"}


def test_an_execution_past_its_deadline_fails_with_a_timeout_and_no_later_node_runs(client, provider):
    config = provider_config(client, provider.url)
    nodes = [trigger(), {"id": "wait", "type": "action", "data": {"actionType": "delay", "seconds": 2}},
             executor("late", config, "/late")]
    body = {"name": unique(), "timeoutSeconds": 1, "nodes": nodes, "edges": [edge("start", "wait"), edge("wait", "late")]}
    workflow_id = client.post("/v1/workflows", json=body).json["workflowId"]
    assert client.post(f"/v1/workflows/{workflow_id}/activate").status_code == 200
    execution_id = start(client, workflow_id, {}).json["executionId"]
    wait_for(lambda: _status(client, execution_id) == "failed", 10)
    status = client.get(f"/v1/executions/{execution_id}").json
    assert "execution timeout" in status["errorMessage"]
    time.sleep(1.5)  # the delay's message arrives after the deadline and must start nothing
    assert provider.calls() == []
    assert Step.get((Step.execution == execution_id) & (Step.node_id == "wait")).status == "cancelled"
    assert Execution.get_by_id(execution_id).status == "failed"


def test_a_delay_node_waits_without_failing_and_then_continues(client):
    nodes = [trigger(), {"id": "wait", "type": "action", "data": {"actionType": "delay", "seconds": 0.5}}, set_output("o", {"done": True})]
    workflow_id = active_workflow(client, nodes, [edge("start", "wait"), edge("wait", "o")])
    began = time.monotonic()
    result = run_to_end(client, workflow_id, {})
    assert result["status"] == "completed" and result["finalOutput"] == {"done": True}
    assert time.monotonic() - began >= 0.5
    wait = next(s for s in result["stepResults"] if s["nodeId"] == "wait")
    assert wait["output"]["delayedSeconds"] == 0.5


def test_a_deadline_that_passes_during_a_call_fails_the_execution_as_a_timeout(client, provider):
    provider.route("POST", "/slow", lambda _b, _h: (time.sleep(2), (200, {}))[1])
    config = provider_config(client, provider.url)
    nodes = [trigger(), executor("slow", config, "/slow"), executor("after", config, "/after")]
    body = {"name": unique(), "timeoutSeconds": 1, "nodes": nodes, "edges": [edge("start", "slow"), edge("slow", "after")]}
    workflow_id = client.post("/v1/workflows", json=body).json["workflowId"]
    client.post(f"/v1/workflows/{workflow_id}/activate")
    execution_id = start(client, workflow_id, {}).json["executionId"]
    wait_for(lambda: _status(client, execution_id) == "failed", 10)
    assert client.get(f"/v1/executions/{execution_id}").json["errorMessage"].startswith("execution timeout: exceeded its 1s deadline")
    time.sleep(1.5)
    assert provider.calls("POST", "/after") == []


def test_a_step_left_behind_by_a_finished_execution_is_closed_not_resent(app, client, provider):
    from datetime import timedelta

    from core.models import utcnow
    from core.recovery import sweep

    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/x")], [edge("start", "call")])
    output, _ = executions_service.start(workflow_id, {}, unique("key"), SYSTEM, _DroppingDispatcher())
    execution_id = output["executionId"]
    # The worker running the trigger died, then the execution failed by its deadline.
    Step.update(status="running", attempt=1, attempts=[{"attempt": 1, "outcome": "running"}],
                lease_expires_at=utcnow() - timedelta(seconds=1)).where(Step.execution == execution_id).execute()
    Execution.update(status="failed", error_message="execution timeout").where(Execution.id == execution_id).execute()
    engine = Engine(_DroppingDispatcher(), app.extensions["flowker"].settings)
    assert engine.run_node(execution_id, "start") == "terminal"
    step = Step.get(Step.execution == execution_id)
    assert step.status == "cancelled" and step.attempts[0]["outcome"] == "abandoned"
    assert sweep(_DroppingDispatcher(), 0)["redispatched"] == 0
