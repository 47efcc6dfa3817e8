"""Runtime of executor configurations: the call of one named endpoint and its test."""

from __future__ import annotations

from catalog import connectivity
from catalog.auth import check_auth
from catalog.transport import OutboundRequest, check_relative_path, join_url, send
from core.executors import ENDPOINTS, ExecutorCall, ExecutorResult


def run(call: ExecutorCall) -> ExecutorResult:
    """``call.provider_config`` is ``{"base_url", "endpoint": {path, method, timeout}, "auth"}``."""
    config, data = call.provider_config, call.node_data
    endpoint = config["endpoint"]
    try:
        url = join_url(config["base_url"], endpoint["path"])
    except ValueError as exc:
        return ExecutorResult(None, str(exc), kind="refused")
    request = OutboundRequest(
        method=endpoint["method"], url=url, headers=dict(data.get("headers") or {}),
        query=dict(data.get("query") or {}), body=call.body, auth=config.get("auth"),
        success=tuple(data["successStatusCodes"]) if data.get("successStatusCodes") else None,
    )
    return send(request, call)


def test(base_url: str, endpoint: dict, auth: dict | None, allow_private: bool) -> dict:
    """The three-stage test against the endpoint's URL."""
    url = join_url(base_url, endpoint["path"])
    return connectivity.make_test(("base_url",), lambda _config: ({}, auth))({"base_url": url}, allow_private)


def check_path(path: str) -> str | None:
    try:
        check_relative_path(path)
    except ValueError as exc:
        return str(exc)
    return None


ENDPOINTS.run = run
ENDPOINTS.test = test
ENDPOINTS.check_auth = check_auth
ENDPOINTS.check_path = check_path
