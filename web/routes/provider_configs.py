"""``/v1/provider-configurations``: create, list, get, PATCH, delete, enable, disable, test."""

from __future__ import annotations

from flask import request

from core import provider_configs
from core.pagination import parse_page_request
from web.routes.common import Blueprint, caller, document_errors, runtime
from web.schemas import (
    ProviderConfigCreateOutSchema,
    ProviderConfigInSchema,
    ProviderConfigListQuerySchema,
    ProviderConfigOutSchema,
    ProviderConfigPageSchema,
    ProviderConfigPatchSchema,
    TestResultSchema,
)

blp = Blueprint(
    "provider_configs", __name__, url_prefix="/v1/provider-configurations",
    description="Connection settings of catalog providers, used by executor nodes",
)


@blp.route("", methods=["POST"])
@blp.arguments(ProviderConfigInSchema)
@blp.response(201, ProviderConfigCreateOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def create_provider_config(body):
    """Create an active provider configuration; ``config`` must match the provider's schema."""
    return provider_configs.create(body, caller())


@blp.route("", methods=["GET"])
@blp.arguments(ProviderConfigListQuerySchema, location="query")
@blp.response(200, ProviderConfigPageSchema)
@document_errors(blp, 400, 401)
def list_provider_configs(_args):
    """List provider configurations (secrets masked)."""
    page = parse_page_request(request.args, provider_configs.SORT_FIELDS, "createdAt")
    return provider_configs.list_configs(request.args.get("status"), request.args.get("providerId"), page)


@blp.route("/<config_id>", methods=["GET"])
@blp.response(200, ProviderConfigOutSchema)
@document_errors(blp, 400, 401, 404)
def get_provider_config(config_id):
    """One provider configuration (secrets masked)."""
    return provider_configs.get(config_id)


@blp.route("/<config_id>", methods=["PATCH"])
@blp.arguments(ProviderConfigPatchSchema)
@blp.response(200, ProviderConfigOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def update_provider_config(body, config_id):
    """Partial update: name, description, config (whole; masked secrets sent back keep their
    values), metadata (merged). ``providerId`` cannot change."""
    return provider_configs.update(config_id, body, caller())


@blp.route("/<config_id>", methods=["DELETE"])
@blp.response(204)
@document_errors(blp, 400, 401, 404, 409)
def delete_provider_config(config_id):
    """Delete; 409 FLK-0288 while an active workflow uses it."""
    provider_configs.delete(config_id, caller())
    return None


@blp.route("/<config_id>/enable", methods=["POST"])
@blp.response(200, ProviderConfigOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def enable_provider_config(config_id):
    """disabled → active."""
    return provider_configs.enable(config_id, caller())


@blp.route("/<config_id>/disable", methods=["POST"])
@blp.response(200, ProviderConfigOutSchema)
@document_errors(blp, 400, 401, 404, 409, 422)
def disable_provider_config(config_id):
    """active → disabled."""
    return provider_configs.disable(config_id, caller())


@blp.route("/<config_id>/test", methods=["POST"])
@blp.response(200, TestResultSchema)
@document_errors(blp, 400, 401, 404, 422)
def test_provider_config(config_id):
    """Three-stage connectivity test (connectivity, authentication, end_to_end)."""
    return provider_configs.test(config_id, caller(), runtime().settings.allow_private_networks)
