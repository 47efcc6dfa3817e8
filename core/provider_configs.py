"""Provider configurations (minimal part of contract §7): create, get and list.

A configuration holds the connection settings of one catalog provider (for ``http``: a base
URL and headers). ``config`` is validated against the provider's JSON Schema 2020-12 with
formats asserted. Responses mask secret-looking values (header values, and keys such as
``api_key``, ``token``, ``secret``, ``password``) as ``"****"`` plus the last 4 characters.
"""

from __future__ import annotations

import re

import jsonschema
import peewee

from core import audit, db
from core.caller import Caller
from core.errors import BadRequest, Conflict, NotFound, Unprocessable
from core.executors import PROVIDERS
from core.models import ProviderConfiguration
from core.pagination import PageRequest, paginate
from core.timefmt import rfc3339

STATUSES = ("active", "disabled")
SORT_FIELDS = {"createdAt": "created_at"}
_SECRET_KEY = re.compile(r"(pass|secret|token|key|auth|credential|cookie|signature)", re.IGNORECASE)


def mask_value(value) -> str:
    """``"****" + last 4`` for strings longer than 4 characters, ``"********"`` otherwise."""
    if isinstance(value, str) and len(value) > 4:
        return "****" + value[-4:]
    return "********"


def mask_config(config: dict) -> dict:
    """Copy of ``config`` with every header value and every secret-looking key masked."""
    masked = {}
    for key, value in (config or {}).items():
        if key == "headers" and isinstance(value, dict):
            masked[key] = {name: mask_value(v) for name, v in value.items()}
        elif _SECRET_KEY.search(key):
            masked[key] = mask_value(value)
        else:
            masked[key] = value
    return masked


def serialize(row: ProviderConfiguration) -> dict:
    out = {
        "id": str(row.id),
        "name": row.name,
        "providerId": row.provider_id,
        "config": mask_config(row.config),
        "status": row.status,
        "createdAt": rfc3339(row.created_at),
        "updatedAt": rfc3339(row.updated_at),
    }
    if row.description:
        out["description"] = row.description
    if row.metadata:
        out["metadata"] = row.metadata
    return out


def _schema_errors(schema: dict, config: dict) -> str | None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "config"
    return f"{where}: {error.message}"


def create(body: dict, caller: Caller) -> dict:
    """Create an active configuration. ``body``: name, description?, providerId, config, metadata?.

    Returns ``{id, name, status, createdAt}``. Raises 404 FLK-0294 (unknown provider), 422
    FLK-0293 (config fails the provider schema), 400 FLK-0295..0299 (field rules), 409
    FLK-0291 (name taken).
    """
    provider = PROVIDERS.get(body.get("providerId") or "")
    if not body.get("providerId"):
        raise BadRequest("FLK-0297", "providerId is required")
    if provider is None:
        raise NotFound("FLK-0294", f"provider {body.get('providerId')!r} not found in the catalog")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("FLK-0295", "name is required")
    if len(name.encode("utf-8")) > 100:
        raise BadRequest("FLK-0296", "name must be at most 100 bytes")
    if body.get("description") and len(body["description"]) > 500:
        raise BadRequest("FLK-0299", "description must be at most 500 characters")
    config = body.get("config")
    if not isinstance(config, dict) or not config:
        raise BadRequest("FLK-0298", "config must be a non-empty object")
    problem = _schema_errors(provider.config_schema, config) or provider.check_config(config)
    if problem:
        raise Unprocessable("FLK-0293", f"config does not match provider {provider.id!r}: {problem}")
    try:
        with db.transaction():
            row = ProviderConfiguration.create(
                name=name, description=body.get("description"), provider_id=provider.id, config=config,
                status="active", metadata=body.get("metadata") or None,
            )
            audit.record(
                "PROVIDER_CONFIG_CREATED", "CREATE", "provider_config", row.id, caller,
                {"provider_config.name": name, "provider_config.provider_id": provider.id},
            )
    except peewee.IntegrityError:
        raise Conflict("FLK-0291", "a provider configuration with this name already exists") from None
    return {"id": str(row.id), "name": row.name, "status": row.status, "createdAt": rfc3339(row.created_at)}


def get(config_id) -> dict:
    """Output with masked config; raises 404 FLK-0290."""
    row = ProviderConfiguration.get_or_none(ProviderConfiguration.id == config_id)
    if row is None:
        raise NotFound("FLK-0290", "provider configuration not found")
    return serialize(row)


def list_configs(status: str | None, provider_id: str | None, page: PageRequest) -> dict:
    """Page of outputs; ``status`` must be active|disabled (else 400 FLK-0304)."""
    query = ProviderConfiguration.select()
    if status:
        if status not in STATUSES:
            raise BadRequest("FLK-0304", f"status must be one of {', '.join(STATUSES)}")
        query = query.where(ProviderConfiguration.status == status)
    if provider_id:
        if provider_id not in PROVIDERS:
            raise BadRequest("FLK-0304", f"providerId must be one of {', '.join(sorted(PROVIDERS))}")
        query = query.where(ProviderConfiguration.provider_id == provider_id)
    return paginate(query, ProviderConfiguration, page, SORT_FIELDS[page.sort_by], serialize)
