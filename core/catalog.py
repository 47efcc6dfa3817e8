"""The catalog's read side (contract §9): providers, executors, triggers and templates as
plain data, plus validation of executor configs and template parameters and creating a
workflow from a template. Lists are sorted by id; schemas are JSON objects."""

from __future__ import annotations

import json

from core import workflows
from core.caller import Caller
from core.errors import BadRequest, NotFound
from core.executors import EXECUTORS, PROVIDERS, TEMPLATES, TRIGGERS
from core.models import ProviderConfiguration
from core.provider_configs import schema_problem

# Most active configurations listed per template parameter.
MAX_CHOICES = 100


def _executor_summary(spec) -> dict:
    return {"id": spec.id, "name": spec.name, "category": PROVIDERS[spec.provider_id].name if spec.provider_id in PROVIDERS else spec.provider_id,
            "version": spec.version, "providerId": spec.provider_id}


def list_executors() -> list[dict]:
    return [_executor_summary(spec) for _, spec in sorted(EXECUTORS.items())]


def get_executor(executor_id: str) -> dict:
    """Summary + ``schema``; raises 404 FLK-0200."""
    spec = EXECUTORS.get(executor_id)
    if spec is None:
        raise NotFound("FLK-0200", f"executor not found: {executor_id}")
    return {**_executor_summary(spec), "schema": spec.schema}


def validate_executor_config(executor_id: str, config) -> dict:
    """``{"valid": true}`` or 400 FLK-0201 naming the violation; 404 FLK-0200 first."""
    spec = EXECUTORS.get(executor_id)
    if spec is None:
        raise NotFound("FLK-0200", f"executor not found: {executor_id}")
    problem = schema_problem(spec.schema, config if config is not None else {})
    if problem:
        raise BadRequest("FLK-0201", f"invalid config for executor {executor_id}: {problem}")
    return {"valid": True}


def list_triggers() -> list[dict]:
    return [{"id": s.id, "name": s.name, "version": s.version, "description": s.description} for _, s in sorted(TRIGGERS.items())]


def get_trigger(trigger_id: str) -> dict:
    """Summary + ``schema``; raises 404 FLK-0210."""
    spec = TRIGGERS.get(trigger_id)
    if spec is None:
        raise NotFound("FLK-0210", f"trigger not found: {trigger_id}")
    return {"id": spec.id, "name": spec.name, "version": spec.version, "description": spec.description, "schema": spec.schema}


def _provider_summary(spec) -> dict:
    return {"id": spec.id, "name": spec.name, "description": spec.description, "version": spec.version}


def list_providers() -> list[dict]:
    return [_provider_summary(spec) for _, spec in sorted(PROVIDERS.items())]


def get_provider(provider_id: str) -> dict:
    """Summary + ``configSchema``; raises 404 FLK-0230."""
    spec = PROVIDERS.get(provider_id)
    if spec is None:
        raise NotFound("FLK-0230", f"provider not found: {provider_id}")
    return {**_provider_summary(spec), "configSchema": spec.config_schema}


def provider_executors(provider_id: str) -> list[dict]:
    """Executors of one provider; raises 404 FLK-0230."""
    if provider_id not in PROVIDERS:
        raise NotFound("FLK-0230", f"provider not found: {provider_id}")
    return [_executor_summary(s) for _, s in sorted(EXECUTORS.items()) if s.provider_id == provider_id]


def _template_summary(spec) -> dict:
    return {"id": spec.id, "name": spec.name, "description": spec.description, "version": spec.version, "category": spec.category}


def list_templates() -> list[dict]:
    return [_template_summary(spec) for _, spec in sorted(TEMPLATES.items())]


def _template(template_id: str):
    spec = TEMPLATES.get(template_id)
    if spec is None:
        raise NotFound("FLK-0240", f"template not found: {template_id}")
    return spec


def get_template(template_id: str) -> dict:
    """Summary + ``paramSchema`` in which each provider-configuration parameter lists the
    active configurations of its provider as ``oneOf: [{const: id, title: name}]`` (first 100
    by name). With none, the parameter is left as is and says so in its description."""
    spec = _template(template_id)
    schema = json.loads(json.dumps(spec.param_schema))  # no shared sub-objects between parameters
    for param, provider_id in spec.provider_params.items():
        rows = (
            ProviderConfiguration.select(ProviderConfiguration.id, ProviderConfiguration.name)
            .where((ProviderConfiguration.provider_id == provider_id) & (ProviderConfiguration.status == "active"))
            .order_by(ProviderConfiguration.name)
            .limit(MAX_CHOICES)
        )
        choices = [{"const": str(row.id), "title": row.name} for row in rows]
        prop = schema["properties"][param]
        if choices:
            prop["oneOf"] = choices
        else:
            prop["description"] = f"no active {provider_id} provider configuration exists yet; create one first"
    return {**_template_summary(spec), "paramSchema": schema}


def validate_template_params(template_id: str, params) -> dict:
    """``{"valid": true}`` or 400 FLK-0242; 404 FLK-0240 first."""
    spec = _template(template_id)
    problem = schema_problem(spec.param_schema, params if params is not None else {})
    if problem:
        raise BadRequest("FLK-0242", f"invalid params for template {template_id}: {problem}")
    return {"valid": True}


def create_from_template(body: dict, caller: Caller) -> dict:
    """Build a workflow from ``{templateId, params}`` and create it as a draft (the normal
    create path: every save rule applies). ``metadata`` records the template id and version.

    Raises 404 FLK-0240, 400 FLK-0242, then every workflow create error.
    """
    spec = _template(body.get("templateId") or "")
    params = body.get("params") or {}
    validate_template_params(spec.id, params)
    definition = spec.build({**{k: v.get("default") for k, v in spec.param_schema["properties"].items() if "default" in v}, **params})
    definition["metadata"] = {"templateId": spec.id, "templateVersion": spec.version}
    if definition.get("description") is None:
        definition.pop("description", None)
    return workflows.create(definition, caller)
