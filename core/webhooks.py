"""Webhook triggers (contract §6, done across a fleet).

Routes live in the database (``webhook_route``, unique on method + normalised path), written
in the activation's own transaction and removed with deactivation or deletion, so every web
process sees a change at once.

Trigger data: ``{"triggerType": "webhook", "path": "/payments", "method": "POST",
"verify_token"?: T, "signing_secret"?: S, "signature_tolerance_seconds"?: 300,
"inputSchema"?: {JSON Schema}, "respond"?: "async" | "sync", "syncTimeoutSeconds"?: 10}``.

A call is checked in this order: body over 1 MiB → 413 FLK-0363; no route → 404 FLK-0361;
``X-Webhook-Token`` differs (constant-time) → 401 FLK-0362; with a signing secret, the
``X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>``
header must match, be within the tolerance, and not have been used before → 401 FLK-0364;
the body must be a JSON object (empty means ``{}``) → 400 FLK-0001; it must satisfy
``inputSchema`` → 400 FLK-0365. The body becomes the input, with ``_webhook`` metadata
(method, path, headers without credentials, query, remote IP). An ``Idempotency-Key`` header
deduplicates. Answer: 201 with the execution (headers ``X-Webhook-Workflow-ID``,
``X-Webhook-Execution-ID``); in sync mode (``respond: "sync"`` or ``?wait=<seconds>``, at most
30 s) the call waits for the end and answers 200 with the status and final output, or 201 if
the execution is still running when the wait ends.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import peewee

from core import db, executions, jsontext, secrets
from core.caller import Caller
from core.errors import BadRequest, NotFound, PayloadTooLarge, Unauthorized
from core.graph import Graph
from core.models import Execution, WebhookReplay, WebhookRoute, utcnow
from core.provider_configs import schema_problem

MAX_BODY_BYTES = 1024 * 1024
MAX_PATH = 200
# Sync answers waiting at once per process (each holds a server thread).
MAX_WAITERS = 4
_WAITERS = threading.BoundedSemaphore(MAX_WAITERS)
MAX_SYNC_WAIT_S = 30.0
DEFAULT_SYNC_WAIT_S = 10.0
DEFAULT_TOLERANCE_S = 300
_HIDDEN_HEADERS = {"authorization", "x-api-key", "x-webhook-token", "x-webhook-signature", "cookie", "proxy-authorization"}
SECRET_KEYS = ("verify_token", "signing_secret")


def normalize(path: str) -> str:
    """Leading ``/`` added, trailing ``/`` removed; case kept."""
    return "/" + path.strip().strip("/")


def seal_secrets(nodes: list[dict]) -> list[dict]:
    """Webhook tokens and signing secrets encrypted before the definition is stored."""
    sealed = []
    for node in nodes:
        data = node.get("data") or {}
        if node.get("type") == "trigger" and any(isinstance(data.get(k), str) and data[k] for k in SECRET_KEYS):
            data = {**data, **{k: secrets.seal(data[k]) for k in SECRET_KEYS if isinstance(data.get(k), str) and data[k]}}
            node = {**node, "data": data}
        sealed.append(node)
    return sealed


def check_trigger(data: dict) -> str | None:
    """Problems a webhook trigger's schema cannot express, or None."""
    path = data.get("path", "")
    normal = normalize(path)
    if normal == "/" or len(normal) > MAX_PATH or not path.isprintable() or any(c in path for c in "?#%\\ "):
        return f"path must name a route of 1 to {MAX_PATH - 1} printable characters without spaces, '?', '#', '%' or '\\'"
    for key in SECRET_KEYS:
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not value.isascii() or not value.isprintable()):
            return f"{key} must be printable ASCII"
        if isinstance(value, str) and value.startswith(secrets.SEALED_PREFIX):
            continue  # already sealed (a stored value kept through an update or a clone)
    return None


def webhook_triggers(graph: Graph) -> list[dict]:
    return [n for n in graph.nodes.values() if n["type"] == "trigger" and (n.get("data") or {}).get("triggerType") == "webhook"]


def register(workflow_id, graph: Graph) -> None:
    """Insert the routes of a workflow's webhook triggers (inside the activation's
    transaction). Raises BadRequest FLK-0360 when a route belongs to another workflow."""
    for node in webhook_triggers(graph):
        method, path = node["data"]["method"].upper(), normalize(node["data"]["path"])
        taken = WebhookRoute.get_or_none((WebhookRoute.method == method) & (WebhookRoute.path == path))
        if taken is not None:
            raise BadRequest("FLK-0360", f"webhook {method} {path} is already registered by workflow {taken.workflow_id}")
        try:
            with db.database.atomic():
                WebhookRoute.create(method=method, path=path, workflow_id=workflow_id, trigger_node_id=node["id"])
        except peewee.IntegrityError:
            raise BadRequest("FLK-0360", f"webhook {method} {path} is already registered") from None


def unregister(workflow_id) -> None:
    WebhookRoute.delete().where(WebhookRoute.workflow_id == workflow_id).execute()


@dataclass
class WebhookCall:
    """One incoming request, as the web layer read it."""

    method: str
    path: str  # the part after /v1/webhooks/, as sent
    headers: dict
    query: dict
    body: bytes
    remote_ip: str
    wait: str | None = None


