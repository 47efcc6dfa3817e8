"""Provider configurations (contract §7): create, list, get, PATCH, delete, enable, disable
and the connectivity test.

A configuration holds the connection settings of one catalog provider. ``config`` is
validated against the provider's JSON Schema 2020-12 (formats asserted) plus the provider's
own checks, then split: secret values (``core.secrets``) are encrypted with Fernet into
``secrets`` and replaced by ``"********"`` in the stored ``config``, which is all any response
shows. Lifecycle: created ``active``; ``active -disable-> disabled -enable-> active``.
"""

from __future__ import annotations

import json

import jsonschema
import peewee

from core import audit, db, secrets
from core.caller import Caller
from core.errors import BadRequest, Conflict, NotFound, Unavailable, Unprocessable
from core.executors import PROVIDERS
from core.models import ProviderConfiguration, Workflow, utcnow
from core.pagination import PageRequest, paginate
from core.timefmt import rfc3339

STATUSES = ("active", "disabled")
SORT_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name"}
MAX_NAME_BYTES = 100
MAX_DESCRIPTION = 500


def serialize(row: ProviderConfiguration) -> dict:
    """Output: id, name, description?, providerId, config (secrets masked), status,
    metadata?, createdAt, updatedAt."""
    out = {
        "id": str(row.id),
        "name": row.name,
        "providerId": row.provider_id,
        "config": row.config,
        "status": row.status,
        "createdAt": rfc3339(row.created_at),
        "updatedAt": rfc3339(row.updated_at),
    }
    if row.description:
        out["description"] = row.description
    if row.metadata:
        out["metadata"] = row.metadata
    return out


def plain_config(row: ProviderConfiguration) -> dict:
    """The configuration with its secrets decrypted, for the engine and the test only.
    Raises Unavailable FLK-0802 when no configured key decrypts them."""
    try:
        return secrets.join(row.config, secrets.decrypt(row.secrets))
    except secrets.SecretsError as exc:
        raise Unavailable("FLK-0802", str(exc)) from None


