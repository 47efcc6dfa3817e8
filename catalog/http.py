"""The generic HTTP provider (``http``) and its executor (``http.request``).

Provider configuration: ``base_url`` (required, http/https), ``headers`` (string values),
``timeout_seconds``. The node gives ``path`` (joined to ``base_url``), ``method`` (default
POST), ``query``, ``headers`` and ``timeout`` (seconds); the JSON body comes from the node's
``inputMapping`` and is never the whole context. The output is
``{"status": int, "headers": {name: value}, "body": JSON or text}``.

Every call sends ``Idempotency-Key: <execution id>:<node id>`` so a provider that honours it
never applies one call twice. Success is any 2xx. Bodies over ``max_response_bytes`` are
refused; at most ``MAX_REDIRECTS`` redirects are followed, each re-checked by the egress
policy.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urljoin, urlsplit

import requests

from catalog.egress import EgressDenied, check_url
from core.executors import ExecutorCall, ExecutorResult, ExecutorSpec, ProviderSpec, register_executor, register_provider

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_session = requests.Session()

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["base_url"],
    "properties": {
        "base_url": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 500},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
    },
    "additionalProperties": True,
}

EXECUTOR_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": True,
}


def build_url(base_url: str, path: str | None) -> str:
    """``base_url`` + ``path``, keeping the base's own path (``/api`` + ``v1/x`` → ``/api/v1/x``).

    The result always has the base URL's origin: a ``path`` that names another host
    (``http://elsewhere/``, ``//elsewhere``) raises ValueError, so a node can never send the
    configuration's credentials somewhere else.
    """
    if not path:
        return base_url
    if "://" in path or path.startswith("//") or "\\" in path:
        raise ValueError(f"path must be relative to the provider's base URL, got {path!r}")
    url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
    if _origin(url) != _origin(base_url):
        raise ValueError(f"path {path!r} leaves the provider's base URL")
    return url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def check_config(config: dict) -> str | None:
    """``base_url`` must be an http(s) URL with a host and no spaces; header names and
    values must be free of CR/LF."""
    base = config.get("base_url")
    parts = urlsplit(base) if isinstance(base, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in base):
        return "base_url must be an http(s) URL with a host"
    for name, value in (config.get("headers") or {}).items():
        if any(c in f"{name}{value}" for c in "\r\n\x00"):
            return f"header {name!r} holds a line break or NUL"
    return None


def _read_body(response: requests.Response, limit: int, deadline: float) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > limit:
            raise ValueError(f"response body larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError("response not read before the node timeout")
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _decode(raw: bytes, content_type: str):
    """Body as JSON when it is strict JSON (no NaN/Infinity), else as text; NUL characters,
    which no database column can hold, become U+FFFD."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    if "json" in content_type.lower():
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            return text
    return text


def run(call: ExecutorCall) -> ExecutorResult:
    """Make the HTTP call described by ``call``; never raises."""
    config, data = call.provider_config, call.node_data
    try:
        url = build_url(config["base_url"], data.get("path"))
    except ValueError as exc:
        return ExecutorResult(None, str(exc), kind="refused")
    origin = _origin(url)
    method = str(data.get("method") or "POST").upper()
    headers = {**(config.get("headers") or {}), **(data.get("headers") or {})}
    headers["Idempotency-Key"] = call.idempotency_key
    headers.setdefault("Accept", "application/json")
    deadline = time.monotonic() + call.timeout_s
    params = data.get("query") or None
    body = call.body if method not in ("GET", "HEAD") else None
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, call.allow_private_networks)
            remaining = max(0.05, deadline - time.monotonic())
            response = _session.request(
                method, url, params=params, json=body, headers=headers, timeout=remaining,
                allow_redirects=False, stream=True,
            )
            if response.status_code in _REDIRECTS and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                params = None
                if _origin(url) != origin:
                    # Another origin never sees the configuration's or the node's headers.
                    headers = {"Idempotency-Key": call.idempotency_key, "Accept": headers.get("Accept", "application/json")}
                if response.status_code == 303:
                    method, body = "GET", None
                response.close()
                continue
            break
        else:
            return ExecutorResult(None, f"more than {MAX_REDIRECTS} redirects", kind="refused")
        with response:
            raw = _read_body(response, call.max_response_bytes, deadline)
    except EgressDenied as exc:
        return ExecutorResult(None, f"egress refused: {exc}", kind="refused")
    except (requests.Timeout, TimeoutError) as exc:
        return ExecutorResult(None, f"timeout after {call.timeout_s:g}s calling {_safe(url)}: {type(exc).__name__}", kind="timeout")
    except requests.ConnectionError:
        return ExecutorResult(None, f"connection to {_safe(url)} failed", kind="connection")
    except (requests.RequestException, ValueError) as exc:
        return ExecutorResult(None, f"request to {_safe(url)} failed: {exc}", kind="refused")
    output = {
        "status": response.status_code,
        "headers": {k: v.replace("\x00", "\ufffd") for k, v in response.headers.items()},
        "body": _decode(raw, response.headers.get("Content-Type", "")),
    }
    if 200 <= response.status_code < 300:
        return ExecutorResult(output)
    return ExecutorResult(output, f"{method} {_safe(url)} answered HTTP {response.status_code}")


def _safe(url: str) -> str:
    """The URL without user info or query (they may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


register_provider(
    ProviderSpec(
        id="http",
        name="HTTP",
        description="Any HTTP API: a base URL and headers; executor nodes give path, method, query and body.",
        version="v1",
        config_schema=CONFIG_SCHEMA,
        check_config=check_config,
    )
)
register_executor(
    ExecutorSpec(id="http.request", name="HTTP Request", provider_id="http", version="v1", run=run, schema=EXECUTOR_SCHEMA)
)