def handle(call: WebhookCall, dispatcher, settings, graph_loader) -> tuple[int, dict, dict]:
    """Run the checks above and start (and maybe wait for) the execution.

    Returns (status, body, extra headers). Raises FlowkerErrors with the codes above.
    """
    if len(call.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge("FLK-0363", "webhook body must not exceed 1 MiB")
    if not call.path.isprintable() or len(normalize(call.path)) > MAX_PATH:
        raise NotFound("FLK-0361", "no webhook registered for this path and method")
    route = WebhookRoute.get_or_none((WebhookRoute.method == call.method.upper()) & (WebhookRoute.path == normalize(call.path)))
    if route is None:
        raise NotFound("FLK-0361", "no webhook registered for this path and method")
    graph = graph_loader(route.workflow_id)
    data = graph.nodes[route.trigger_node_id].get("data") or {}
    _verify_token(data, call.headers)
    _verify_signature(data, call)
    payload = _parse(call.body)
    if data.get("inputSchema"):
        problem = schema_problem(data["inputSchema"], payload)
        if problem:
            raise BadRequest("FLK-0365", f"webhook body does not match the trigger's input schema: {problem}")
    payload["_webhook"] = {
        "method": call.method.upper(),
        "path": call.path,
        "headers": {jsontext.clean_text(k): jsontext.clean_text(v) for k, v in call.headers.items() if k.lower() not in _HIDDEN_HEADERS},
        "query": {jsontext.clean_text(k): jsontext.clean_text(v) for k, v in call.query.items()},
        "remoteIp": call.remote_ip,
    }
    key = (call.headers.get("Idempotency-Key") or "").strip()
    caller = Caller("webhook", route.trigger_node_id, call.remote_ip)
    # The fingerprint must not see _webhook (headers differ between retries of one delivery).
    output, created = executions.start(
        route.workflow_id, payload, key or f"webhook:{uuid.uuid4()}", caller, dispatcher,
        settings.execution_timeout_seconds, trigger_node_id=route.trigger_node_id,
        fingerprint_input={k: v for k, v in payload.items() if k != "_webhook"},
    )
    headers = {"X-Webhook-Workflow-ID": output["workflowId"], "X-Webhook-Execution-ID": output["executionId"]}
    wait = _wait_seconds(data, call.wait)
    if wait:
        finished = _wait_for(output["executionId"], wait)
        if finished is not None:
            return 200, finished, headers
    return (201 if created else 200), output, headers


def _bytes(text) -> bytes:
    return str(text).encode("utf-8", errors="surrogateescape")


def _verify_token(data: dict, headers: dict) -> None:
    expected = secrets.unseal(data.get("verify_token"))
    if expected and not hmac.compare_digest(_bytes(headers.get("X-Webhook-Token", "")), _bytes(expected)):
        raise Unauthorized("FLK-0362", "missing or invalid X-Webhook-Token")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value for ``X-Webhook-Signature``: hex HMAC-SHA256 of ``"<t>." + body``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _verify_signature(data: dict, call: WebhookCall) -> None:
    secret = secrets.unseal(data.get("signing_secret"))
    if not secret:
        return
    header = call.headers.get("X-Webhook-Signature", "")
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        stamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise Unauthorized("FLK-0364", "missing or malformed X-Webhook-Signature (t=<unix>,v1=<hex>)") from None
    tolerance = int(data.get("signature_tolerance_seconds", DEFAULT_TOLERANCE_S))
    if abs(time.time() - stamp) > tolerance:
        raise Unauthorized("FLK-0364", f"signature timestamp is outside the {tolerance}s tolerance")
    if not hmac.compare_digest(_bytes(sign(secret, stamp, call.body)), _bytes(given)):
        raise Unauthorized("FLK-0364", "signature does not match the body")
    try:
        with db.transaction():
            WebhookReplay.create(signature=given[:128], expires_at=utcnow() + timedelta(seconds=2 * tolerance))
    except peewee.IntegrityError:
        raise Unauthorized("FLK-0364", "this signed request was already received (replay)") from None


def _parse(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        payload = jsontext.loads(body)
    except jsontext.UnstorableJSON as exc:
        raise BadRequest("FLK-0001", f"webhook body must be a JSON object: {exc}") from None
    if not isinstance(payload, dict):
        raise BadRequest("FLK-0001", "webhook body must be a JSON object")
    return payload


def _wait_seconds(data: dict, requested: str | None) -> float:
    if requested not in (None, ""):
        try:
            seconds = float(requested)
        except ValueError:
            seconds = float("nan")
        if not 0 <= seconds < float("inf") or "_" in requested:
            raise BadRequest("FLK-0304", "wait must be a number of seconds from 0 (at most 30 are used)")
        return min(seconds, MAX_SYNC_WAIT_S)
    if data.get("respond") == "sync":
        return min(float(data.get("syncTimeoutSeconds", DEFAULT_SYNC_WAIT_S)), MAX_SYNC_WAIT_S)
    return 0.0


def _wait_for(execution_id: str, seconds: float) -> dict | None:
    # Only a few requests per process may hold a thread waiting; the rest answer at once.
    if not _WAITERS.acquire(blocking=False):
        return None
    try:
        return _poll(execution_id, seconds)
    finally:
        _WAITERS.release()


def _poll(execution_id: str, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = Execution.get_by_id(execution_id)
        if row.status in ("completed", "failed", "cancelled"):
            out = {"executionId": str(row.id), "workflowId": str(row.workflow_id), "status": row.status}
            if row.final_output is not None:
                out["finalOutput"] = row.final_output
            if row.error_message:
                out["errorMessage"] = row.error_message
            return out
        time.sleep(0.05)
    return None


def purge_replays(now=None) -> int:
    """Forget signatures that can no longer pass the time check."""
    return WebhookReplay.delete().where(WebhookReplay.expires_at < (now or utcnow())).execute()
