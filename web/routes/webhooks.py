"""``/v1/webhooks/{path}``: start an execution from an HTTP call (see ``core.webhooks``).
Outside API-key authentication: each route has its own token and signature checks."""

from __future__ import annotations

from flask import make_response, request

from core import webhooks
from core.engine import load_graph
from core.models import Workflow
from web.routes.common import Blueprint, document_errors, runtime

blp = Blueprint("webhooks", __name__, description="Webhook triggers")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _graph(workflow_id):
    workflow = Workflow.get_by_id(workflow_id)
    return load_graph(str(workflow.id), workflow.version)


@blp.route("/v1/webhooks/<path:subpath>", methods=METHODS)
@blp.response(201, description="Execution started (async), or still running after the wait")
@blp.alt_response(200, description="Sync mode: the execution finished; or an Idempotency-Key replay")
@document_errors(blp, 400, 401, 404, 413)
@blp.doc(parameters=[
    {"in": "header", "name": "X-Webhook-Token", "schema": {"type": "string"}},
    {"in": "header", "name": "X-Webhook-Signature", "schema": {"type": "string"}, "description": "t=<unix>,v1=<hex HMAC-SHA256>"},
    {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}},
    {"in": "query", "name": "wait", "schema": {"type": "number", "maximum": 30}},
])
def receive_webhook(subpath):
    """Start the workflow whose webhook trigger has this method and path."""
    rt = runtime()
    call = webhooks.WebhookCall(
        method=request.method, path=subpath, headers=dict(request.headers),
        query={k: v for k, v in request.args.items() if k != "wait"},
        body=request.get_data(cache=True), remote_ip=request.remote_addr or "0.0.0.0", wait=request.args.get("wait"),
    )
    status, body, headers = webhooks.handle(call, rt.dispatcher, rt.settings, _graph)
    response = make_response(body, status)
    response.headers.update(headers)
    return response
