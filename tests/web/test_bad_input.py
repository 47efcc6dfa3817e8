"""Bad input to the HTTP API is a 4xx with the contract's error body ``{code, title, message}``
(all strings), never a 500, and never leaves a half-written row behind.

Covers malformed and mistyped bodies, path ids, the graph rules checked at save time and at
activation, the lifecycle, execution starts, query values and cursors, routing, body limits
and provider configurations, plus input that no backend can store (NUL characters, lone
surrogates, NaN/Infinity, huge numbers, deeply nested documents) and forged cursors.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from core.provider_configs import plain_config
from core.models import Execution, IdempotencyRecord, ProviderConfiguration, Workflow, WorkflowVersion
from tests.conftest import unique, wait_for
from tests.support.api import active_workflow, edge, executor, provider_config, set_output, trigger

ERROR_KEYS = {"code", "title", "message"}
TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
}
JSON = "application/json"


# ---------------------------------------------------------------------------------------
# Helpers


def assert_error(response, status: int, code: str) -> dict:
    """The response is ``status`` with a JSON body of exactly code/title/message, all strings."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, f"expected {status} {code}, got {response.status_code}: {text[:500]}"
    assert response.mimetype == JSON, f"error body is {response.mimetype}, not JSON: {text[:200]}"
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == ERROR_KEYS, f"error body keys: {body!r}"
    assert all(isinstance(body[key], str) and body[key] for key in ERROR_KEYS), body
    assert body["code"] == code, body
    assert body["title"] == TITLES[status], body
    return body


def workflows_named(name) -> int:
    return Workflow.select().where(Workflow.name == name).count()


def executions_of(workflow_id) -> int:
    return Execution.select().where(Execution.workflow_id == workflow_id).count()


def idempotency_records_of(workflow_id) -> int:
    return IdempotencyRecord.select().where(IdempotencyRecord.workflow_id == workflow_id).count()


def draft(client, nodes=None, edges=None) -> str:
    response = client.post("/v1/workflows", json={"name": unique(), "nodes": nodes or [], "edges": edges or []})
    assert response.status_code == 201, response.json
    return response.json["workflowId"]


def start(client, workflow_id, body=None, key="auto", **kwargs):
    headers = {} if key is None else {"Idempotency-Key": str(uuid.uuid4()) if key == "auto" else key}
    return client.post(f"/v1/workflows/{workflow_id}/executions", json=body if body is not None else {"inputData": {}}, headers=headers, **kwargs)


def simple_graph():
    return [trigger(), set_output("out", {"ok": True})], [edge("start", "out")]


def action(node_id: str) -> dict:
    return set_output(node_id, {"node": node_id})


@pytest.fixture(scope="module")
def api(app):
    return app.test_client()


@pytest.fixture(scope="module")
def config_id(api):
    """An active ``http`` provider configuration (never called: used for save-time checks)."""
    return provider_config(api, "http://127.0.0.1:9")


@pytest.fixture(scope="module")
def active_id(api):
    return active_workflow(api, *simple_graph())


@pytest.fixture()
def draft_id(client):
    return draft(client, *simple_graph())


# ---------------------------------------------------------------------------------------
# Malformed bodies: 400 FLK-0001


BODY_ROUTES = ["create", "update", "execute", "provider-config"]


def _post_raw(client, route, data, content_type, draft_id, active_id):
    path, method = {
        "create": ("/v1/workflows", "POST"),
        "update": (f"/v1/workflows/{draft_id}", "PUT"),
        "execute": (f"/v1/workflows/{active_id}/executions", "POST"),
        "provider-config": ("/v1/provider-configurations", "POST"),
    }[route]
    return client.open(path, method=method, data=data, content_type=content_type, headers={"Idempotency-Key": str(uuid.uuid4())})


def _counts(draft_id, active_id):
    row = Workflow.get_by_id(draft_id)
    return (
        Workflow.select().count(),
        ProviderConfiguration.select().count(),
        executions_of(active_id),
        row.version,
        row.name,
    )


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param("{bad", id="truncated-object"),
        pytest.param('{"name": "x",}', id="trailing-comma"),
        pytest.param("[1, 2]", id="array"),
        pytest.param('"just a string"', id="string"),
        pytest.param("5", id="number"),
        pytest.param("true", id="boolean"),
        pytest.param(b'{"name": "\xff\xfe"}', id="invalid-utf8"),
    ],
)
def test_a_malformed_or_non_object_json_body_is_a_400_with_flk_0001_and_changes_nothing(client, route, data, draft_id, active_id):
    before = _counts(draft_id, active_id)
    assert_error(_post_raw(client, route, data, JSON, draft_id, active_id), 400, "FLK-0001")
    assert _counts(draft_id, active_id) == before


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_a_deeply_nested_json_body_is_a_400_with_flk_0001_not_a_500(client, route, draft_id, active_id):
    depth = 100_000
    data = '{"name": "x", "metadata": ' + '{"a":' * depth + "1" + "}" * depth + "}"
    before = _counts(draft_id, active_id)
    assert_error(_post_raw(client, route, data, JSON, draft_id, active_id), 400, "FLK-0001")
    assert _counts(draft_id, active_id) == before


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_with_a_non_json_content_type_is_a_400_with_flk_0001(client, route, content_type, draft_id, active_id):
    before = _counts(draft_id, active_id)
    data = json.dumps({"name": unique(), "providerId": "http", "config": {"base_url": "http://x.test"}, "inputData": {}})
    assert_error(_post_raw(client, route, data, content_type, draft_id, active_id), 400, "FLK-0001")
    assert _counts(draft_id, active_id) == before


def test_a_json_body_with_a_charset_parameter_is_accepted(client):
    name = unique()
    response = client.post("/v1/workflows", data=json.dumps({"name": name}), content_type="application/json; charset=utf-8")
    assert response.status_code == 201, response.json
    assert workflows_named(name) == 1


