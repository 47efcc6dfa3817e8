"""Trigger kinds: ``manual`` (the executions API) and ``webhook`` (an HTTP route)."""

from __future__ import annotations

from catalog.schemas import DIALECT
from core.executors import TriggerSpec, register_trigger

register_trigger(TriggerSpec(
    id="manual", name="Manual", version="v1",
    description="Started through POST /v1/workflows/{id}/executions with an Idempotency-Key.",
    schema={"$schema": DIALECT, "type": "object", "properties": {"triggerType": {"const": "manual"}}},
))
register_trigger(TriggerSpec(
    id="webhook", name="Webhook", version="v1",
    description="Started by a request to /v1/webhooks/{path} with the given method.",
    schema={
        "$schema": DIALECT,
        "type": "object",
        "required": ["path", "method"],
        "properties": {
            "triggerType": {"const": "webhook"},
            "path": {"type": "string", "minLength": 1, "maxLength": 200},
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "verify_token": {"type": "string", "minLength": 16},
        },
        "additionalProperties": False,
    },
))
