"""One outbound HTTP call, as every executor makes it: egress policy on the address and on
every redirect, credentials (``catalog.auth``) kept to the configured origin, a deadline
covering connect, wait and body, a response-size cap, configurable success statuses, and one
repeat with a fresh token after a 401.

The answer becomes ``{"status": int, "headers": {name: value}, "body": JSON or text}``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from catalog import auth as authn
from catalog.egress import EgressDenied, check_url
from core.executors import ExecutorCall, ExecutorResult

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_session = requests.Session()


@dataclass
class OutboundRequest:
    """What to send. ``success`` lists the statuses that count as success (default: 2xx)."""

    method: str
    url: str
    headers: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: object = None
    auth: dict | None = None
    success: tuple[int, ...] | None = None


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def join_url(base_url: str, path: str | None) -> str:
    """``base_url`` + ``path``, keeping the base's own path (``/api`` + ``v1/x`` → ``/api/v1/x``).

    Raises ValueError when ``path`` would leave the base URL's origin
    (``http://elsewhere/``, ``//elsewhere``), so credentials never travel elsewhere.
    """
    if not path:
        return base_url
    check_relative_path(path)
    try:
        url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
    except ValueError:
        raise ValueError("path does not form a valid URL with the base URL") from None
    base_path = urlsplit(base_url).path.rstrip("/") + "/"
    if origin(url) != origin(base_url) or not (urlsplit(url).path + "/").startswith(base_path):
        raise ValueError("path leaves the provider's base URL")
    return url


def check_relative_path(path: str) -> None:
    """A path that stays under the base URL: no scheme, no ``//host``, no backslash, no
    ``.``/``..`` segments (encoded or not). Raises ValueError."""
    lowered = path.lower()
    if "://" in path or path.startswith("//") or "\\" in path or any(c.isspace() for c in path):
        raise ValueError("path must be relative to the provider's base URL")
    segments = lowered.replace("%2e", ".").replace("%2f", "/").split("/")
    if any(segment in (".", "..") for segment in segments):
        raise ValueError("path must not hold '.' or '..' segments")


def safe_url(url: str) -> str:
    """The URL without user info or query (they may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        pass
    return f"{parts.scheme}://{host}{parts.path}"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def decode_body(raw: bytes, content_type: str):
    """JSON when the body is strict JSON (no NaN/Infinity), else text; NUL becomes U+FFFD."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    if "json" in content_type.lower():
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            return text
    return text


def _read(response: requests.Response, limit: int, deadline: float) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > limit:
            raise ValueError(f"response body larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError("response not read before the node timeout")
        chunks.append(chunk)
    return b"".join(chunks)


def send(request: OutboundRequest, call: ExecutorCall) -> ExecutorResult:
    """Make the call; never raises. Failure kinds: ``timeout``, ``connection``, ``refused``."""
    deadline = time.monotonic() + call.timeout_s
    result = _attempt(request, call, deadline)
    if result.status == 401 and authn.refreshable(request.auth):
        authn.TOKENS.invalidate(request.auth, call.allow_private_networks)
        result = _attempt(request, call, deadline)
    return result


def _attempt(request: OutboundRequest, call: ExecutorCall, deadline: float) -> ExecutorResult:
    method, url, body = request.method.upper(), request.url, request.body
    home = origin(url)
    headers = {"Accept": "application/json", **request.headers, "Idempotency-Key": call.idempotency_key}
    params = dict(request.query)
    try:
        authn.apply(request.auth, headers, params, call.allow_private_networks)
    except authn.AuthError as exc:
        return ExecutorResult(None, f"authentication failed: {exc}", kind="connection")
    if method in ("GET", "HEAD", "DELETE") and body is not None and not isinstance(body, (str, bytes)):
        body = None  # never send a JSON body where servers do not expect one
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, call.allow_private_networks)
            response = _session.request(
                method, url, params=params or None, json=body, headers=headers,
                timeout=max(0.05, deadline - time.monotonic()), allow_redirects=False, stream=True,
            )
            if response.status_code in _REDIRECTS and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                params = {}
                if origin(url) != home:
                    # Another origin never sees the configured headers or credentials.
                    headers = {"Accept": headers["Accept"], "Idempotency-Key": call.idempotency_key}
                if response.status_code == 303:
                    method, body = "GET", None
                response.close()
                continue
            break
        else:
            return ExecutorResult(None, f"more than {MAX_REDIRECTS} redirects", kind="refused")
        with response:
            raw = _read(response, call.max_response_bytes, deadline)
    except EgressDenied as exc:
        return ExecutorResult(None, f"egress refused: {exc}", kind="refused")
    except (requests.Timeout, TimeoutError) as exc:
        return ExecutorResult(None, f"timeout after {call.timeout_s:g}s calling {safe_url(url)}: {type(exc).__name__}", kind="timeout")
    except requests.ConnectionError:
        return ExecutorResult(None, f"connection to {safe_url(url)} failed", kind="connection")
    except ValueError as exc:
        # Only our own size message is safe to repeat: others may quote a header value.
        detail = str(exc) if str(exc).startswith("response body larger") else type(exc).__name__
        return ExecutorResult(None, f"request to {safe_url(url)} failed: {detail}", kind="refused")
    except requests.RequestException as exc:
        return ExecutorResult(None, f"request to {safe_url(url)} failed: {type(exc).__name__}", kind="refused")
    output = {
        "status": response.status_code,
        "headers": {k: v.replace("\x00", "\ufffd") for k, v in response.headers.items()},
        "body": decode_body(raw, response.headers.get("Content-Type", "")),
    }
    ok = response.status_code in request.success if request.success else 200 <= response.status_code < 300
    if ok:
        return ExecutorResult(output)
    return ExecutorResult(output, f"{method} {safe_url(url)} answered HTTP {response.status_code}")