# ---------------------------------------------------------------------------------------
# Wrong types: 400 FLK-0001


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": 5}, id="name-number"),
        pytest.param({"name": None}, id="name-null"),
        pytest.param({"name": ["a"]}, id="name-array"),
        pytest.param({"nodes": "x"}, id="nodes-string"),
        pytest.param({"nodes": {"id": "a"}}, id="nodes-object"),
        pytest.param({"nodes": [5]}, id="node-number"),
        pytest.param({"nodes": [{"id": 5, "type": "trigger"}]}, id="node-id-number"),
        pytest.param({"nodes": [{"id": "a", "type": ["trigger"]}]}, id="node-type-array"),
        pytest.param({"nodes": [{"id": "a", "type": "trigger", "position": {"x": "a", "y": 0}}]}, id="position-x-string"),
        pytest.param({"nodes": [{"id": "a", "type": "trigger", "position": {"x": 1.5, "y": 0}}]}, id="position-x-float"),
        pytest.param({"nodes": [{"id": "a", "type": "trigger", "position": "here"}]}, id="position-string"),
        pytest.param({"nodes": [{"id": "a", "type": "trigger", "data": "x"}]}, id="node-data-string"),
        pytest.param({"nodes": [{"id": "a", "type": "trigger", "name": "n" * 101}]}, id="node-name-too-long"),
        pytest.param({"edges": "x"}, id="edges-string"),
        pytest.param({"edges": [{"id": "e", "source": "a", "target": "b", "condition": 5}]}, id="edge-condition-number"),
        pytest.param({"edges": [{"id": "e", "source": 1, "target": "b"}]}, id="edge-source-number"),
        pytest.param({"edges": [{"id": "e", "source": "a", "target": "b", "condition": "x" * 501}]}, id="edge-condition-too-long"),
        pytest.param({"description": 5}, id="description-number"),
        pytest.param({"description": "d" * 501}, id="description-too-long"),
        pytest.param({"metadata": [1]}, id="metadata-array"),
    ],
)
def test_a_wrongly_typed_workflow_field_is_a_400_with_flk_0001_and_writes_nothing(client, body):
    name = unique()
    before = Workflow.select().count()
    assert_error(client.post("/v1/workflows", json={"name": name, **body}), 400, "FLK-0001")
    assert workflows_named(name) == 0
    assert Workflow.select().count() == before


@pytest.mark.parametrize("body", [{"name": 5}, {"nodes": "x"}, {"edges": [{"id": "e", "condition": 5}]}])
def test_a_wrongly_typed_field_on_update_is_a_400_with_flk_0001_and_the_draft_is_unchanged(client, draft_id, body):
    before = client.get(f"/v1/workflows/{draft_id}").json
    assert_error(client.put(f"/v1/workflows/{draft_id}", json={"name": unique(), **body}), 400, "FLK-0001")
    assert client.get(f"/v1/workflows/{draft_id}").json == before


@pytest.mark.parametrize("body", [{"inputData": [1]}, {"inputData": "x"}, {"inputData": 5}, {"inputData": None}])
def test_a_non_object_input_data_is_a_400_with_flk_0001_and_starts_nothing(client, active_id, body):
    before = executions_of(active_id), idempotency_records_of(active_id)
    assert_error(start(client, active_id, body), 400, "FLK-0001")
    assert (executions_of(active_id), idempotency_records_of(active_id)) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": 5, "providerId": "http", "config": {"base_url": "http://x.test"}}, id="name-number"),
        pytest.param({"providerId": ["http"], "config": {"base_url": "http://x.test"}}, id="provider-array"),
        pytest.param({"providerId": "http", "config": [1]}, id="config-array"),
        pytest.param({"providerId": "http", "config": "http://x.test"}, id="config-string"),
        pytest.param({"providerId": "http", "config": {"base_url": "http://x.test"}, "metadata": "m"}, id="metadata-string"),
    ],
)
def test_a_wrongly_typed_provider_configuration_field_is_a_400_with_flk_0001(client, body):
    before = ProviderConfiguration.select().count()
    assert_error(client.post("/v1/provider-configurations", json={"name": unique("cfg"), **body}), 400, "FLK-0001")
    assert ProviderConfiguration.select().count() == before


# ---------------------------------------------------------------------------------------
# Path ids: 400 FLK-0002 when malformed, 404 when unknown


ID_ROUTES = [
    ("GET", "/v1/workflows/{id}", "FLK-0100"),
    ("PUT", "/v1/workflows/{id}", "FLK-0100"),
    ("DELETE", "/v1/workflows/{id}", "FLK-0100"),
    ("POST", "/v1/workflows/{id}/clone", "FLK-0100"),
    ("POST", "/v1/workflows/{id}/activate", "FLK-0100"),
    ("POST", "/v1/workflows/{id}/deactivate", "FLK-0100"),
    ("POST", "/v1/workflows/{id}/draft", "FLK-0100"),
    ("POST", "/v1/workflows/{id}/executions", "FLK-0100"),
    ("GET", "/v1/executions/{id}", "FLK-0500"),
    ("GET", "/v1/executions/{id}/results", "FLK-0500"),
    ("GET", "/v1/provider-configurations/{id}", "FLK-0290"),
]


def _call(client, method, path):
    """A request that would succeed but for the id: a valid body and an Idempotency-Key."""
    kwargs = {"headers": {"Idempotency-Key": str(uuid.uuid4())}}
    if method in ("POST", "PUT"):
        kwargs["json"] = {"name": unique(), "inputData": {}}
    return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("method,path,_code", ID_ROUTES, ids=[f"{m} {p}" for m, p, _ in ID_ROUTES])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "%20"])
def test_a_malformed_path_id_is_a_400_with_flk_0002(client, method, path, _code, bad_id):
    before = Workflow.select().count(), Execution.select().count()
    assert_error(_call(client, method, path.format(id=bad_id)), 400, "FLK-0002")
    assert (Workflow.select().count(), Execution.select().count()) == before


@pytest.mark.parametrize("method,path,code", ID_ROUTES, ids=[f"{m} {p}" for m, p, _ in ID_ROUTES])
def test_a_well_formed_but_unknown_id_is_a_404_with_the_resource_code(client, method, path, code):
    unknown = str(uuid.uuid4())
    before = Workflow.select().count(), Execution.select().count()
    assert_error(_call(client, method, path.format(id=unknown)), 404, code)
    assert (Workflow.select().count(), Execution.select().count()) == before
    assert idempotency_records_of(unknown) == 0


