"""``/v1/catalog``: providers, executors, triggers and templates (read-only), and the two
validate routes."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from core import catalog
from web.routes.common import Blueprint, document_errors

blp = Blueprint("catalog", __name__, url_prefix="/v1/catalog", description="What Flowker can call and start from")


class _ConfigIn(Schema):
    class Meta:
        unknown = EXCLUDE

    config = fields.Dict(metadata={"description": "the executor config to check"})


class _ParamsIn(Schema):
    class Meta:
        unknown = EXCLUDE

    params = fields.Dict(metadata={"description": "the template parameters to check"})


class _Valid(Schema):
    valid = fields.Boolean()


@blp.route("/executors", methods=["GET"])
@blp.response(200)
def list_executors():
    """Executors, sorted by id: ``[{id, name, category, version, providerId}]``."""
    return catalog.list_executors()


@blp.route("/executors/<executor_id>", methods=["GET"])
@blp.response(200)
@document_errors(blp, 404)
def get_executor(executor_id):
    """One executor with its JSON Schema (2020-12) as an object."""
    return catalog.get_executor(executor_id)


@blp.route("/executors/<executor_id>/validate", methods=["POST"])
@blp.arguments(_ConfigIn)
@blp.response(200, _Valid)
@document_errors(blp, 400, 404)
def validate_executor(body, executor_id):
    """Check a config against the executor's schema (formats asserted)."""
    return catalog.validate_executor_config(executor_id, body.get("config"))


@blp.route("/triggers", methods=["GET"])
@blp.response(200)
def list_triggers():
    """Trigger kinds, sorted by id."""
    return catalog.list_triggers()


@blp.route("/triggers/<trigger_id>", methods=["GET"])
@blp.response(200)
@document_errors(blp, 404)
def get_trigger(trigger_id):
    """One trigger kind with its schema."""
    return catalog.get_trigger(trigger_id)


@blp.route("/providers", methods=["GET"])
@blp.response(200)
def list_providers():
    """Providers, sorted by id."""
    return catalog.list_providers()


@blp.route("/providers/<provider_id>", methods=["GET"])
@blp.response(200)
@document_errors(blp, 404)
def get_provider(provider_id):
    """One provider with its ``configSchema``."""
    return catalog.get_provider(provider_id)


@blp.route("/providers/<provider_id>/executors", methods=["GET"])
@blp.response(200)
@document_errors(blp, 404)
def provider_executors(provider_id):
    """The executors of one provider."""
    return catalog.provider_executors(provider_id)


@blp.route("/templates", methods=["GET"])
@blp.response(200)
def list_templates():
    """Workflow templates, sorted by id."""
    return catalog.list_templates()


@blp.route("/templates/<template_id>", methods=["GET"])
@blp.response(200)
@document_errors(blp, 404)
def get_template(template_id):
    """One template; provider-configuration parameters list the active configurations
    (``oneOf`` of ``{const, title}``)."""
    return catalog.get_template(template_id)


@blp.route("/templates/<template_id>/validate", methods=["POST"])
@blp.arguments(_ParamsIn)
@blp.response(200, _Valid)
@document_errors(blp, 400, 404)
def validate_template(body, template_id):
    """Check parameters against the template's schema."""
    return catalog.validate_template_params(template_id, body.get("params"))
