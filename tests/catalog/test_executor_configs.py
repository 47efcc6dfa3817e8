"""Executor configurations: the lifecycle through explicit routes, and a node that calls an
active configuration's named endpoint."""

from __future__ import annotations

import base64

from tests.conftest import unique
from tests.support.api import active_workflow, edge, run_to_end, trigger


def _body(provider, **extra):
    return {
        "name": unique("exec"), "baseUrl": provider.url + "/api",
        "endpoints": [{"name": "score", "path": "/score", "method": "post", "timeout": 5}, {"name": "ping", "path": "/ping", "method": "GET"}],
        "authentication": {"type": "basic", "config": {"username": "svc", "password": "pw-secret-77"}},
        **extra,
    }


def test_the_lifecycle_runs_through_explicit_routes_and_refuses_illegal_moves(client, provider):
    provider.route("GET", "/api/score", lambda _b, h: (200, {}) if h.get("Authorization") else (401, {}))
    created = client.post("/v1/executors", json=_body(provider))
    assert created.status_code == 201 and created.json["status"] == "unconfigured"
    assert created.json["authentication"]["config"]["password"] == "********"
    assert created.json["endpoints"][0]["method"] == "POST"
    config_id = created.json["id"]
    for route in ("test", "activate", "disable", "enable"):
        refused = client.post(f"/v1/executors/{config_id}/{route}")
        assert refused.status_code == 422 and refused.json["code"] == "FLK-0252", route
    assert client.post(f"/v1/executors/{config_id}/configure").json["status"] == "configured"
    tested = client.post(f"/v1/executors/{config_id}/test")
    assert tested.status_code == 200 and tested.json["overallStatus"] == "passed" and tested.json["status"] == "tested"
    assert client.patch(f"/v1/executors/{config_id}", json=_body(provider)).json["code"] == "FLK-0252"
    assert client.post(f"/v1/executors/{config_id}/activate").json["status"] == "active"
    assert client.delete(f"/v1/executors/{config_id}").json["code"] == "FLK-0252"
    assert client.post(f"/v1/executors/{config_id}/disable").json["status"] == "disabled"
    assert client.post(f"/v1/executors/{config_id}/enable").json["status"] == "active"
    got = client.get(f"/v1/executors/{config_id}").json
    assert got["lastTestedAt"].endswith("Z") and "pw-secret-77" not in str(got)


def test_field_errors_are_400_with_their_codes(client, provider):
    cases = [
        ({"name": ""}, "FLK-0260"),
        ({"baseUrl": "ftp://x"}, "FLK-0263"),
        ({"endpoints": [{"name": "a", "path": "/a", "method": "FETCH"}]}, "FLK-0273"),
        ({"endpoints": [{"name": "a", "path": "http://evil/a", "method": "GET"}]}, "FLK-0271"),
        ({"authentication": {"type": "magic"}}, "FLK-0269"),
    ]
    for change, code in cases:
        response = client.post("/v1/executors", json={**_body(provider), **change})
        assert response.status_code == 400 and response.json["code"] == code, (change, response.json)
    name = unique("dup")
    assert client.post("/v1/executors", json={**_body(provider), "name": name}).status_code == 201
    assert client.post("/v1/executors", json={**_body(provider), "name": name}).json["code"] == "FLK-0251"


def test_a_node_calls_the_named_endpoint_of_an_active_configuration(client, provider):
    provider.route("GET", "/api/score", lambda _b, _h: (200, {}))
    provider.route("POST", "/api/score", lambda body, _h: (200, {"score": body["amount"] * 2}))
    config_id = client.post("/v1/executors", json=_body(provider)).json["id"]
    for route in ("configure", "test", "activate"):
        assert client.post(f"/v1/executors/{config_id}/{route}").status_code == 200, route
    node = {"id": "score", "type": "executor", "data": {
        "executorConfigId": config_id, "endpointName": "score", "inputMapping": [{"source": "workflow.amount", "target": "amount"}]}}
    workflow_id = active_workflow(client, [trigger(), node], [edge("start", "score")])
    result = run_to_end(client, workflow_id, {"amount": 21})
    assert result["status"] == "completed" and result["stepResults"][0]["output"]["body"] == {"score": 42}
    call = provider.calls("POST", "/api/score")[0]
    assert call["headers"]["Authorization"] == "Basic " + base64.b64encode(b"svc:pw-secret-77").decode()
    missing = {"id": "x", "type": "executor", "data": {"executorConfigId": config_id, "endpointName": "nope"}}
    response = client.post("/v1/workflows", json={"name": unique(), "nodes": [trigger(), missing], "edges": [edge("start", "x")]})
    assert response.status_code == 400 and response.json["code"] == "FLK-0153"


def test_incomplete_authentication_is_refused_at_configure_not_at_test(client, provider):
    body = _body(provider, authentication={"type": "bearer", "config": {}})
    config_id = client.post("/v1/executors", json=body).json["id"]
    refused = client.post(f"/v1/executors/{config_id}/configure")
    assert refused.status_code == 400 and refused.json["code"] == "FLK-0266"


def test_endpoint_paths_that_leave_the_base_url_are_refused(client, provider):
    for path in ("//evil.test/x", "/\\evil.test", "/../../landing", "/a/%2e%2e/b"):
        body = _body(provider, endpoints=[{"name": "e", "path": path, "method": "GET"}])
        response = client.post("/v1/executors", json=body)
        assert response.status_code == 400 and response.json["code"] == "FLK-0271", path


def test_an_executor_configuration_used_by_an_active_workflow_cannot_be_disabled_or_deleted(client, provider):
    provider.route("GET", "/api/score", lambda _b, _h: (200, {}))
    config_id = client.post("/v1/executors", json=_body(provider)).json["id"]
    for route in ("configure", "test", "activate"):
        client.post(f"/v1/executors/{config_id}/{route}")
    node = {"id": "s", "type": "executor", "data": {"executorConfigId": config_id, "endpointName": "score"}}
    workflow_id = active_workflow(client, [trigger(), node], [edge("start", "s")])
    refused = client.post(f"/v1/executors/{config_id}/disable")
    assert refused.status_code == 409 and refused.json["code"] == "FLK-0254" and workflow_id in refused.json["message"]
    client.post(f"/v1/workflows/{workflow_id}/deactivate")
    assert client.post(f"/v1/executors/{config_id}/disable").json["status"] == "disabled"
    assert client.delete(f"/v1/executors/{config_id}").status_code == 204