@pytest.mark.parametrize("bad_id", ["nope", "1", "00000000-0000-0000-0000"])
def test_a_malformed_workflow_id_filter_on_executions_is_a_400_with_flk_0002(client, bad_id):
    assert_error(client.get(f"/v1/executions?workflowId={bad_id}"), 400, "FLK-0002")


# ---------------------------------------------------------------------------------------
# Graph rules at save time


def _cycle(_cfg):
    return [trigger(), action("a"), action("b")], [edge("start", "a"), edge("a", "b"), edge("b", "a")]


def _too_many_nodes(_cfg):
    return [trigger()] + [action(f"n{i}") for i in range(100)], []


def _too_many_edges(_cfg):
    nodes = [trigger()] + [action(f"n{i}") for i in range(21)]
    edges = [{"id": f"e{i}", "source": "start", "target": f"n{i % 21}"} for i in range(201)]
    return nodes, edges


GRAPH_CASES = [
    pytest.param(_cycle, 400, "FLK-0132", id="cycle"),
    pytest.param(lambda _c: ([trigger(), action("a")], [edge("start", "a"), edge("a", "a")]), 400, "FLK-0131", id="self-loop"),
    pytest.param(lambda _c: ([trigger()], [edge("start", "ghost")]), 400, "FLK-0115", id="edge-to-unknown-node"),
    pytest.param(lambda _c: ([trigger()], [edge("ghost", "start")]), 400, "FLK-0115", id="edge-from-unknown-node"),
    pytest.param(lambda _c: ([trigger()], [{"id": "e", "target": "start"}]), 400, "FLK-0115", id="edge-without-source"),
    pytest.param(lambda _c: ([trigger(), action("a"), action("a")], []), 400, "FLK-0121", id="duplicate-node-ids"),
    pytest.param(lambda _c: ([trigger(), {"type": "action", "data": {}}], []), 400, "FLK-0120", id="missing-node-id"),
    pytest.param(lambda _c: ([trigger(), action("   ")], []), 400, "FLK-0120", id="blank-node-id"),
    pytest.param(lambda _c: ([trigger(), action("n" * 51)], []), 400, "FLK-0120", id="node-id-over-50-chars"),
    pytest.param(lambda _c: ([trigger(), action("a.b")], []), 400, "FLK-0120", id="node-id-with-a-dot"),
    pytest.param(lambda _c: ([trigger(), action("workflow")], []), 400, "FLK-0122", id="reserved-id-workflow"),
    pytest.param(lambda _c: ([trigger(), action("nodes")], []), 400, "FLK-0122", id="reserved-id-nodes"),
    pytest.param(lambda _c: ([trigger(), {"id": "a", "type": "banana"}], []), 400, "FLK-0123", id="unknown-node-type"),
    pytest.param(lambda _c: ([trigger(), {"id": "a"}], []), 400, "FLK-0123", id="missing-node-type"),
    pytest.param(
        lambda _c: ([trigger(), action("a"), action("b")], [{"id": "e", "source": "start", "target": "a"}, {"id": "e", "source": "start", "target": "b"}]),
        400, "FLK-0130", id="duplicate-edge-ids",
    ),
    pytest.param(lambda _c: ([trigger(), action("a")], [{"source": "start", "target": "a"}]), 400, "FLK-0130", id="missing-edge-id"),
    pytest.param(lambda _c: ([trigger(), action("a")], [edge("start", "a", condition="workflow.amount >")]), 400, "FLK-0105", id="edge-condition-does-not-compile"),
    pytest.param(
        lambda _c: ([trigger(), {"id": "c", "type": "conditional", "data": {"condition": "(("}}], [edge("start", "c")]),
        400, "FLK-0105", id="node-condition-does-not-compile",
    ),
    pytest.param(
        lambda _c: ([trigger(), {"id": "c", "type": "conditional", "data": {"condition": 5}}], [edge("start", "c")]),
        400, "FLK-0105", id="node-condition-not-a-string",
    ),
    pytest.param(_too_many_nodes, 400, "FLK-0113", id="101-nodes"),
    pytest.param(_too_many_edges, 400, "FLK-0114", id="201-edges"),
    pytest.param(
        lambda _c: ([trigger(), {"id": "x", "type": "executor", "data": {"providerConfigId": _c}}], [edge("start", "x")]),
        400, "WORKFLOW_INVALID_EXECUTOR_CONFIG", id="executor-without-executor-id",
    ),
    pytest.param(
        lambda _c: ([trigger(), {"id": "x", "type": "executor", "data": {"executorId": "nope.nothing", "providerConfigId": _c}}], [edge("start", "x")]),
        404, "FLK-0104", id="unknown-executor-id",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", timeout="5")], [edge("start", "x")]),
        400, "WORKFLOW_INVALID_EXECUTOR_CONFIG", id="executor-timeout-string",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", method="TELEPORT")], [edge("start", "x")]),
        400, "WORKFLOW_INVALID_EXECUTOR_CONFIG", id="executor-unknown-method",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", "not-a-uuid", "/p")], [edge("start", "x")]),
        400, "FLK-0150", id="provider-config-id-not-a-uuid",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", str(uuid.uuid4()), "/p")], [edge("start", "x")]),
        400, "FLK-0150", id="provider-config-id-unknown",
    ),
    pytest.param(
        lambda _c: ([trigger(), {"id": "x", "type": "executor", "data": {"executorId": "http.request"}}], [edge("start", "x")]),
        400, "FLK-0150", id="provider-config-id-missing",
    ),
    pytest.param(
        lambda _c: ([trigger(), {"id": "o", "type": "action", "data": {"actionType": "set_output", "output": "x"}}], []),
        400, "FLK-0124", id="set-output-not-an-object",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", mapping="x")], [edge("start", "x")]),
        400, "FLK-0140", id="input-mapping-not-a-list",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", mapping=[{"source": "workflow.a", "target": "a", "transformation": {"type": "nope"}}])], [edge("start", "x")]),
        400, "FLK-0140", id="input-mapping-unknown-transformation",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", outputMapping={"a": 1})], [edge("start", "x")]),
        400, "FLK-0141", id="output-mapping-not-a-list",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", transforms=[1])], [edge("start", "x")]),
        400, "FLK-0142", id="transforms",
    ),
    pytest.param(
        lambda _c: ([trigger(), {"id": "x", "type": "executor", "data": {"executorId": ["http.request"], "providerConfigId": _c}}], [edge("start", "x")]),
        400, "WORKFLOW_INVALID_EXECUTOR_CONFIG", id="executor-id-an-array",
    ),
    pytest.param(
        lambda _c: ([trigger(), {"id": "x", "type": "executor", "data": {"executorId": {"id": "http.request"}, "providerConfigId": _c}}], [edge("start", "x")]),
        400, "WORKFLOW_INVALID_EXECUTOR_CONFIG", id="executor-id-an-object",
    ),
    pytest.param(
        lambda _c: ([trigger(), executor("x", _c, "/p", mapping=[{"source": "workflow.a", "target": "a", "transformation": {"type": ["add_prefix"]}}])], [edge("start", "x")]),
        400, "FLK-0140", id="input-mapping-transformation-type-an-array",
    ),
]
UPDATE_CASES = [case for case in GRAPH_CASES if case.id in {"cycle", "edge-to-unknown-node", "duplicate-node-ids", "edge-condition-does-not-compile", "unknown-executor-id"}]


