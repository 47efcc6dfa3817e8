"""``/v1/provider-configurations``: create, list and get (minimal; the full lifecycle comes
with the catalog)."""

from __future__ import annotations

from flask import request

from core import provider_configs
from core.pagination import parse_page_request
from web.routes.common import Blueprint, caller, document_errors
from web.schemas import (
    ProviderConfigCreateOutSchema,
    ProviderConfigInSchema,
    ProviderConfigListQuerySchema,
    ProviderConfigOutSchema,
    ProviderConfigPageSchema,
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
