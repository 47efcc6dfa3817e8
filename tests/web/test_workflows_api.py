"""Workflows API: create, get, update, clone, delete and the lifecycle, with audit events."""

from __future__ import annotations

from core.models import AuditEvent, WorkflowVersion
from tests.conftest import unique
from tests.support.api import edge, set_output, trigger


def _body(name=None):
    return {
        "name": name or unique(),
        "description": "screens a payment",
        "nodes": [trigger(), set_output("out", {"ok": True})],
        "edges": [edge("start", "out")],
        "metadata": {"team": "payments"},
    }


def test_create_then_get_returns_the_definition(client):
    body = _body()
    created = client.post("/v1/workflows", json=body)
    assert created.status_code == 201
    assert created.json["status"] == "draft" and created.json["version"] == 1
    got = client.get(f"/v1/workflows/{created.json['workflowId']}").json
    assert got["name"] == body["name"] and got["description"] == "screens a payment"
    assert [n["id"] for n in got["nodes"]] == ["start", "out"] and got["edges"][0]["source"] == "start"
    assert got["metadata"] == {"team": "payments"}
    assert got["createdAt"].endswith("Z")


def test_a_draft_may_be_empty_but_cannot_be_activated(client):
    created = client.post("/v1/workflows", json={"name": unique()})
    assert created.status_code == 201
    activated = client.post(f"/v1/workflows/{created.json['workflowId']}/activate")
    assert activated.status_code == 422 and activated.json["code"] == "FLK-0112"


def test_update_replaces_the_definition_merges_metadata_and_bumps_the_version(client):
    workflow_id = client.post("/v1/workflows", json=_body()).json["workflowId"]
    new_name = unique()
    updated = client.put(f"/v1/workflows/{workflow_id}", json={"name": new_name, "nodes": [trigger()], "metadata": {"owner": "ops"}})
    assert updated.status_code == 200
    assert updated.json["name"] == new_name and updated.json["version"] == 2
    assert [n["id"] for n in updated.json["nodes"]] == ["start"] and updated.json["edges"] == []
    assert "description" not in updated.json
    assert updated.json["metadata"] == {"team": "payments", "owner": "ops"}


def test_the_lifecycle_moves_draft_active_inactive_draft_and_audits_each_step(client):
    workflow_id = client.post("/v1/workflows", json=_body()).json["workflowId"]
    assert client.post(f"/v1/workflows/{workflow_id}/activate").json["status"] == "active"
    assert client.put(f"/v1/workflows/{workflow_id}", json=_body()).json["code"] == "FLK-0103"
    assert client.delete(f"/v1/workflows/{workflow_id}").json["code"] == "FLK-0103"
    assert client.post(f"/v1/workflows/{workflow_id}/draft").json["code"] == "FLK-0102"
    assert client.post(f"/v1/workflows/{workflow_id}/deactivate").json["status"] == "inactive"
    assert client.post(f"/v1/workflows/{workflow_id}/draft").json["status"] == "draft"
    assert client.delete(f"/v1/workflows/{workflow_id}").status_code == 204
    assert client.get(f"/v1/workflows/{workflow_id}").status_code == 404
    events = [e.event_type for e in AuditEvent.select().where(AuditEvent.resource_id == workflow_id).order_by(AuditEvent.id)]
    assert events == ["WORKFLOW_CREATED", "WORKFLOW_ACTIVATED", "WORKFLOW_DEACTIVATED", "WORKFLOW_DRAFTED", "WORKFLOW_DELETED"]
    assert WorkflowVersion.select().where(WorkflowVersion.workflow_id == workflow_id).count() == 1


def test_clone_copies_the_definition_into_a_new_draft(client):
    source = client.post("/v1/workflows", json=_body()).json["workflowId"]
    client.post(f"/v1/workflows/{source}/activate")
    clone_name = unique()
    cloned = client.post(f"/v1/workflows/{source}/clone", json={"name": clone_name})
    assert cloned.status_code == 201 and cloned.json["status"] == "draft"
    copy = client.get(f"/v1/workflows/{cloned.json['workflowId']}").json
    assert copy["name"] == clone_name and len(copy["nodes"]) == 2 and copy["metadata"] == {"team": "payments"}
    assert client.post(f"/v1/workflows/{source}/clone", json={"name": clone_name}).json["code"] == "FLK-0101"


def test_list_filters_by_status_and_pages_without_repeats(client):
    ids = [client.post("/v1/workflows", json=_body()).json["workflowId"] for _ in range(3)]
    client.post(f"/v1/workflows/{ids[0]}/activate")
    active = client.get("/v1/workflows?status=active&limit=100").json["items"]
    assert ids[0] in [w["id"] for w in active] and all(w["status"] == "active" for w in active)
    seen, cursor = [], ""
    for _ in range(100):
        page = client.get(f"/v1/workflows?limit=2&sortBy=name&sortOrder=asc&cursor={cursor}").json
        seen += [w["id"] for w in page["items"]]
        if not page["hasMore"]:
            assert page["nextCursor"] == ""
            break
        cursor = page["nextCursor"]
    assert len(seen) == len(set(seen)) and set(ids) <= set(seen)
    names = [client.get(f"/v1/workflows/{i}").json["name"] for i in seen]
    assert names == sorted(names)