@pytest.mark.parametrize("build,status,code", GRAPH_CASES)
def test_a_graph_that_breaks_a_save_rule_is_refused_at_create_and_writes_no_workflow(client, config_id, build, status, code):
    name = unique()
    nodes, edges = build(config_id)
    before = Workflow.select().count()
    assert_error(client.post("/v1/workflows", json={"name": name, "nodes": nodes, "edges": edges}), status, code)
    assert workflows_named(name) == 0
    assert Workflow.select().count() == before
    names = {item["name"] for item in client.get("/v1/workflows?limit=100").json["items"]}
    assert name not in names


@pytest.mark.parametrize("build,status,code", UPDATE_CASES)
def test_a_graph_that_breaks_a_save_rule_is_refused_at_update_and_the_draft_is_unchanged(client, config_id, draft_id, build, status, code):
    before = client.get(f"/v1/workflows/{draft_id}").json
    nodes, edges = build(config_id)
    assert_error(client.put(f"/v1/workflows/{draft_id}", json={"name": unique(), "nodes": nodes, "edges": edges}), status, code)
    assert client.get(f"/v1/workflows/{draft_id}").json == before


@pytest.mark.parametrize(
    "name,code",
    [
        pytest.param("", "FLK-0110", id="empty"),
        pytest.param("   ", "FLK-0110", id="blank"),
        pytest.param(None, "FLK-0110", id="missing"),
        pytest.param("a" * 101, "FLK-0111", id="101-ascii-bytes"),
        pytest.param("é" * 50 + "a", "FLK-0111", id="101-bytes-in-51-characters"),
    ],
)
def test_a_bad_workflow_name_is_refused_at_create_and_writes_nothing(client, name, code):
    before = Workflow.select().count()
    body = {"nodes": [trigger()]} if name is None else {"name": name, "nodes": [trigger()]}
    assert_error(client.post("/v1/workflows", json=body), 400, code)
    assert Workflow.select().count() == before
    if name is not None:
        assert workflows_named(name) == 0


def test_a_100_byte_multibyte_name_is_accepted(client):
    name = "é" * 45 + uuid.uuid4().hex[:10]
    assert len(name.encode()) == 100
    assert client.post("/v1/workflows", json={"name": name}).status_code == 201
    assert workflows_named(name) == 1


def test_a_duplicate_workflow_name_is_a_409_with_flk_0101_and_only_the_first_exists(client):
    name = unique()
    assert client.post("/v1/workflows", json={"name": name}).status_code == 201
    assert_error(client.post("/v1/workflows", json={"name": name, "nodes": [trigger()]}), 409, "FLK-0101")
    assert workflows_named(name) == 1
    assert Workflow.get(Workflow.name == name).nodes == []


def test_renaming_a_draft_to_a_taken_name_is_a_409_with_flk_0101_and_the_draft_is_unchanged(client, draft_id):
    taken = unique()
    assert client.post("/v1/workflows", json={"name": taken}).status_code == 201
    before = client.get(f"/v1/workflows/{draft_id}").json
    assert_error(client.put(f"/v1/workflows/{draft_id}", json={"name": taken}), 409, "FLK-0101")
    assert client.get(f"/v1/workflows/{draft_id}").json == before
    assert workflows_named(taken) == 1


@pytest.mark.parametrize(
    "name,status,code",
    [
        pytest.param("", 400, "FLK-0110", id="empty"),
        pytest.param(None, 400, "FLK-0110", id="missing"),
        pytest.param("a" * 101, 400, "FLK-0111", id="101-bytes"),
        pytest.param(5, 400, "FLK-0001", id="number"),
        pytest.param("taken", 409, "FLK-0101", id="taken"),
    ],
)
def test_a_bad_clone_name_is_refused_and_writes_nothing(client, draft_id, name, status, code):
    if name == "taken":
        name = Workflow.get_by_id(draft_id).name
    before = Workflow.select().count()
    assert_error(client.post(f"/v1/workflows/{draft_id}/clone", json={} if name is None else {"name": name}), status, code)
    assert Workflow.select().count() == before


# ---------------------------------------------------------------------------------------
# Activation rules and lifecycle: 422


def _conditional(handle=None):
    nodes = [trigger(), {"id": "c", "type": "conditional", "data": {"condition": "workflow.amount > 10"}}, action("a")]
    return nodes, [edge("start", "c"), edge("c", "a", handle=handle)]


