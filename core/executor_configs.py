"""Executor configurations (contract §8, completed): a user-defined HTTP executor — base URL,
named endpoints, authentication — with its lifecycle

    unconfigured --configure--> configured --test--> tested --activate--> active ⇄ disabled

Create and PATCH are allowed while ``unconfigured`` or ``configured`` (an edit of a configured
one sends it back to ``unconfigured``, to be configured and tested again); delete while
``unconfigured``, ``configured`` or ``disabled``. An executor node uses an active one with
``{"executorConfigId": id, "endpointName": name}``. Secrets of ``authentication`` are
encrypted at rest and masked in responses, as for provider configurations.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import peewee

from core import audit, db, secrets
from core.caller import Caller
from core.errors import BadRequest, Conflict, NotFound, Unprocessable
from core.executors import ENDPOINTS
from core.models import ExecutorConfiguration, Workflow, utcnow
from core.pagination import PageRequest, paginate
from core.timefmt import rfc3339

STATUSES = ("unconfigured", "configured", "tested", "active", "disabled")
SORT_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
AUTH_TYPES = ("none", "api_key", "bearer", "basic", "oauth2_client_credentials", "oidc_client_credentials")
EDITABLE = ("unconfigured", "configured")
DELETABLE = ("unconfigured", "configured", "disabled")
DEFAULT_ENDPOINT_TIMEOUT_S = 30


def _bad(code: str, message: str) -> BadRequest:
    return BadRequest(code, message)


def serialize(row: ExecutorConfiguration) -> dict:
    """Output: id, name, description?, baseUrl, endpoints, authentication {type, config?
    (masked)}, status, metadata?, createdAt, updatedAt, lastTestedAt?."""
    out = {
        "id": str(row.id), "name": row.name, "baseUrl": row.base_url, "endpoints": row.endpoints or [],
        "authentication": row.authentication or {"type": "none"}, "status": row.status,
        "createdAt": rfc3339(row.created_at), "updatedAt": rfc3339(row.updated_at),
    }
    for key, value in (("description", row.description), ("metadata", row.metadata), ("lastTestedAt", rfc3339(row.last_tested_at))):
        if value:
            out[key] = value
    return out


def plain_auth(row: ExecutorConfiguration) -> dict | None:
    """The authentication block as ``catalog.auth`` expects it, secrets decrypted."""
    auth = secrets.join(row.authentication or {"type": "none"}, secrets.decrypt(row.secrets))
    return {"type": auth.get("type", "none"), **(auth.get("config") or {})}


def _check(body: dict, complete: bool) -> dict:
    """Field rules (FLK-0260..0273). ``complete`` requires everything a run needs."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad("FLK-0260", "name is required")
    if len(name.encode("utf-8")) > 100:
        raise _bad("FLK-0261", "name must be at most 100 bytes")
    if body.get("description") is not None and (not isinstance(body["description"], str) or len(body["description"]) > 500):
        raise _bad("FLK-0267", "description must be text of at most 500 characters")
    base = body.get("baseUrl")
    if base is not None or complete:
        if not isinstance(base, str) or not base:
            raise _bad("FLK-0262", "baseUrl is required")
        try:
            parts = urlsplit(base)
            parts.port
            valid = parts.scheme in ("http", "https") and parts.hostname and not any(c.isspace() for c in base)
        except ValueError:
            valid = False
        if not valid or parts.username is not None:
            raise _bad("FLK-0263", "baseUrl must be an http(s) URL with a host and a valid port, without credentials")
        if len(base) > 500:
            raise _bad("FLK-0264", "baseUrl must be at most 500 characters")
    endpoints = body.get("endpoints")
    if endpoints is not None or complete:
        if not isinstance(endpoints, list) or not endpoints:
            raise _bad("FLK-0265", "at least one endpoint is required")
        names = set()
        for index, endpoint in enumerate(endpoints):
            if not isinstance(endpoint, dict) or not isinstance(endpoint.get("name"), str) or not endpoint["name"]:
                raise _bad("FLK-0270", f"endpoints[{index}].name is required")
            if endpoint["name"] in names:
                raise _bad("FLK-0270", f"endpoint name {endpoint['name']!r} is used twice")
            names.add(endpoint["name"])
            path = endpoint.get("path")
            if not isinstance(path, str) or not path.startswith("/") or ENDPOINTS.check_path(path):
                raise _bad("FLK-0271", f"endpoints[{index}].path must start with / and stay under the base URL")
            method = endpoint.get("method")
            if not isinstance(method, str) or not method:
                raise _bad("FLK-0272", f"endpoints[{index}].method is required")
            if method.upper() not in METHODS:
                raise _bad("FLK-0273", f"endpoints[{index}].method must be one of {', '.join(METHODS)}")
            timeout = endpoint.get("timeout", DEFAULT_ENDPOINT_TIMEOUT_S)
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
                raise _bad("FLK-0271", f"endpoints[{index}].timeout must be seconds in (0, 300]")
            endpoint["method"], endpoint["timeout"] = method.upper(), timeout
    auth = body.get("authentication")
    if auth is not None or complete:
        if not isinstance(auth, dict):
            raise _bad("FLK-0266", "authentication is required")
        if not auth.get("type"):
            raise _bad("FLK-0268", "authentication.type is required")
        if auth["type"] not in AUTH_TYPES:
            raise _bad("FLK-0269", f"authentication.type must be one of {', '.join(AUTH_TYPES)}")
        if not isinstance(auth.get("config", {}), dict):
            raise _bad("FLK-0266", "authentication.config must be an object")
        if complete or auth.get("config"):
            problem = ENDPOINTS.check_auth({"type": auth["type"], **(auth.get("config") or {})})
            if problem and not (not complete and secrets.MASK in json.dumps(auth.get("config"))):
                raise _bad("FLK-0266", f"authentication: {problem}")
    return body


