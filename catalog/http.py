"""The generic HTTP provider (``http``) and its executor (``http.request``).

Provider configuration: ``base_url`` (http/https with a host), ``headers`` (text values),
``auth`` (``catalog.auth``), ``success_status_codes`` (default: any 2xx). The node gives
``path`` (relative to ``base_url``), ``method`` (default POST), ``query``, ``headers``,
``timeout`` (seconds) and ``successStatusCodes``; the JSON body comes from the node's
``inputMapping`` (or ``transforms``) and is never the whole context.
"""

from __future__ import annotations

from catalog.auth import check_auth, check_url_field, is_clean_text
from catalog.connectivity import make_test
from catalog.transport import OutboundRequest, join_url, send
from core.executors import ExecutorCall, ExecutorResult, ExecutorSpec, ProviderSpec, register_executor, register_provider

AUTH_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": ["none", "api_key", "bearer", "basic", "oauth2_client_credentials", "oidc_client_credentials"]}},
}
STATUS_CODES_SCHEMA = {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}, "minItems": 1}

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["base_url"],
    "properties": {
        "base_url": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 500},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
        "auth": AUTH_SCHEMA,
        "success_status_codes": STATUS_CODES_SCHEMA,
    },
    "additionalProperties": True,
}

EXECUTOR_SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "additionalProperties": True}


def check_base_url(base) -> str | None:
    """An http(s) URL with a host and a valid port, without credentials in it."""
    if not check_url_field(base):
        return "base_url must be an http(s) URL with a host and a valid port, without credentials (use auth)"
    return None


def check_headers(headers) -> str | None:
    for name, value in (headers or {}).items():
        if not isinstance(value, str) or not is_clean_text(name) or not is_clean_text(value):
            return f"header {name!r} must be text without control characters or surrounding spaces"
    return None



def check_config(config: dict) -> str | None:
    """Checks beyond the schema: a usable base URL, clean headers, a usable auth block."""
    return check_base_url(config.get("base_url")) or check_headers(config.get("headers")) or check_auth(config.get("auth"))


def success_codes(config: dict, data: dict) -> tuple[int, ...] | None:
    codes = data.get("successStatusCodes") or config.get("success_status_codes")
    return tuple(codes) if codes else None


def run(call: ExecutorCall) -> ExecutorResult:
    """Make the HTTP call described by ``call``; never raises."""
    config, data = call.provider_config, call.node_data
    try:
        url = join_url(config["base_url"], data.get("path"))
    except ValueError as exc:
        return ExecutorResult(None, str(exc), kind="refused")
    request = OutboundRequest(
        method=str(data.get("method") or "POST"),
        url=url,
        headers={**(config.get("headers") or {}), **(data.get("headers") or {})},
        query=dict(data.get("query") or {}),
        body=call.body,
        auth=config.get("auth"),
        success=success_codes(config, data),
    )
    return send(request, call)


register_provider(
    ProviderSpec(
        id="http",
        name="HTTP",
        description="Any HTTP API: a base URL, headers and authentication; executor nodes give path, method, query and body.",
        version="v1",
        config_schema=CONFIG_SCHEMA,
        check_config=check_config,
        test=make_test(("base_url",), lambda config: (config.get("headers") or {}, config.get("auth"))),
    )
)
register_executor(
    ExecutorSpec(id="http.request", name="HTTP Request", provider_id="http", version="v1", run=run, schema=EXECUTOR_SCHEMA)
)