@pytest.mark.parametrize(
    "nodes,edges,code",
    [
        pytest.param([], [], "FLK-0112", id="no-nodes"),
        pytest.param([action("a"), action("b")], [edge("a", "b")], "FLK-0116", id="no-trigger"),
        pytest.param([trigger(), action("a"), action("b")], [edge("start", "a")], "FLK-0117", id="unreachable-node"),
        pytest.param(*_conditional(), "FLK-0118", id="conditional-edge-without-source-handle"),
        pytest.param(*_conditional("maybe"), "FLK-0118", id="conditional-edge-with-bad-source-handle"),
        pytest.param([trigger(), {"id": "c", "type": "conditional", "data": {}}], [edge("start", "c")], "FLK-0119", id="conditional-without-condition"),
    ],
)
def test_activating_a_graph_that_cannot_run_is_a_422_and_the_workflow_stays_draft(client, nodes, edges, code):
    workflow_id = draft(client, nodes, edges)
    assert_error(client.post(f"/v1/workflows/{workflow_id}/activate"), 422, code)
    workflow = client.get(f"/v1/workflows/{workflow_id}").json
    assert workflow["status"] == "draft" and workflow["version"] == 1
    assert WorkflowVersion.select().where(WorkflowVersion.workflow_id == workflow_id).count() == 0


@pytest.mark.parametrize("action_name", ["deactivate", "draft"])
def test_an_invalid_transition_from_draft_is_a_422_with_flk_0102(client, draft_id, action_name):
    assert_error(client.post(f"/v1/workflows/{draft_id}/{action_name}"), 422, "FLK-0102")
    assert client.get(f"/v1/workflows/{draft_id}").json["status"] == "draft"


@pytest.mark.parametrize("action_name", ["activate", "draft"])
def test_an_invalid_transition_from_active_is_a_422_with_flk_0102(client, action_name):
    workflow_id = active_workflow(client, *simple_graph())
    assert_error(client.post(f"/v1/workflows/{workflow_id}/{action_name}"), 422, "FLK-0102")
    assert client.get(f"/v1/workflows/{workflow_id}").json["status"] == "active"


def test_updating_an_active_workflow_is_a_422_with_flk_0103_and_changes_nothing(client):
    workflow_id = active_workflow(client, *simple_graph())
    before = client.get(f"/v1/workflows/{workflow_id}").json
    assert_error(client.put(f"/v1/workflows/{workflow_id}", json={"name": unique(), "nodes": [trigger()]}), 422, "FLK-0103")
    assert client.get(f"/v1/workflows/{workflow_id}").json == before


def test_deleting_an_active_workflow_is_a_422_with_flk_0103_and_it_still_exists(client):
    workflow_id = active_workflow(client, *simple_graph())
    assert_error(client.delete(f"/v1/workflows/{workflow_id}"), 422, "FLK-0103")
    assert client.get(f"/v1/workflows/{workflow_id}").json["status"] == "active"


def test_updating_an_inactive_workflow_is_a_422_with_flk_0103(client):
    workflow_id = active_workflow(client, *simple_graph())
    assert client.post(f"/v1/workflows/{workflow_id}/deactivate").status_code == 200
    assert_error(client.put(f"/v1/workflows/{workflow_id}", json={"name": unique()}), 422, "FLK-0103")
    assert client.get(f"/v1/workflows/{workflow_id}").json["status"] == "inactive"


# ---------------------------------------------------------------------------------------
# Starting executions


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("k" * 256, id="256-chars"),
        pytest.param(" " + "k" * 256 + " ", id="256-chars-padded"),
    ],
)
def test_a_missing_blank_or_too_long_idempotency_key_is_a_400_with_flk_0509(client, active_id, key):
    before = executions_of(active_id), idempotency_records_of(active_id)
    assert_error(start(client, active_id, key=key), 400, "FLK-0509")
    assert (executions_of(active_id), idempotency_records_of(active_id)) == before


def test_a_255_character_idempotency_key_is_accepted(client, active_id):
    key = uuid.uuid4().hex + "k" * 223
    assert len(key) == 255
    response = start(client, active_id, key=key)
    assert response.status_code == 201, response.json


def test_reusing_an_idempotency_key_with_another_body_is_a_422_with_flk_0510(client, active_id):
    key = str(uuid.uuid4())
    assert start(client, active_id, {"inputData": {"amount": 1}}, key=key).status_code == 201
    before = executions_of(active_id)
    assert_error(start(client, active_id, {"inputData": {"amount": 2}}, key=key), 422, "FLK-0510")
    assert executions_of(active_id) == before


@pytest.mark.parametrize("state", ["draft", "inactive"])
def test_starting_a_workflow_that_is_not_active_is_a_422_with_flk_0501(client, state):
    if state == "draft":
        workflow_id = draft(client, *simple_graph())
    else:
        workflow_id = active_workflow(client, *simple_graph())
        assert client.post(f"/v1/workflows/{workflow_id}/deactivate").status_code == 200
    assert_error(start(client, workflow_id), 422, "FLK-0501")
    assert executions_of(workflow_id) == 0
    assert idempotency_records_of(workflow_id) == 0


def test_an_execution_body_over_1_mib_is_a_413_with_flk_0506_and_starts_nothing(client, active_id):
    before = executions_of(active_id), idempotency_records_of(active_id)
    response = start(client, active_id, {"inputData": {"blob": "x" * (1024 * 1024 + 10)}})
    assert_error(response, 413, "FLK-0506")
    assert (executions_of(active_id), idempotency_records_of(active_id)) == before


def test_an_execution_body_just_under_1_mib_is_accepted(client, active_id):
    response = start(client, active_id, {"inputData": {"blob": "x" * (1024 * 1024 - 100)}})
    assert response.status_code == 201, response.json


def test_asking_for_the_results_of_a_running_execution_is_a_422_with_flk_0502(client, provider):
    provider.route("POST", "/slow", lambda body, headers: (time.sleep(1.0), (200, {"ok": True}))[1])
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/slow")], [edge("start", "call")])
    response = start(client, workflow_id, {"inputData": {"amount": 1}})
    assert response.status_code == 201, response.json
    execution_id = response.json["executionId"]
    assert_error(client.get(f"/v1/executions/{execution_id}/results"), 422, "FLK-0502")
    assert client.get(f"/v1/executions/{execution_id}").json["status"] in ("pending", "running")
    # Let it finish while the provider is still up.
    wait_for(lambda: client.get(f"/v1/executions/{execution_id}").json["status"] in ("completed", "failed"), 20)
    assert client.get(f"/v1/executions/{execution_id}/results").status_code == 200


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_the_non_json_numbers_nan_and_infinity_are_a_400_with_flk_0001_and_write_nothing(client, draft_id, active_id, route, literal):
    """NaN/Infinity are Python extensions, not JSON."""
    _assert_refused_without_writes(client, draft_id, active_id, lambda c, d, a: _post_raw(c, route, _number_body(literal), JSON, d, a))


