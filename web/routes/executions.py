"""Executions: start one (``POST /v1/workflows/{id}/executions``), list, get, results."""

from __future__ import annotations

import uuid

from flask import request

from core import control, executions
from core.errors import invalid_id
from core.pagination import parse_page_request
from web.routes.common import Blueprint, caller, document_errors, runtime
from web.schemas import (
    ExecutionCreateOutSchema,
    ExecutionInSchema,
    ExecutionListQuerySchema,
    ExecutionPageSchema,
    ExecutionResultsSchema,
    ExecutionStatusSchema,
)

blp = Blueprint("executions", __name__, description="Runs of workflows")


@blp.route("/v1/workflows/<workflow_id>/executions", methods=["POST"])
@blp.arguments(ExecutionInSchema)
@blp.response(201, ExecutionCreateOutSchema, description="A new execution was started")
@blp.alt_response(200, schema=ExecutionCreateOutSchema, description="Replay: this Idempotency-Key already started an execution with the same body")
@document_errors(blp, 400, 401, 404, 413, 422)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string", "maxLength": 255}}])
def start_execution(body, workflow_id):
    """Start an execution of an active workflow.

    ``Idempotency-Key`` is required and scoped to the workflow: the same key with the same
    body returns the first execution (200); with another body it is refused (422 FLK-0510).
    The body is at most 1 MiB (413 FLK-0506).
    """
    rt = runtime()
    output, created = executions.start(
        workflow_id, body.get("inputData") or {}, request.headers.get("Idempotency-Key"), caller(), rt.dispatcher,
        rt.settings.execution_timeout_seconds,
    )
    return output, 201 if created else 200


@blp.route("/v1/executions", methods=["GET"])
@blp.arguments(ExecutionListQuerySchema, location="query")
@blp.response(200, ExecutionPageSchema)
@document_errors(blp, 400, 401)
def list_executions(_args):
    """List executions, newest first by default; filter by ``workflowId`` and ``status``."""
    workflow_id = request.args.get("workflowId")
    if workflow_id:
        try:
            workflow_id = str(uuid.UUID(workflow_id))
        except ValueError:
            raise invalid_id("workflow") from None
    page = parse_page_request(request.args, executions.SORT_FIELDS, "startedAt")
    return executions.list_executions(workflow_id or None, request.args.get("status"), page)


@blp.route("/v1/executions/<execution_id>", methods=["GET"])
@blp.response(200, ExecutionStatusSchema)
@document_errors(blp, 400, 401, 404)
def get_execution(execution_id):
    """Status and progress of one execution."""
    return executions.get(execution_id)


@blp.route("/v1/executions/<execution_id>/results", methods=["GET"])
@blp.response(200, ExecutionResultsSchema)
@document_errors(blp, 400, 401, 404, 422)
def execution_results(execution_id):
    """Every step's result and the final output of a finished execution (422 FLK-0502
    while it runs)."""
    return executions.results(execution_id)


@blp.route("/v1/executions/<execution_id>/cancel", methods=["POST"])
@blp.response(200, ExecutionStatusSchema)
@document_errors(blp, 400, 401, 404, 422)
def cancel_execution(execution_id):
    """Cancel a pending or running execution: no node starts after this answers; a node
    already calling its provider finishes but nothing follows it (422 FLK-0511 when the
    execution already finished)."""
    row = control.cancel(execution_id, caller())
    return executions.get(row.id)


@blp.route("/v1/executions/<execution_id>/retry", methods=["POST"])
@blp.response(200, ExecutionStatusSchema)
@document_errors(blp, 400, 401, 404, 422)
def retry_execution(execution_id):
    """Continue a failed execution from its failed nodes; completed steps are kept and not
    re-run (422 FLK-0512 unless the execution failed)."""
    rt = runtime()
    row = control.retry(execution_id, caller(), rt.dispatcher, rt.settings.execution_timeout_seconds)
    return executions.get(row.id)
