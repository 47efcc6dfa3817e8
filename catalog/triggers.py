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
            "signing_secret": {"type": "string", "minLength": 16},
            "signature_tolerance_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
            "inputSchema": {"type": "object"},
            "respond": {"enum": ["async", "sync"]},
            "syncTimeoutSeconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
        },
        "additionalProperties": False,
    },
))
register_trigger(TriggerSpec(
    id="schedule", name="Schedule", version="v1",
    description="Started at the slots of a cron expression in an IANA time zone; see docs/triggers.md.",
    schema={
        "$schema": DIALECT,
        "type": "object",
        "required": ["cron"],
        "properties": {
            "triggerType": {"const": "schedule"},
            "cron": {"type": "string", "minLength": 9, "maxLength": 100},
            "timezone": {"type": "string", "default": "UTC"},
            "input": {"type": "object"},
            "catchUp": {"enum": ["skip", "latest", "all"], "default": "skip"},
            "maxCatchUp": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        },
        "additionalProperties": False,
    },
))