def _number_body(literal: str) -> str:
    """A body for any of BODY_ROUTES with ``literal`` as a number in every free-form object."""
    return (
        '{"name": "%s", "metadata": {"v": %s}, "inputData": {"v": %s}, '
        '"providerId": "http", "config": {"base_url": "http://x.test", "extra": %s}}'
    ) % (unique(), literal, literal, literal)


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize("literal", ["1e400", "-1e400"])
def test_a_number_beyond_the_double_range_is_a_400_with_flk_0001(client, draft_id, active_id, route, literal):
    _assert_refused_without_writes(client, draft_id, active_id, lambda c, d, a: _post_raw(c, route, _number_body(literal), JSON, d, a))


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_an_integer_with_more_than_4300_digits_is_a_400_with_flk_0001(client, draft_id, active_id, route):
    _assert_refused_without_writes(client, draft_id, active_id, lambda c, d, a: _post_raw(c, route, _number_body("7" * 5000), JSON, d, a))


def test_a_long_but_parseable_integer_and_a_tiny_float_are_accepted(client, active_id):
    response = client.post(
        f"/v1/workflows/{active_id}/executions",
        data='{"inputData": {"big": %s, "tiny": 1e-400}}' % ("7" * 100),
        content_type=JSON,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.json


# ---------------------------------------------------------------------------------------
# Query values and cursors


LISTS = ["/v1/workflows", "/v1/executions", "/v1/provider-configurations"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "query,code",
    [
        pytest.param("limit=abc", "FLK-0304", id="limit-abc"),
        pytest.param("limit=1.5", "FLK-0304", id="limit-float"),
        pytest.param("limit=0", "FLK-0309", id="limit-0"),
        pytest.param("limit=101", "FLK-0309", id="limit-101"),
        pytest.param("limit=-1", "FLK-0309", id="limit-negative"),
        pytest.param("sortOrder=sideways", "FLK-0310", id="sort-order"),
        pytest.param("sortBy=nope", "FLK-0304", id="sort-by"),
        pytest.param("status=nope", "FLK-0304", id="status"),
        pytest.param("cursor=garbage", "INVALID_CURSOR", id="cursor-garbage"),
        pytest.param("cursor=" + base64.urlsafe_b64encode(b"[1,2]").decode(), "INVALID_CURSOR", id="cursor-not-an-object"),
        pytest.param(
            "cursor=" + base64.urlsafe_b64encode(b'{"id":"x","sv":1,"sb":"nope","so":"ASC"}').decode(),
            "INVALID_CURSOR", id="cursor-unknown-sort-field",
        ),
        pytest.param("cursor=%25%25%25", "INVALID_CURSOR", id="cursor-not-base64"),
    ],
)
def test_a_bad_list_query_value_is_a_400_with_its_code(client, path, query, code):
    assert_error(client.get(f"{path}?{query}"), 400, code)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["1", "100"])
def test_the_limit_bounds_are_accepted(client, path, limit):
    response = client.get(f"{path}?limit={limit}")
    assert response.status_code == 200, response.json
    assert set(response.json) == {"items", "nextCursor", "hasMore"}


def _sort_field(path):
    return {"/v1/workflows": "createdAt", "/v1/executions": "startedAt", "/v1/provider-configurations": "createdAt"}[path]


A_TIME = {"t": "2026-01-01T00:00:00"}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"id": "not-a-uuid", "sv": A_TIME}, id="id-not-a-uuid"),
        pytest.param({"id": 5, "sv": A_TIME}, id="id-a-number"),
        pytest.param({"id": str(uuid.uuid4()), "sv": "not-a-time"}, id="sort-value-a-string"),
        pytest.param({"id": str(uuid.uuid4()), "sv": 5}, id="sort-value-a-number"),
        pytest.param({"id": str(uuid.uuid4()), "sv": [1]}, id="sort-value-an-array"),
        pytest.param({"id": str(uuid.uuid4()), "sv": {"t": "yesterday"}}, id="sort-value-a-bad-time"),
        pytest.param({"id": str(uuid.uuid4()), "sv": A_TIME, "so": "UP"}, id="sort-order-unknown"),
    ],
)
def test_a_forged_cursor_with_wrongly_typed_values_is_a_400_invalid_cursor(client, path, forged):
    cursor = {"sb": _sort_field(path), "so": "DESC", **forged}
    encoded = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    assert_error(client.get(f"{path}?cursor={encoded}"), 400, "INVALID_CURSOR")


def test_a_forged_name_cursor_with_a_number_sort_value_is_a_400_invalid_cursor(client):
    cursor = {"id": str(uuid.uuid4()), "sv": 5, "sb": "name", "so": "ASC"}
    encoded = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    assert_error(client.get(f"/v1/workflows?cursor={encoded}"), 400, "INVALID_CURSOR")


def test_an_unknown_provider_id_filter_is_a_400_with_flk_0304(client):
    assert_error(client.get("/v1/provider-configurations?providerId=nope"), 400, "FLK-0304")
    assert client.get("/v1/provider-configurations?providerId=http").status_code == 200


@pytest.mark.parametrize("path", LISTS)
def test_a_cursor_used_with_another_sort_order_is_a_400_invalid_cursor(client, path, active_id):
    # Make sure every list has at least two items so that a cursor is returned.
    provider_config(client, "http://127.0.0.1:9")
    provider_config(client, "http://127.0.0.1:9")
    start(client, active_id)
    start(client, active_id)
    first = client.get(f"{path}?limit=1&sortOrder=ASC")
    assert first.status_code == 200 and first.json["nextCursor"], first.json
    assert_error(client.get(f"{path}?limit=1&sortOrder=DESC&cursor={first.json['nextCursor']}"), 400, "INVALID_CURSOR")


