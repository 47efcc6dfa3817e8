"""With FLOWKER_API_KEYS set, /v1 routes need a valid X-API-Key; probes stay public, and
the audit trail names the key that made a change."""

from __future__ import annotations

import dataclasses

from core.models import AuditEvent
from tests.conftest import unique
from web.app import create_app


def test_v1_routes_require_a_configured_key_and_probes_do_not(app):
    settings = dataclasses.replace(app.extensions["flowker"].settings, api_keys=("k-one", "k-two"))
    guarded = create_app(settings, app.extensions["flowker"]).test_client()
    missing = guarded.get("/v1/workflows")
    assert missing.status_code == 401 and missing.json == {
        "code": "UNAUTHORIZED", "title": "Unauthorized", "message": "API Key missing or invalid"}
    assert guarded.get("/v1/workflows", headers={"X-API-Key": "wrong"}).status_code == 401
    assert guarded.get("/health").status_code == 200 and guarded.get("/openapi.json").status_code == 200
    created = guarded.post("/v1/workflows", json={"name": unique()}, headers={"X-API-Key": "k-two"})
    assert created.status_code == 201
    event = AuditEvent.get(AuditEvent.resource_id == created.json["workflowId"])
    assert event.actor_type == "api_key" and event.actor_id not in ("k-two", "") and len(event.actor_id) == 12