def _get(config_id) -> ExecutorConfiguration:
    row = ExecutorConfiguration.get_or_none(ExecutorConfiguration.id == config_id)
    if row is None:
        raise NotFound("FLK-0250", "executor configuration not found")
    return row


def _apply(row: ExecutorConfiguration, body: dict) -> None:
    row.name = body["name"]
    row.description = body.get("description")
    row.base_url = (body.get("baseUrl") or row.base_url or "").rstrip("/")
    if body.get("endpoints") is not None:
        row.endpoints = [{k: e[k] for k in ("name", "path", "method", "timeout") if k in e} for e in body["endpoints"]]
    if body.get("authentication") is not None:
        stored = secrets.decrypt(row.secrets)
        incoming = {"type": body["authentication"]["type"], "config": body["authentication"].get("config") or {}}
        restored = secrets.join(incoming, {
            path: value for path, value in stored.items() if secrets.value_at(incoming, path) == secrets.MASK
        })
        public, found = secrets.split(restored)
        row.authentication, row.secrets = public, secrets.encrypt(found)
    if body.get("metadata"):
        row.metadata = {**(row.metadata or {}), **body["metadata"]}


def create(body: dict, caller: Caller) -> dict:
    """Create an ``unconfigured`` executor configuration (every field but name optional).
    Raises 400 FLK-0260..0273, 409 FLK-0251."""
    _check(body, complete=False)
    row = ExecutorConfiguration(base_url="", endpoints=[], authentication={"type": "none"}, status="unconfigured")
    _apply(row, body)
    try:
        with db.transaction():
            row.save(force_insert=True)
            audit.record("EXECUTOR_CONFIG_CREATED", "CREATE", "executor_config", row.id, caller, {"executor_config.name": row.name})
    except peewee.IntegrityError:
        raise Conflict("FLK-0251", "an executor configuration with this name already exists") from None
    return serialize(row)


def get(config_id) -> dict:
    """Output; raises 404 FLK-0250."""
    return serialize(_get(config_id))


def list_configs(status: str | None, page: PageRequest) -> dict:
    """Page of outputs; ``status`` one of STATUSES (else 400 FLK-0304)."""
    query = ExecutorConfiguration.select()
    if status:
        if status not in STATUSES:
            raise BadRequest("FLK-0304", f"status must be one of {', '.join(STATUSES)}")
        query = query.where(ExecutorConfiguration.status == status)
    return paginate(query, ExecutorConfiguration, page, SORT_FIELDS[page.sort_by], serialize)


def _store(row: ExecutorConfiguration, expected_status: str, expected_updated, caller: Caller, event: str, action: str) -> None:
    row.updated_at = utcnow()
    try:
        with db.transaction():
            changed = (
                ExecutorConfiguration.update(
                    name=row.name, description=row.description, base_url=row.base_url, endpoints=row.endpoints,
                    authentication=row.authentication, secrets=row.secrets, status=row.status, metadata=row.metadata,
                    updated_at=row.updated_at, last_tested_at=row.last_tested_at,
                )
                .where(
                    (ExecutorConfiguration.id == row.id) & (ExecutorConfiguration.status == expected_status)
                    & (ExecutorConfiguration.updated_at == expected_updated)
                )
                .execute()
            )
            if changed != 1:
                raise Conflict("FLK-0350", "the executor configuration was changed by another request; retry")
            audit.record(event, action, "executor_config", row.id, caller, {"executor_config.name": row.name, "status": row.status})
    except peewee.IntegrityError:
        raise Conflict("FLK-0251", "an executor configuration with this name already exists") from None


def update(config_id, body: dict, caller: Caller) -> dict:
    """PATCH (full replacement of name, description, baseUrl, endpoints, authentication;
    metadata merged) while unconfigured or configured; the result is ``unconfigured``.
    Raises 404 FLK-0250, 422 FLK-0252, 400 FLK-0260..0273, 409 FLK-0251/0350."""
    row = _get(config_id)
    if row.status not in EDITABLE:
        raise Unprocessable("FLK-0252", f"cannot modify executor configuration in status {row.status}")
    _check(body, complete=False)
    source, before = row.status, row.updated_at
    _apply(row, body)
    row.status = "unconfigured"
    _store(row, source, before, caller, "EXECUTOR_CONFIG_UPDATED", "UPDATE")
    return serialize(row)