@pytest.mark.parametrize(
    "query",
    ["", "sortOrder=ASC", "sortBy=name&sortOrder=ASC", "sortBy=updatedAt&sortOrder=DESC", "status=draft"],
)
def test_a_real_cursor_pages_through_workflows_without_duplicates(client, query):
    mine = [draft(client) for _ in range(3)]
    seen: list[str] = []
    url = f"/v1/workflows?limit=2&{query}"
    for _ in range(1000):
        response = client.get(url)
        assert response.status_code == 200, response.json
        page = response.json
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        if not page["hasMore"]:
            assert page["nextCursor"] == ""
            break
        assert page["nextCursor"] and len(page["items"]) == 2
        url = f"/v1/workflows?limit=2&{query}&cursor={page['nextCursor']}"
    else:
        pytest.fail("pagination did not end")
    assert len(seen) == len(set(seen)), "a workflow appeared on two pages"
    assert set(mine) <= set(seen)
    expected = Workflow.select().where(Workflow.status == "draft").count() if "status=draft" in query else Workflow.select().count()
    assert len(seen) == expected


def test_the_first_page_of_the_newest_workflows_then_the_next_cursor_give_the_three_new_ones(client):
    mine = [draft(client) for _ in range(3)]
    first = client.get("/v1/workflows?limit=2").json
    second = client.get(f"/v1/workflows?limit=2&cursor={first['nextCursor']}").json
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert first["hasMore"] is True and len(first["items"]) == 2 and len(second["items"]) == 2
    assert len(ids) == len(set(ids)), "the second page repeats an item of the first"
    assert ids[:3] == mine[::-1]


# ---------------------------------------------------------------------------------------
# Routing and body size


@pytest.mark.parametrize("method,path", [("GET", "/v1/nope"), ("GET", "/nope"), ("POST", "/v1/workflows/a/b/c"), ("GET", "/v1/executions/x/y/z")])
def test_an_unknown_route_is_a_404_with_flk_0003(client, method, path):
    assert_error(client.open(path, method=method), 404, "FLK-0003")


@pytest.mark.parametrize(
    "method,path",
    [("DELETE", "/v1/executions"), ("PATCH", "/v1/workflows"), ("DELETE", "/v1/provider-configurations"), ("PUT", "/v1/executions")],
)
def test_a_wrong_method_is_a_405_with_flk_0004(client, method, path):
    assert_error(client.open(path, method=method), 405, "FLK-0004")


@pytest.mark.parametrize("route", ["create", "update", "provider-config"])
def test_any_body_over_4_mib_is_a_413_with_flk_0005_and_writes_nothing(client, route, draft_id, active_id):
    name = unique()
    data = json.dumps({"name": name, "providerId": "http", "config": {"base_url": "http://x.test"}, "description": "x" * (4 * 1024 * 1024 + 10)})
    before = _counts(draft_id, active_id)
    assert_error(_post_raw(client, route, data, JSON, draft_id, active_id), 413, "FLK-0005")
    assert _counts(draft_id, active_id) == before
    assert workflows_named(name) == 0


# ---------------------------------------------------------------------------------------
# Provider configurations


@pytest.mark.parametrize(
    "body,status,code",
    [
        pytest.param({"providerId": "nope", "config": {"base_url": "http://x.test"}}, 404, "FLK-0294", id="unknown-provider"),
        pytest.param({"config": {"base_url": "http://x.test"}}, 400, "FLK-0297", id="missing-provider"),
        pytest.param({"providerId": "http", "config": {"base_url": "not a url"}}, 422, "FLK-0293", id="base-url-not-a-url"),
        pytest.param({"providerId": "http", "config": {"base_url": "ftp://x.test"}}, 422, "FLK-0293", id="base-url-not-http"),
        pytest.param({"providerId": "http", "config": {"headers": {"A": "b"}}}, 422, "FLK-0293", id="base-url-missing"),
        pytest.param({"providerId": "http", "config": {"base_url": "http://x.test", "headers": {"A": 5}}}, 422, "FLK-0293", id="header-not-a-string"),
        pytest.param({"providerId": "http", "config": {"base_url": "http://x.test", "timeout_seconds": 0}}, 422, "FLK-0293", id="timeout-zero"),
        pytest.param({"providerId": "http", "config": {}}, 400, "FLK-0298", id="empty-config"),
        pytest.param({"providerId": "http"}, 400, "FLK-0298", id="missing-config"),
        pytest.param({"providerId": "http", "config": {"base_url": "http://x.test"}, "description": "d" * 501}, 400, "FLK-0299", id="description-too-long"),
    ],
)
def test_a_bad_provider_configuration_is_refused_and_writes_nothing(client, body, status, code):
    name = unique("cfg")
    before = ProviderConfiguration.select().count()
    assert_error(client.post("/v1/provider-configurations", json={"name": name, **body}), status, code)
    assert ProviderConfiguration.select().where(ProviderConfiguration.name == name).count() == 0
    assert ProviderConfiguration.select().count() == before


@pytest.mark.parametrize(
    "name,code",
    [pytest.param(None, "FLK-0295", id="missing"), pytest.param("  ", "FLK-0295", id="blank"), pytest.param("c" * 101, "FLK-0296", id="101-bytes")],
)
def test_a_bad_provider_configuration_name_is_a_400(client, name, code):
    body = {"providerId": "http", "config": {"base_url": "http://x.test"}}
    if name is not None:
        body["name"] = name
    before = ProviderConfiguration.select().count()
    assert_error(client.post("/v1/provider-configurations", json=body), 400, code)
    assert ProviderConfiguration.select().count() == before


def test_a_duplicate_provider_configuration_name_is_a_409_with_flk_0291(client):
    name = unique("cfg")
    body = {"name": name, "providerId": "http", "config": {"base_url": "http://x.test"}}
    assert client.post("/v1/provider-configurations", json=body).status_code == 201
    assert_error(client.post("/v1/provider-configurations", json=body), 409, "FLK-0291")
    assert ProviderConfiguration.select().where(ProviderConfiguration.name == name).count() == 1


