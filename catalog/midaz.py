"""Midaz: the core-banking ledger (provider ``midaz``).

Configuration: ``onboarding_base_url``, ``transaction_base_url``, ``organization_id``,
``ledger_id`` and, optionally, ``auth`` ``{issuer_url, client_id, client_secret, scopes?}``
(OIDC discovery + client credentials; the token is cached, see ``catalog.auth``).

Executors (path parameters percent-escaped; every POST carries ``X-Idempotency`` and
``Idempotency-Key`` set to ``<execution id>:<node id>``, so a retried call never posts twice):

* ``midaz.create-account`` — POST onboarding ``/v1/organizations/{org}/ledgers/{ledger}/accounts``
* ``midaz.create-transaction`` — POST transaction ``…/ledgers/{ledger}/transactions/json``
* ``midaz.get-account`` — GET onboarding ``…/ledgers/{ledger}/accounts/{accountId}``
* ``midaz.get-account-balance`` — GET transaction ``…/accounts/{accountId}/balances`` with
  ``limit`` and ``cursor`` as query parameters
"""

from __future__ import annotations

from urllib.parse import quote

from catalog.auth import check_auth
from catalog.connectivity import make_test
from catalog.http import check_base_url
from catalog.schemas import DECIMAL, DIALECT, URI, UUID, obj
from catalog.transport import OutboundRequest, send
from core.executors import ExecutorCall, ExecutorResult, ExecutorSpec, ProviderSpec, executor_input, register_executor, register_provider
from core.provider_configs import schema_problem

CONFIG_SCHEMA = {
    "$schema": DIALECT,
    **obj(
        {
            "onboarding_base_url": URI,
            "transaction_base_url": URI,
            "organization_id": UUID,
            "ledger_id": UUID,
            "auth": obj(
                {"issuer_url": URI, "client_id": {"type": "string", "minLength": 1},
                 "client_secret": {"type": "string", "minLength": 1},
                 "scopes": {"type": "array", "items": {"type": "string"}}},
                required=("issuer_url", "client_id", "client_secret"),
            ),
        },
        required=("onboarding_base_url", "transaction_base_url", "organization_id", "ledger_id"),
    ),
}
_AMOUNT = obj({"asset": {"type": "string"}, "value": DECIMAL})
_LEG = obj({"accountAlias": {"type": "string"}, "amount": _AMOUNT, "share": {"type": "object"},
            "description": {"type": "string"}, "metadata": {"type": "object"}}, required=("accountAlias",))
CREATE_TRANSACTION = {
    "$schema": DIALECT,
    **obj(
        {
            "send": obj({"asset": {"type": "string"}, "value": DECIMAL,
                         "source": obj({"from": {"type": "array", "items": _LEG}}),
                         "distribute": obj({"to": {"type": "array", "items": _LEG}})},
                        required=("asset", "value")),
            "description": {"type": "string", "maxLength": 256},
            "code": {"type": "string", "maxLength": 100},
            "pending": {"type": "boolean", "default": False},
            "chartOfAccountsGroupName": {"type": "string"},
            "metadata": {"type": "object"},
        },
        required=("send",),
    ),
}
CREATE_ACCOUNT = {
    "$schema": DIALECT,
    **obj(
        {
            "assetCode": {"type": "string", "maxLength": 100}, "type": {"type": "string", "maxLength": 256},
            "name": {"type": "string", "maxLength": 256}, "alias": {"type": "string", "maxLength": 100},
            "parentAccountId": UUID, "portfolioId": UUID, "segmentId": UUID,
            "entityId": {"type": "string", "maxLength": 256},
            "status": obj({"code": {"type": "string"}, "description": {"type": "string"}}),
            "metadata": {"type": "object"},
        },
        required=("assetCode", "type"),
    ),
}
GET_ACCOUNT = {"$schema": DIALECT, **obj({"accountId": UUID}, required=("accountId",))}
GET_BALANCE = {
    "$schema": DIALECT,
    **obj({"accountId": UUID, "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
           "cursor": {"type": "string"}}, required=("accountId",)),
}


def credentials(config: dict) -> tuple[dict, dict | None]:
    auth = config.get("auth")
    return {}, ({"type": "oidc_client_credentials", **auth} if auth else None)


def check_config(config: dict) -> str | None:
    for key in ("onboarding_base_url", "transaction_base_url"):
        problem = check_base_url(config.get(key))
        if problem:
            return problem.replace("base_url", key)
    auth = config.get("auth")
    return check_auth({"type": "oidc_client_credentials", **auth}) if auth else None


def _path(config: dict, template: str, document: dict) -> str:
    values = {"org": config["organization_id"], "ledger": config["ledger_id"], "accountId": document.get("accountId", "")}
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


def _runner(method: str, base_key: str, template: str, schema: dict, query_keys: tuple[str, ...] = ()):
    def run(call: ExecutorCall) -> ExecutorResult:
        document = executor_input(call)
        problem = schema_problem(schema, document)
        if problem:
            return ExecutorResult(None, f"request does not match the executor schema: {problem}", kind="refused")
        config = call.provider_config
        url = config[base_key].rstrip("/") + _path(config, template, document)
        _, auth = credentials(config)
        headers = {"X-Idempotency": call.idempotency_key} if method == "POST" else {}
        body = {k: v for k, v in document.items() if k != "accountId"} if method == "POST" else None
        query = {k: str(document[k]) for k in query_keys if k in document}
        return send(OutboundRequest(method=method, url=url, headers=headers, query=query, body=body, auth=auth), call)

    return run


_ACCOUNTS = "/v1/organizations/{org}/ledgers/{ledger}/accounts"

register_provider(
    ProviderSpec(
        id="midaz",
        name="Midaz",
        description="Lerian Midaz core banking ledger provider for managing transactions, accounts, and balances",
        version="v1",
        config_schema=CONFIG_SCHEMA,
        check_config=check_config,
        test=make_test(("onboarding_base_url", "transaction_base_url"), credentials),
    )
)
for _spec in (
    ("midaz.create-account", "Create Account", _runner("POST", "onboarding_base_url", _ACCOUNTS, CREATE_ACCOUNT), CREATE_ACCOUNT),
    ("midaz.create-transaction", "Create Transaction", _runner(
        "POST", "transaction_base_url", "/v1/organizations/{org}/ledgers/{ledger}/transactions/json", CREATE_TRANSACTION),
     CREATE_TRANSACTION),
    ("midaz.get-account", "Get Account", _runner("GET", "onboarding_base_url", _ACCOUNTS + "/{accountId}", GET_ACCOUNT), GET_ACCOUNT),
    ("midaz.get-account-balance", "Get Account Balance", _runner(
        "GET", "transaction_base_url", _ACCOUNTS + "/{accountId}/balances", GET_BALANCE, ("limit", "cursor")), GET_BALANCE),
):
    register_executor(ExecutorSpec(id=_spec[0], name=_spec[1], provider_id="midaz", version="v1", run=_spec[2], schema=_spec[3]))