def schema_problem(schema: dict, document) -> str | None:
    """First JSON Schema 2020-12 violation (formats asserted), as ``path: message``."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    # Never echo the offending value: it may be a secret. Key names and schema values are safe.
    if error.validator in ("required", "additionalProperties", "dependentRequired"):
        return f"{where}: {error.message}"
    return f"{where}: invalid value (must satisfy {error.validator} {json.dumps(error.validator_value)[:120]})"


def _check_fields(body: dict, partial: bool) -> None:
    name = body.get("name")
    if not partial or "name" in body:
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("FLK-0295", "name is required")
        if len(name.encode("utf-8")) > MAX_NAME_BYTES:
            raise BadRequest("FLK-0296", f"name must be at most {MAX_NAME_BYTES} bytes")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
        raise BadRequest("FLK-0299", f"description must be text of at most {MAX_DESCRIPTION} characters")
    if not partial or "config" in body:
        if not isinstance(body.get("config"), dict) or not body["config"]:
            raise BadRequest("FLK-0298", "config must be a non-empty object")


def _validated_config(provider, config: dict) -> tuple[dict, str | None]:
    problem = schema_problem(provider.config_schema, config) or provider.check_config(config)
    if problem:
        raise Unprocessable("FLK-0293", f"config does not match provider {provider.id!r}: {problem}")
    public, found = secrets.split(config)
    return public, found


def _get(config_id) -> ProviderConfiguration:
    row = ProviderConfiguration.get_or_none(ProviderConfiguration.id == config_id)
    if row is None:
        raise NotFound("FLK-0290", "provider configuration not found")
    return row


def create(body: dict, caller: Caller) -> dict:
    """Create an active configuration. ``body``: name, description?, providerId, config, metadata?.

    Returns ``{id, name, status, createdAt}``. Raises 400 FLK-0297 (providerId missing),
    404 FLK-0294 (unknown provider), 400 FLK-0295/0296/0298/0299 (field rules), 422 FLK-0293
    (config fails the provider schema), 409 FLK-0291 (name taken).
    """
    if not body.get("providerId"):
        raise BadRequest("FLK-0297", "providerId is required")
    provider = PROVIDERS.get(body["providerId"])
    if provider is None:
        raise NotFound("FLK-0294", f"provider {body['providerId']!r} not found in the catalog")
    _check_fields(body, partial=False)
    public, found = _validated_config(provider, body["config"])
    try:
        with db.transaction():
            row = ProviderConfiguration.create(
                name=body["name"], description=body.get("description"), provider_id=provider.id, config=public,
                secrets=secrets.encrypt(found), status="active", metadata=body.get("metadata") or None,
            )
            audit.record(
                "PROVIDER_CONFIG_CREATED", "CREATE", "provider_config", row.id, caller,
                {"provider_config.name": row.name, "provider_config.provider_id": provider.id},
            )
    except peewee.IntegrityError:
        raise Conflict("FLK-0291", "a provider configuration with this name already exists") from None
    return {"id": str(row.id), "name": row.name, "status": row.status, "createdAt": rfc3339(row.created_at)}


def get(config_id) -> dict:
    """Output with masked config; raises 404 FLK-0290."""
    return serialize(_get(config_id))


def list_configs(status: str | None, provider_id: str | None, page: PageRequest) -> dict:
    """Page of outputs; ``status`` active|disabled and ``providerId`` a catalog id (else 400 FLK-0304)."""
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


def _save(row: ProviderConfiguration, expected_updated_at, caller: Caller, event: str, action: str, metadata: dict) -> None:
    row.updated_at = utcnow()
    try:
        with db.transaction():
            changed = (
                ProviderConfiguration.update(
                    name=row.name, description=row.description, config=row.config, secrets=row.secrets,
                    status=row.status, metadata=row.metadata, updated_at=row.updated_at,
                )
                .where((ProviderConfiguration.id == row.id) & (ProviderConfiguration.updated_at == expected_updated_at))
                .execute()
            )
            if changed != 1:
                raise Conflict("FLK-0350", "the provider configuration was changed by another request; retry")
            audit.record(event, action, "provider_config", row.id, caller, metadata)
    except peewee.IntegrityError:
        raise Conflict("FLK-0291", "a provider configuration with this name already exists") from None


def update(config_id, body: dict, caller: Caller) -> dict:
    """PATCH: name?, description?, config? (replaces the whole config; a secret sent back as
    ``"********"`` keeps its stored value), metadata? (keys upserted). ``providerId`` cannot
    change. Raises 404 FLK-0290, 400 FLK-0295/0296/0298/0299, 422 FLK-0293, 409 FLK-0291/0350.
    """
    row = _get(config_id)
    if "providerId" in body and body["providerId"] != row.provider_id:
        raise BadRequest("FLK-0297", "providerId cannot be changed")
    _check_fields(body, partial=True)
    before = row.updated_at
    if "config" in body:
        provider = PROVIDERS[row.provider_id]
        stored = secrets.decrypt(row.secrets)
        candidate = secrets.join(body["config"], {
            path: value for path, value in stored.items() if secrets.value_at(body["config"], path) == secrets.MASK
        })
        if secrets.MASK in json.dumps(candidate):
            raise Unprocessable("FLK-0293", "config holds the mask \"********\" where no secret is stored; send the real value")
        public, found = _validated_config(provider, candidate)
        row.config, row.secrets = public, secrets.encrypt(found)
    if "name" in body:
        row.name = body["name"]
    if "description" in body:
        row.description = body["description"]
    if body.get("metadata"):
        row.metadata = {**(row.metadata or {}), **body["metadata"]}
    _save(row, before, caller, "PROVIDER_CONFIG_UPDATED", "UPDATE", {"provider_config.name": row.name})
    return serialize(row)


def users(config_id) -> list[str]:
    """Ids of active workflows whose executor nodes use this configuration."""
    wanted = str(config_id)
    found = []
    for workflow in Workflow.select(Workflow.id, Workflow.nodes).where(Workflow.status == "active"):
        if any((node.get("data") or {}).get("providerConfigId") == wanted for node in workflow.nodes or []):
            found.append(str(workflow.id))
    return found


def delete(config_id, caller: Caller) -> None:
    """Delete. Raises 404 FLK-0290, 409 FLK-0288 when an active workflow uses it. The row is
    locked first, so an activation that references it either finishes before (and is seen
    here) or waits and then finds it gone."""
    row = _get(config_id)
    with db.transaction():
        db.lock_for_update(ProviderConfiguration.select().where(ProviderConfiguration.id == row.id)).get_or_none()
        in_use = users(row.id)
        if in_use:
            raise Conflict("FLK-0288", f"provider configuration is used by active workflows: {', '.join(in_use[:5])}")
        if ProviderConfiguration.delete().where(ProviderConfiguration.id == row.id).execute() != 1:
            raise Conflict("FLK-0350", "the provider configuration was changed by another request; retry")
        audit.record("PROVIDER_CONFIG_DELETED", "DELETE", "provider_config", row.id, caller, {"provider_config.id": str(row.id)})


def _transition(config_id, caller: Caller, source: str, target: str, event: str, action: str) -> dict:
    row = _get(config_id)
    if row.status != source:
        raise Unprocessable("FLK-0292", f"cannot {action.lower()} a provider configuration that is {row.status}")
    before = row.updated_at
    row.status = target
    _save(row, before, caller, event, action, {"provider_config.name": row.name})
    return serialize(row)


def enable(config_id, caller: Caller) -> dict:
    """disabled → active. Raises 404 FLK-0290, 422 FLK-0292."""
    return _transition(config_id, caller, "disabled", "active", "PROVIDER_CONFIG_ENABLED", "ENABLE")


def disable(config_id, caller: Caller) -> dict:
    """active → disabled (executions using it then fail). Raises 404 FLK-0290, 422 FLK-0292."""
    return _transition(config_id, caller, "active", "disabled", "PROVIDER_CONFIG_DISABLED", "DISABLE")


def test(config_id, caller: Caller, allow_private: bool) -> dict:
    """Run the provider's three-stage connectivity test (status unchanged).

    Returns TestResult ``{providerConfigId, providerId, overallStatus, durationMs, stages,
    summary, startedAt, completedAt}``. Raises 404 FLK-0290, 422 FLK-0340 (no usable base
    URL), 422 FLK-0341 (address refused by the egress policy or not resolvable).
    """
    row = _get(config_id)
    provider = PROVIDERS[row.provider_id]
    if provider.test is None:
        raise Unprocessable("FLK-0340", f"provider {provider.id!r} has no connectivity test")
    result = provider.test(plain_config(row), allow_private)
    if "error" in result:
        raise Unprocessable(result["error"]["code"], result["error"]["message"])
    with db.transaction():
        audit.record(
            "PROVIDER_CONFIG_TESTED", "TEST", "provider_config", row.id, caller,
            {"provider_config.name": row.name, "overallStatus": result["overallStatus"]},
            "SUCCESS" if result["overallStatus"] == "passed" else "FAILED",
        )
    return {"providerConfigId": str(row.id), "providerId": row.provider_id, **result}
