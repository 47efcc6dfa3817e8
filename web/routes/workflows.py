"""``/v1/workflows``: create, list, get, update, delete, clone, activate, deactivate, draft."""

from __future__ import annotations

from flask import request

from core import catalog, workflows
from core.pagination import parse_page_request
from web.routes.common import Blueprint, caller, document_errors
from web.schemas import (
    CloneInSchema,
    FromTemplateInSchema,
    WorkflowCreateOutSchema,
    WorkflowInSchema,
    WorkflowListQuerySchema,
    WorkflowOutSchema,
    WorkflowPageSchema,
)

blp = Blueprint("workflows", __name__, url_prefix="/v1/workflows", description="Workflow definitions and their lifecycle")


@blp.route("", methods=["POST"])
@blp.arguments(WorkflowInSchema)
@blp.response(201, WorkflowCreateOutSchema)
@document_errors(blp, 400, 401, 404, 409)
def create_workflow(body):
    """Create a draft workflow.

    Drafts may be incomplete but never malformed: ids unique and present, types valid, edges
    between existing nodes, no cycles, conditions that compile (CEL), executor nodes that
    name a catalog executor and an active provider configuration.
    """
    return workflows.create(body, caller())


@blp.route("/from-template", methods=["POST"])
@blp.arguments(FromTemplateInSchema)
@blp.response(201, WorkflowCreateOutSchema)
@document_errors(blp, 400, 401, 404, 409)
def create_from_template(body):
    """Create a draft from a catalog template and its parameters."""
    return catalog.create_from_template(body, caller())


@blp.route("", methods=["GET"])
@blp.arguments(WorkflowListQuerySchema, location="query")
@blp.response(200, WorkflowPageSchema)
@document_errors(blp, 400, 401)
def list_workflows(_args):
    """List workflows with cursor pagination, newest first by default."""
    page = parse_page_request(request.args, workflows.SORT_FIELDS, "createdAt")
    return workflows.list_workflows(request.args.get("status"), page)


@blp.route("/<workflow_id>", methods=["GET"])
@blp.response(200, WorkflowOutSchema)
@document_errors(blp, 400, 401, 404)
def get_workflow(workflow_id):
    """Get one workflow."""
    return workflows.get(workflow_id)


@blp.route("/<workflow_id>", methods=["PUT"])
@blp.arguments(WorkflowInSchema)
@blp.response(200, WorkflowOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def update_workflow(body, workflow_id):
    """Replace a draft's name, description, nodes and edges (metadata keys are merged)."""
    return workflows.update(workflow_id, body, caller())


@blp.route("/<workflow_id>", methods=["DELETE"])
@blp.response(204)
@document_errors(blp, 400, 401, 404, 409, 422)
def delete_workflow(workflow_id):
    """Delete a draft or inactive workflow (its executions stay)."""
    workflows.delete(workflow_id, caller())
    return None


@blp.route("/<workflow_id>/clone", methods=["POST"])
@blp.arguments(CloneInSchema)
@blp.response(201, WorkflowCreateOutSchema)
@document_errors(blp, 400, 401, 404, 409)
def clone_workflow(body, workflow_id):
    """Copy a workflow, in any status, into a new draft with another name."""
    return workflows.clone(workflow_id, body, caller())


@blp.route("/<workflow_id>/activate", methods=["POST"])
@blp.response(200, WorkflowOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def activate_workflow(workflow_id):
    """draft → active, after full validation (trigger present, every node reachable,
    conditional edges labelled true/false)."""
    return workflows.activate(workflow_id, caller())


@blp.route("/<workflow_id>/deactivate", methods=["POST"])
@blp.response(200, WorkflowOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def deactivate_workflow(workflow_id):
    """active → inactive; running executions finish."""
    return workflows.deactivate(workflow_id, caller())


@blp.route("/<workflow_id>/draft", methods=["POST"])
@blp.response(200, WorkflowOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def draft_workflow(workflow_id):
    """inactive → draft, so it can be edited again."""
    return workflows.to_draft(workflow_id, caller())