def users(config_id) -> list[str]:
    """Ids of active workflows whose executor nodes use this configuration."""
    wanted = str(config_id)
    return [
        str(workflow.id) for workflow in Workflow.select(Workflow.id, Workflow.nodes).where(Workflow.status == "active")
        if any((node.get("data") or {}).get("executorConfigId") == wanted for node in workflow.nodes or [])
    ]


def _refuse_if_used(row) -> None:
    in_use = users(row.id)
    if in_use:
        raise Conflict("FLK-0254", f"executor configuration is used by active workflows: {', '.join(in_use[:5])}")


def delete(config_id, caller: Caller) -> None:
    """Delete while unconfigured, configured or disabled and unused by active workflows.
    Raises 404 FLK-0250, 422 FLK-0252, 409 FLK-0254."""
    row = _get(config_id)
    if row.status not in DELETABLE:
        raise Unprocessable("FLK-0252", f"cannot delete executor configuration in status {row.status}")
    with db.transaction():
        db.lock_for_update(ExecutorConfiguration.select().where(ExecutorConfiguration.id == row.id)).get_or_none()
        _refuse_if_used(row)
        deleted = ExecutorConfiguration.delete().where(
            (ExecutorConfiguration.id == row.id) & (ExecutorConfiguration.status == row.status)
        ).execute()
        if deleted != 1:
            raise Conflict("FLK-0350", "the executor configuration was changed by another request; retry")
        audit.record("EXECUTOR_CONFIG_DELETED", "DELETE", "executor_config", row.id, caller, {"executor_config.id": str(row.id)})


def _move(config_id, caller: Caller, source: str, target: str, event: str, action: str, check=None) -> dict:
    row = _get(config_id)
    if row.status != source:
        raise Unprocessable("FLK-0252", f"cannot {action.lower()} an executor configuration that is {row.status}")
    if check:
        check(row)
    before = row.updated_at
    row.status = target
    _store(row, source, before, caller, event, action)
    return serialize(row)


def configure(config_id, caller: Caller) -> dict:
    """unconfigured → configured once base URL, endpoints and authentication are complete
    (authentication checked with its secrets)."""
    def complete(row):
        auth = plain_auth(row)
        plain = {"type": auth.pop("type"), "config": auth}
        _check({"name": row.name, "baseUrl": row.base_url, "endpoints": row.endpoints, "authentication": plain}, True)
    return _move(config_id, caller, "unconfigured", "configured", "EXECUTOR_CONFIG_CONFIGURED", "CONFIGURE", complete)


def test(config_id, caller: Caller, allow_private: bool) -> dict:
    """Test the first endpoint (connectivity, authentication, end_to_end); a passed test moves
    configured → tested and sets lastTestedAt. Raises 404 FLK-0250, 422 FLK-0252 (not
    configured), 422 FLK-0340/0341 (address unusable or refused)."""
    row = _get(config_id)
    if row.status not in ("configured", "tested"):
        raise Unprocessable("FLK-0252", f"cannot test an executor configuration that is {row.status}")
    result = ENDPOINTS.test(row.base_url, row.endpoints[0], plain_auth(row), allow_private)
    if "error" in result:
        raise Unprocessable(result["error"]["code"], result["error"]["message"])
    if result["overallStatus"] == "passed":
        before, source = row.updated_at, row.status
        row.status, row.last_tested_at = "tested", utcnow()
        _store(row, source, before, caller, "EXECUTOR_CONFIG_TESTED", "TEST")
    return {"executorConfigId": str(row.id), "status": row.status, **result}


def activate(config_id, caller: Caller) -> dict:
    """tested → active."""
    return _move(config_id, caller, "tested", "active", "EXECUTOR_CONFIG_ACTIVATED", "ACTIVATE")


def disable(config_id, caller: Caller) -> dict:
    """active → disabled; 409 FLK-0254 while an active workflow uses it."""
    return _move(config_id, caller, "active", "disabled", "EXECUTOR_CONFIG_DISABLED", "DISABLE", _refuse_if_used)


def enable(config_id, caller: Caller) -> dict:
    """disabled → active."""
    return _move(config_id, caller, "disabled", "active", "EXECUTOR_CONFIG_ENABLED", "ENABLE")


def resolve(config_id, endpoint_name: str | None) -> tuple[ExecutorConfiguration, dict]:
    """The active configuration and the named endpoint (default: the first). Raises
    BadRequest FLK-0152 (missing or not active) or FLK-0153 (no such endpoint)."""
    row = ExecutorConfiguration.get_or_none(ExecutorConfiguration.id == config_id)
    if row is None or row.status != "active":
        raise BadRequest("FLK-0152", f"executor configuration {config_id} not found or not active")
    endpoints = row.endpoints or []
    endpoint = next((e for e in endpoints if e["name"] == endpoint_name), None) if endpoint_name else (endpoints or [None])[0]
    if endpoint is None:
        raise BadRequest("FLK-0153", f"executor configuration {config_id} has no endpoint {endpoint_name!r}")
    return row, endpoint
