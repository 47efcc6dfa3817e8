"""``/v1/executors``: executor configurations and their lifecycle
(``/configure``, ``/test``, ``/activate``, ``/disable``, ``/enable``)."""

from __future__ import annotations

from flask import request
from marshmallow import EXCLUDE, Schema, fields

from core import executor_configs
from core.pagination import parse_page_request
from web.routes.common import Blueprint, caller, document_errors, runtime
from web.schemas import ConnectivityResultSchema, ListQuerySchema

blp = Blueprint("executor_configs", __name__, url_prefix="/v1/executors", description="User-defined HTTP executors")


class EndpointSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String()
    path = fields.String()
    method = fields.String()
    timeout = fields.Float()


class AuthenticationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(metadata={"enum": list(executor_configs.AUTH_TYPES)})
    config = fields.Dict(metadata={"description": "secrets masked in responses"})


class ExecutorConfigInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String()
    description = fields.String()
    baseUrl = fields.String()
    endpoints = fields.List(fields.Nested(EndpointSchema))
    authentication = fields.Nested(AuthenticationSchema)
    metadata = fields.Dict(keys=fields.String())


class ExecutorConfigOutSchema(ExecutorConfigInSchema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": list(executor_configs.STATUSES)})
    createdAt = fields.String(metadata={"format": "date-time"})
    updatedAt = fields.String(metadata={"format": "date-time"})
    lastTestedAt = fields.String(metadata={"format": "date-time"})


class ExecutorConfigPageSchema(Schema):
    items = fields.List(fields.Nested(ExecutorConfigOutSchema))
    nextCursor = fields.String()
    hasMore = fields.Boolean()


class ExecutorConfigListQuerySchema(ListQuerySchema):
    status = fields.String(metadata={"enum": list(executor_configs.STATUSES)})
    sortBy = fields.String(metadata={"enum": ["createdAt", "updatedAt", "name"]})


class ExecutorTestResultSchema(ConnectivityResultSchema):
    executorConfigId = fields.UUID()
    status = fields.String()


@blp.route("", methods=["POST"])
@blp.arguments(ExecutorConfigInSchema)
@blp.response(201, ExecutorConfigOutSchema)
@document_errors(blp, 400, 401, 409)
def create_executor_config(body):
    """Create an ``unconfigured`` executor configuration."""
    return executor_configs.create(body, caller())


@blp.route("", methods=["GET"])
@blp.arguments(ExecutorConfigListQuerySchema, location="query")
@blp.response(200, ExecutorConfigPageSchema)
@document_errors(blp, 400, 401)
def list_executor_configs(_args):
    """List executor configurations (secrets masked)."""
    page = parse_page_request(request.args, executor_configs.SORT_FIELDS, "createdAt")
    return executor_configs.list_configs(request.args.get("status"), page)


@blp.route("/<executor_config_id>", methods=["GET"])
@blp.response(200, ExecutorConfigOutSchema)
@document_errors(blp, 400, 401, 404)
def get_executor_config(executor_config_id):
    """One executor configuration."""
    return executor_configs.get(executor_config_id)


@blp.route("/<executor_config_id>", methods=["PATCH"])
@blp.arguments(ExecutorConfigInSchema)
@blp.response(200, ExecutorConfigOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def update_executor_config(body, executor_config_id):
    """Replace the definition while unconfigured or configured (it becomes unconfigured)."""
    return executor_configs.update(executor_config_id, body, caller())


@blp.route("/<executor_config_id>", methods=["DELETE"])
@blp.response(204)
@document_errors(blp, 400, 401, 404, 409, 422)
def delete_executor_config(executor_config_id):
    """Delete while unconfigured, configured or disabled."""
    executor_configs.delete(executor_config_id, caller())
    return None


def _transition(name: str, doc: str):
    def view(executor_config_id):
        return getattr(executor_configs, name)(executor_config_id, caller())

    view.__name__ = f"{name}_executor_config"
    view.__doc__ = doc
    decorated = document_errors(blp, 400, 401, 404, 409, 422)(view)
    decorated = blp.response(200, ExecutorConfigOutSchema)(decorated)
    blp.route(f"/<executor_config_id>/{name}", methods=["POST"])(decorated)


_transition("configure", "unconfigured → configured (base URL, endpoints and authentication complete).")
_transition("activate", "tested → active.")
_transition("disable", "active → disabled.")
_transition("enable", "disabled → active.")


@blp.route("/<executor_config_id>/test", methods=["POST"])
@blp.response(200, ExecutorTestResultSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def test_executor_config(executor_config_id):
    """Three-stage test of the first endpoint; passing moves configured → tested."""
    return executor_configs.test(executor_config_id, caller(), runtime().settings.allow_private_networks)
