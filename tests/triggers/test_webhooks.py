"""Webhook triggers: routes shared through the database, token, signature, replay, input
schema, idempotency and sync mode."""

from __future__ import annotations

import json
import time

from core.webhooks import sign
from tests.conftest import unique
from tests.support.api import edge, executor, provider_config, set_output

TOKEN = "tok-0123456789abcdef"
SECRET = "sig-secret-0123456789"


def hook(path, **data):
    return {"id": "hook", "type": "trigger", "data": {"triggerType": "webhook", "path": path, "method": "POST", **data}}


def _workflow(client, trigger_node, extra_nodes=None, extra_edges=None):
    nodes = [trigger_node] + (extra_nodes or [set_output("out", {"ok": True, "amount": "${workflow.amount}"})])
    edges = extra_edges or [edge("hook", "out")]
    created = client.post("/v1/workflows", json={"name": unique(), "nodes": nodes, "edges": edges})
    assert created.status_code == 201, created.json
    workflow_id = created.json["workflowId"]
    assert client.post(f"/v1/workflows/{workflow_id}/activate").status_code == 200
    return workflow_id


def _post(client, path, body=b"{}", **headers):
    return client.post(f"/v1/webhooks{path}", data=body, headers=headers, content_type="application/json")


def _wait(client, execution_id):
    for _ in range(200):
        status = client.get(f"/v1/executions/{execution_id}").json["status"]
        if status in ("completed", "failed"):
            return client.get(f"/v1/executions/{execution_id}/results").json
        time.sleep(0.05)
    raise AssertionError("not finished")


def test_a_webhook_starts_the_workflow_with_metadata_and_stops_after_deactivation(client):
    path = f"/{unique('pay')}"
    workflow_id = _workflow(client, hook(path))
    response = _post(client, path + "/", json.dumps({"amount": 7}).encode(), **{"X-Custom": "yes"})
    assert response.status_code == 201 and response.headers["X-Webhook-Workflow-ID"] == workflow_id
    execution_id = response.headers["X-Webhook-Execution-ID"]
    results = _wait(client, execution_id)
    assert results["finalOutput"] == {"ok": True, "amount": 7}
    from core.models import Execution

    meta = Execution.get_by_id(execution_id).input["_webhook"]
    assert meta["method"] == "POST" and meta["headers"]["X-Custom"] == "yes" and meta["remoteIp"]
    assert client.post(f"/v1/workflows/{workflow_id}/deactivate").status_code == 200
    gone = _post(client, path)
    assert gone.status_code == 404 and gone.json["code"] == "FLK-0361"


def test_two_active_workflows_cannot_share_a_route(client):
    path = f"/{unique('dup')}"
    _workflow(client, hook(path))
    nodes = [hook(path), set_output("out", {"a": 1})]
    second = client.post("/v1/workflows", json={"name": unique(), "nodes": nodes, "edges": [edge("hook", "out")]}).json["workflowId"]
    refused = client.post(f"/v1/workflows/{second}/activate")
    assert refused.status_code == 400 and refused.json["code"] == "FLK-0360"
    assert client.get(f"/v1/workflows/{second}").json["status"] == "draft"


def test_the_token_is_checked_and_never_shown(client):
    path = f"/{unique('tok')}"
    workflow_id = _workflow(client, hook(path, verify_token=TOKEN))
    assert _post(client, path).json["code"] == "FLK-0362"
    assert _post(client, path, **{"X-Webhook-Token": "nope"}).status_code == 401
    assert _post(client, path, **{"X-Webhook-Token": TOKEN}).status_code == 201
    shown = client.get(f"/v1/workflows/{workflow_id}").json
    assert TOKEN not in json.dumps(shown) and shown["nodes"][0]["data"]["verify_token"] == "********"


def test_signatures_are_checked_for_time_and_replay(client):
    path = f"/{unique('sig')}"
    _workflow(client, hook(path, signing_secret=SECRET, signature_tolerance_seconds=60))
    body = json.dumps({"amount": 1}).encode()
    now = int(time.time())
    good = f"t={now},v1={sign(SECRET, now, body)}"
    assert _post(client, path, body, **{"X-Webhook-Signature": good}).status_code == 201
    replay = _post(client, path, body, **{"X-Webhook-Signature": good})
    assert replay.status_code == 401 and "replay" in replay.json["message"]
    old = now - 120
    stale = _post(client, path, body, **{"X-Webhook-Signature": f"t={old},v1={sign(SECRET, old, body)}"})
    assert stale.status_code == 401 and "tolerance" in stale.json["message"]
    forged = _post(client, path, body, **{"X-Webhook-Signature": f"t={now},v1={sign('other-secret-000000', now, body)}"})
    assert forged.status_code == 401 and forged.json["code"] == "FLK-0364"
    assert _post(client, path, body).status_code == 401