def test_provider_configuration_secrets_are_masked_in_get_and_list(client):
    name = unique("cfg")
    config = {"base_url": "http://x.test", "headers": {"Authorization": "Bearer supersecret123"}, "api_token": "tok-supersecret-9876"}
    response = client.post("/v1/provider-configurations", json={"name": name, "providerId": "http", "config": config})
    assert response.status_code == 201, response.json
    assert "supersecret" not in response.get_data(as_text=True)
    one = client.get(f"/v1/provider-configurations/{response.json['id']}")
    assert one.status_code == 200
    assert "supersecret" not in one.get_data(as_text=True)
    assert one.json["config"]["headers"]["Authorization"] == "********"
    assert one.json["config"]["base_url"] == "http://x.test"
    listing = client.get("/v1/provider-configurations?limit=100")
    assert listing.status_code == 200
    assert "supersecret" not in listing.get_data(as_text=True)
    # The secret is stored encrypted, and intact once decrypted.
    row = ProviderConfiguration.get(ProviderConfiguration.name == name)
    assert "supersecret" not in str(row.config) and "supersecret" not in (row.secrets or "")
    assert plain_config(row)["headers"]["Authorization"] == "Bearer supersecret123"


# ---------------------------------------------------------------------------------------
# Strings PostgreSQL cannot store (NUL) and strings no encoder can write (lone surrogates)


NUL = "\u0000"


def _nul_body_requests():
    def create(field):
        def call(client, draft_id, active_id):
            body = {"name": unique(), "description": "d", "metadata": {"m": "v"}, "nodes": [trigger()]}
            if field == "nodes":
                body["nodes"] = [trigger("st" + NUL + "art")]
            elif field == "metadata":
                body["metadata"] = {"m": "v" + NUL}
            else:
                body[field] = body[field] + NUL
            return client.post("/v1/workflows", json=body)
        return call

    def config(where):
        def call(client, draft_id, active_id):
            cfg = {"base_url": "http://x.test", "headers": {"X-Note": "a" + NUL + "b"}} if where == "header" else {"base_url": "http://x.test"}
            name = unique("cfg") + (NUL if where == "name" else "")
            return client.post("/v1/provider-configurations", json={"name": name, "providerId": "http", "config": cfg})
        return call

    return [
        pytest.param(create("name"), id="workflow-name"),
        pytest.param(create("description"), id="workflow-description"),
        pytest.param(create("metadata"), id="workflow-metadata-value"),
        pytest.param(create("nodes"), id="node-id"),
        pytest.param(lambda c, d, a: c.put(f"/v1/workflows/{d}", json={"name": unique() + NUL}), id="update-name"),
        pytest.param(lambda c, d, a: c.post(f"/v1/workflows/{d}/clone", json={"name": unique() + NUL}), id="clone-name"),
        pytest.param(config("name"), id="provider-config-name"),
        pytest.param(config("header"), id="provider-config-header"),
        pytest.param(lambda c, d, a: start(c, a, {"inputData": {"note": "a" + NUL + "b"}}), id="execution-input"),
    ]


def _assert_refused_without_writes(client, draft_id, active_id, call, status=400, code="FLK-0001"):
    before = _counts(draft_id, active_id)
    draft_before = client.get(f"/v1/workflows/{draft_id}").json
    assert_error(call(client, draft_id, active_id), status, code)
    assert _counts(draft_id, active_id) == before
    assert client.get(f"/v1/workflows/{draft_id}").json == draft_before


@pytest.mark.parametrize("call", _nul_body_requests())
def test_a_string_with_a_nul_character_in_a_body_is_a_400_with_flk_0001_and_writes_nothing(client, draft_id, active_id, call):
    _assert_refused_without_writes(client, draft_id, active_id, call)


@pytest.mark.parametrize(
    "route,data",
    [
        pytest.param("create", '{"name": "a\\\\\\u0000b"}', id="workflow-name"),
        pytest.param("execute", '{"inputData": {"note": "\\\\\\u0000"}}', id="execution-input"),
    ],
)
def test_a_nul_escape_after_an_escaped_backslash_is_also_a_400_with_flk_0001(client, draft_id, active_id, route, data):
    _assert_refused_without_writes(client, draft_id, active_id, lambda c, d, a: _post_raw(c, route, data, JSON, d, a))


def test_a_literal_backslash_u0000_text_is_not_mistaken_for_a_nul(client):
    response = client.post("/v1/workflows", data='{"name": "lit\\\\u0000-%s"}' % uuid.uuid4().hex[:8], content_type=JSON)
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    "call,code",
    [
        pytest.param(lambda c, a: start(c, a, key="k" + NUL + uuid.uuid4().hex), "FLK-0509", id="nul-in-idempotency-key"),
        pytest.param(lambda c, a: start(c, a, key="k\t" + uuid.uuid4().hex), "FLK-0509", id="tab-in-idempotency-key"),
        pytest.param(lambda c, a: c.get("/v1/provider-configurations?providerId=http%00"), "FLK-0304", id="nul-in-provider-id-filter"),
    ],
)
def test_a_control_character_in_a_header_or_query_value_is_a_400(client, active_id, call, code):
    before = executions_of(active_id), idempotency_records_of(active_id)
    assert_error(call(client, active_id), 400, code)
    assert (executions_of(active_id), idempotency_records_of(active_id)) == before


@pytest.mark.parametrize(
    "route,data",
    [
        pytest.param("create", '{"name": "a\\ud800b"}', id="workflow-name"),
        pytest.param("execute", '{"inputData": {"note": "\\udc00"}}', id="execution-input"),
        pytest.param("provider-config", '{"name": "c\\ud800", "providerId": "http", "config": {"base_url": "http://x.test"}}', id="provider-config-name"),
    ],
)
def test_a_lone_surrogate_escape_in_a_string_is_a_400_with_flk_0001(client, draft_id, active_id, route, data):
    _assert_refused_without_writes(client, draft_id, active_id, lambda c, d, a: _post_raw(c, route, data, JSON, d, a))
