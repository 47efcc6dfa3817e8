"""Tracer: transaction validation against compliance rules and limits (provider ``tracer``).

Configuration: ``base_url``, ``api_key`` (sent as ``X-API-Key``, as Tracer expects), optional
``headers``, ``success_status_codes``. Executors:

* ``tracer.validate-transaction`` — POST ``{base_url}/v1/validations`` (or the node's
  ``path``) with the validation request; the answer's ``body.decision`` is ALLOW, DENY or
  REVIEW.
* ``tracer.list-validations`` — GET ``{base_url}/v1/validations`` with the filters as query
  parameters.

The request is checked against the executor's schema before it is sent.
"""

from __future__ import annotations

from catalog.auth import is_clean_text
from catalog.connectivity import make_test
from catalog.http import check_base_url, check_headers
from catalog.schemas import DECIMAL, DIALECT, HEADERS, STATUS_CODES, URI, UUID, obj
from catalog.transport import OutboundRequest, join_url, send
from core.executors import ExecutorCall, ExecutorResult, ExecutorSpec, ProviderSpec, executor_input, register_executor, register_provider
from core.provider_configs import schema_problem

CONFIG_SCHEMA = {
    "$schema": DIALECT,
    **obj({"base_url": URI, "api_key": {"type": "string", "minLength": 1}, "headers": HEADERS,
           "success_status_codes": STATUS_CODES}, required=("base_url", "api_key")),
}
_META = {"type": "object"}
VALIDATE_SCHEMA = {
    "$schema": DIALECT,
    **obj(
        {
            "requestId": UUID,
            "transactionType": {"enum": ["CARD", "WIRE", "PIX", "CRYPTO"]},
            "subType": {"type": "string", "maxLength": 50},
            "amount": DECIMAL,
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "transactionTimestamp": {"type": "string", "format": "date-time"},
            "account": obj({"accountId": UUID, "type": {"enum": ["checking", "savings", "credit"]},
                            "status": {"enum": ["active", "suspended", "closed"]}, "metadata": _META},
                           required=("accountId", "type", "status")),
            "segment": obj({"segmentId": UUID, "name": {"type": "string"}, "metadata": _META}),
            "portfolio": obj({"portfolioId": UUID, "name": {"type": "string"}, "metadata": _META}),
            "merchant": obj({"merchantId": UUID, "name": {"type": "string"},
                             "category": {"type": "string", "minLength": 4, "maxLength": 4},
                             "country": {"type": "string", "minLength": 2, "maxLength": 2}, "metadata": _META}),
            "metadata": {"type": "object", "maxProperties": 50, "propertyNames": {"maxLength": 64}},
        },
        required=("requestId", "transactionType", "amount", "currency", "transactionTimestamp", "account"),
    ),
}
LIST_SCHEMA = {
    "$schema": DIALECT,
    **obj(
        {
            "decision": {"enum": ["ALLOW", "DENY", "REVIEW"]},
            "transactionType": {"enum": ["CARD", "WIRE", "PIX", "CRYPTO"]},
            "accountId": UUID,
            "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
            "cursor": {"type": "string"},
            "sortBy": {"enum": ["createdAt"]},
            "sortOrder": {"enum": ["ASC", "DESC"]},
        },
        additional=False,
    ),
}


def credentials(config: dict) -> tuple[dict, None]:
    return {**(config.get("headers") or {}), "X-API-Key": config["api_key"]}, None


def check_config(config: dict) -> str | None:
    key = config.get("api_key")
    if isinstance(key, str) and not is_clean_text(key):
        return "api_key must not hold control characters or surrounding spaces"
    return check_base_url(config.get("base_url")) or check_headers(config.get("headers"))


def _runner(method: str, default_path: str, schema: dict, as_query: bool):
    def run(call: ExecutorCall) -> ExecutorResult:
        document = executor_input(call)
        problem = schema_problem(schema, document)
        if problem:
            return ExecutorResult(None, f"request does not match the executor schema: {problem}", kind="refused")
        config, data = call.provider_config, call.node_data
        try:
            url = join_url(config["base_url"], data.get("path") or default_path)
        except ValueError as exc:
            return ExecutorResult(None, str(exc), kind="refused")
        headers, _ = credentials(config)
        request = OutboundRequest(
            method=method, url=url, headers=headers,
            query={k: str(v) for k, v in document.items()} if as_query else {},
            body=None if as_query else document,
            success=tuple(config["success_status_codes"]) if config.get("success_status_codes") else None,
        )
        return send(request, call)

    return run


register_provider(
    ProviderSpec(
        id="tracer",
        name="Tracer",
        description="Lerian Tracer provider for transaction validation against compliance rules and financial limits",
        version="v1",
        config_schema=CONFIG_SCHEMA,
        check_config=check_config,
        test=make_test(("base_url",), credentials),
    )
)
register_executor(ExecutorSpec(
    id="tracer.validate-transaction", name="Validate Transaction", provider_id="tracer", version="v1",
    run=_runner("POST", "/v1/validations", VALIDATE_SCHEMA, as_query=False), schema=VALIDATE_SCHEMA,
))
register_executor(ExecutorSpec(
    id="tracer.list-validations", name="List Validations", provider_id="tracer", version="v1",
    run=_runner("GET", "/v1/validations", LIST_SCHEMA, as_query=True), schema=LIST_SCHEMA,
))
