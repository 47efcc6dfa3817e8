"""Small helpers over the Flask test client for building workflows and running them."""

from __future__ import annotations

import uuid

from tests.conftest import unique, wait_for


def provider_config(client, base_url: str) -> str:
    response = client.post(
        "/v1/provider-configurations",
        json={"name": unique("cfg"), "providerId": "http", "config": {"base_url": base_url}},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def executor(node_id: str, config_id: str, path: str, mapping=None, **extra) -> dict:
    data = {"executorId": "http.request", "providerConfigId": config_id, "method": "POST", "path": path, "timeout": 5}
    if mapping:
        data["inputMapping"] = mapping
    data.update(extra)
    return {"id": node_id, "type": "executor", "data": data}


def trigger(node_id: str = "start") -> dict:
    return {"id": node_id, "type": "trigger", "data": {"triggerType": "manual"}}


def set_output(node_id: str, output: dict) -> dict:
    return {"id": node_id, "type": "action", "data": {"actionType": "set_output", "output": output}}


def edge(source: str, target: str, handle: str | None = None, condition: str | None = None) -> dict:
    out = {"id": f"{source}->{target}", "source": source, "target": target}
    if handle:
        out["sourceHandle"] = handle
    if condition:
        out["condition"] = condition
    return out


def active_workflow(client, nodes: list, edges: list) -> str:
    response = client.post("/v1/workflows", json={"name": unique(), "nodes": nodes, "edges": edges})
    assert response.status_code == 201, response.json
    workflow_id = response.json["workflowId"]
    response = client.post(f"/v1/workflows/{workflow_id}/activate")
    assert response.status_code == 200, response.json
    return workflow_id


def start(client, workflow_id: str, input_data: dict, key: str | None = None):
    return client.post(
        f"/v1/workflows/{workflow_id}/executions",
        json={"inputData": input_data},
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def run_to_end(client, workflow_id: str, input_data: dict, timeout: float = 20.0) -> dict:
    """Start an execution, wait until it is terminal, and return its results."""
    response = start(client, workflow_id, input_data)
    assert response.status_code == 201, response.json
    execution_id = response.json["executionId"]
    wait_for(lambda: client.get(f"/v1/executions/{execution_id}").json["status"] in ("completed", "failed", "cancelled"), timeout)
    return client.get(f"/v1/executions/{execution_id}/results").json