def test_the_body_must_be_a_json_object_matching_the_input_schema(client):
    path = f"/{unique('schema')}"
    schema = {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "number", "minimum": 0}}}
    _workflow(client, hook(path, inputSchema=schema))
    bad = _post(client, path, json.dumps({"amount": -1}).encode())
    assert bad.status_code == 400 and bad.json["code"] == "FLK-0365" and "amount" in bad.json["message"]
    assert _post(client, path, b"not json").json["code"] == "FLK-0001"
    assert _post(client, path, b"[1, 2]").json["code"] == "FLK-0001"
    assert _post(client, path, json.dumps({"amount": 3}).encode()).status_code == 201


def test_an_idempotency_key_deduplicates_deliveries(client):
    path = f"/{unique('idem')}"
    _workflow(client, hook(path))
    first = _post(client, path, b'{"amount": 1}', **{"Idempotency-Key": "delivery-1"})
    again = _post(client, path, b'{"amount": 1}', **{"Idempotency-Key": "delivery-1", "X-Other": "differs"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json["executionId"] == again.json["executionId"]


def test_sync_mode_returns_the_final_output_or_the_execution_when_too_slow(client, provider):
    path = f"/{unique('sync')}"
    config = provider_config(client, provider.url)
    nodes = [executor("score", config, "/score", [{"source": "workflow.amount", "target": "amount"}]),
             set_output("out", {"score": "${score.body.body.amount}"})]
    _workflow(client, hook(path, respond="sync"), nodes, [edge("hook", "score"), edge("score", "out")])
    done = _post(client, path, b'{"amount": 12}')
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["finalOutput"] == {"score": 12}
    provider.route("POST", "/slow", lambda _b, _h: (time.sleep(1.5), (200, {}))[1])
    slow_path = f"/{unique('slow')}"
    _workflow(client, hook(slow_path), [executor("slow", config, "/slow")], [edge("hook", "slow")])
    started = client.post(f"/v1/webhooks{slow_path}?wait=0.3", data=b"{}", content_type="application/json")
    assert started.status_code == 201 and started.json["status"] in ("pending", "running")


def test_hostile_webhook_requests_get_4xx_never_500(client):
    path = f"/{unique('hostile')}"
    _workflow(client, hook(path, signing_secret=SECRET))
    assert _post(client, path, b"{}", **{"X-Webhook-Signature": f"t={int(time.time())},v1=\xe9\xe9"}).status_code == 401
    plain = f"/{unique('plain')}"
    _workflow(client, hook(plain))
    for body in (b'{"a": 1e999}', b'{"a": "\\ud800"}', b'{"a": "x\\u0000"}', b'{"a": NaN}', b"\xff\xfe"):
        response = _post(client, plain, body)
        assert response.status_code == 400 and response.json["code"] == "FLK-0001", body
    assert client.post(f"/v1/webhooks{plain}?a=%00&%00=1", data=b"{}", content_type="application/json").status_code == 201
    assert client.post("/v1/webhooks/a%00b", data=b"{}", content_type="application/json").status_code == 404
    for wait in ("nan", "-1", "inf", "1_0", "abc"):
        response = client.post(f"/v1/webhooks{plain}?wait={wait}", data=b"{}", content_type="application/json")
        assert response.status_code == 400 and response.json["code"] == "FLK-0304", wait


def test_unusable_webhook_definitions_are_refused_at_save(client):
    for data in ({"path": "y" * 200}, {"path": "/"}, {"path": "/a?b=1"}, {"path": "/a b"}, {"path": "/x", "verify_token": "é" * 20}):
        node = {"id": "hook", "type": "trigger", "data": {"triggerType": "webhook", "method": "POST", **data}}
        response = client.post("/v1/workflows", json={"name": unique(), "nodes": [node, set_output("out", {"a": 1})], "edges": [edge("hook", "out")]})
        assert response.status_code == 400 and response.json["code"] == "FLK-0126", (data, response.json)


def test_a_masked_token_without_a_stored_one_is_refused(client):
    node = hook(f"/{unique('mask')}", verify_token="********")
    created = client.post("/v1/workflows", json={"name": unique(), "nodes": [set_output("out", {"a": 1})], "edges": []}).json
    response = client.put(f"/v1/workflows/{created['workflowId']}", json={"name": unique(), "nodes": [node, set_output("out", {"a": 1})], "edges": [edge("hook", "out")]})
    assert response.status_code == 400 and response.json["code"] == "FLK-0126"


def test_webhook_secrets_are_stored_encrypted(client):
    from core.models import Workflow, WorkflowVersion

    path = f"/{unique('sealed')}"
    workflow_id = _workflow(client, hook(path, verify_token=TOKEN, signing_secret=SECRET))
    stored = str(Workflow.get_by_id(workflow_id).nodes) + str(WorkflowVersion.get(WorkflowVersion.workflow_id == workflow_id).definition)
    assert TOKEN not in stored and SECRET not in stored and "fernet:" in stored
    body = b"{}"
    now = int(time.time())
    ok = _post(client, path, body, **{"X-Webhook-Token": TOKEN, "X-Webhook-Signature": f"t={now},v1={sign(SECRET, now, body)}"})
    assert ok.status_code == 201
    shown = client.get(f"/v1/workflows/{workflow_id}").json["nodes"][0]["data"]
    assert shown["verify_token"] == shown["signing_secret"] == "********"
