"""The three-stage connectivity test of a provider configuration (contract §7):

1. ``connectivity`` — GET the base URL without credentials: 200–499 passes (the host answers).
2. ``authentication`` — skipped without credentials; else GET with them: 2xx passes, 401/403
   fails, ≥ 500 fails, other answers pass ("accepted, endpoint returned a non-auth error").
3. ``end_to_end`` — GET with credentials reading at most 1 MiB: 2xx passes.

A failed stage skips the rest. Overall, ignoring skipped stages: no failure → ``passed``, no
pass → ``failed``, else ``partial``. Every request goes through the egress policy, and no
stage detail ever holds a credential.
"""

from __future__ import annotations

import time
from typing import Callable

import requests

from catalog import auth as authn
from catalog.auth import check_url_field
from catalog.egress import EgressDenied, check_url
from catalog.transport import safe_url
from core.models import utcnow
from core.timefmt import rfc3339

STAGE_TIMEOUT_S = 10.0
MAX_BODY = 1024 * 1024
SUMMARIES = {
    "passed": "All tests passed - provider configuration connectivity verified",
    "failed": "All tests failed - provider configuration needs review",
    "partial": "Some tests failed - review failed stages before use",
}


def _get(url: str, headers: dict, params: dict, allow_private: bool, read_body: bool = False):
    check_url(url, allow_private)
    started = time.monotonic()
    response = requests.get(url, headers=headers, params=params or None, timeout=STAGE_TIMEOUT_S, allow_redirects=False, stream=True)
    size = 0
    with response:
        if read_body:
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size >= MAX_BODY:
                    break
    return response, int((time.monotonic() - started) * 1000), size


def make_test(base_keys: tuple[str, ...], credentials: Callable[[dict], tuple[dict, dict | None]]):
    """A ProviderSpec.test for providers whose base URL is the first of ``base_keys`` present
    and whose credentials are ``credentials(config) -> (headers, auth block)``."""

    def test(config: dict, allow_private: bool) -> dict:
        base = next((config[k] for k in base_keys if isinstance(config.get(k), str) and config[k]), None)
        if not check_url_field(base):
            return {"error": {"code": "FLK-0340", "message": "configuration has no usable base URL (scheme, host, valid port)"}}
        try:
            check_url(base, allow_private)
        except EgressDenied as exc:
            return {"error": {"code": "FLK-0341", "message": f"base URL refused: {exc}"}}
        started_at, started = utcnow(), time.monotonic()
        headers, auth = credentials(config)
        stages = [_connectivity(base, allow_private)]
        if stages[-1]["status"] == "failed":
            stages += [_skipped("authentication", "connectivity"), _skipped("end_to_end", "connectivity")]
        elif not headers and not auth:
            stages.append({"name": "authentication", "status": "skipped", "durationMs": 0,
                           "message": "No authentication credentials configured"})
            stages.append(_end_to_end(base, {}, None, allow_private))
        else:
            stages.append(_authentication(base, headers, auth, allow_private))
            if stages[-1]["status"] == "failed":
                stages.append(_skipped("end_to_end", "authentication"))
            else:
                stages.append(_end_to_end(base, headers, auth, allow_private))
        counted = [s["status"] for s in stages if s["status"] != "skipped"]
        overall = "passed" if "failed" not in counted else ("failed" if "passed" not in counted else "partial")
        return {
            "overallStatus": overall,
            "durationMs": int((time.monotonic() - started) * 1000),
            "stages": stages,
            "summary": SUMMARIES[overall],
            "startedAt": rfc3339(started_at),
            "completedAt": rfc3339(utcnow()),
        }

    return test


def _skipped(name: str, cause: str) -> dict:
    return {"name": name, "status": "skipped", "durationMs": 0, "message": f"Skipped due to {cause} failure"}


def _credentials(headers: dict, auth, allow_private: bool) -> tuple[dict, dict]:
    sent, params = dict(headers), {}
    authn.apply(auth, sent, params, allow_private)
    return sent, params


def _connectivity(base: str, allow_private: bool) -> dict:
    try:
        response, ms, _ = _get(base, {}, {}, allow_private)
    except (requests.RequestException, EgressDenied, ValueError) as exc:
        return {"name": "connectivity", "status": "failed", "durationMs": 0, "error": f"request failed: {type(exc).__name__}"}
    ok = 200 <= response.status_code < 500
    return {
        "name": "connectivity", "status": "passed" if ok else "failed", "durationMs": ms,
        "message": "Provider is reachable" if ok else f"unexpected status code: {response.status_code}",
        "details": {"statusCode": response.status_code, "responseTimeMs": ms, "url": safe_url(base)},
    }


def _authentication(base: str, headers: dict, auth, allow_private: bool) -> dict:
    try:
        sent, params = _credentials(headers, auth, allow_private)
        response, ms, _ = _get(base, sent, params, allow_private)
    except authn.AuthError as exc:
        return {"name": "authentication", "status": "failed", "durationMs": 0, "error": str(exc)}
    except (requests.RequestException, EgressDenied, ValueError) as exc:
        return {"name": "authentication", "status": "failed", "durationMs": 0, "error": f"authenticated request failed: {type(exc).__name__}"}
    code = response.status_code
    details = {"statusCode": code, "responseTimeMs": ms, "hasApiKey": "X-API-Key" in headers or (auth or {}).get("type") == "api_key",
               "hasCredentials": True, "headerCount": len(headers)}
    if 200 <= code < 300:
        return {"name": "authentication", "status": "passed", "durationMs": ms, "message": "Authentication successful", "details": details}
    if code in (401, 403):
        return {"name": "authentication", "status": "failed", "durationMs": ms, "message": f"authentication rejected: status {code}", "details": details}
    if code >= 500:
        return {"name": "authentication", "status": "failed", "durationMs": ms, "message": f"server error during authentication: status {code}", "details": details}
    return {"name": "authentication", "status": "passed", "durationMs": ms,
            "message": "Authentication accepted (endpoint returned non-auth error)", "details": details}


def _end_to_end(base: str, headers: dict, auth, allow_private: bool) -> dict:
    try:
        sent, params = _credentials(headers, auth, allow_private)
        response, ms, size = _get(base, sent, params, allow_private, read_body=True)
    except authn.AuthError as exc:
        return {"name": "end_to_end", "status": "failed", "durationMs": 0, "error": str(exc)}
    except (requests.RequestException, EgressDenied, ValueError) as exc:
        return {"name": "end_to_end", "status": "failed", "durationMs": 0, "error": f"request failed: {type(exc).__name__}"}
    ok = 200 <= response.status_code < 300
    return {
        "name": "end_to_end", "status": "passed" if ok else "failed", "durationMs": ms,
        "message": "Full request/response cycle completed successfully" if ok else f"request returned status {response.status_code}",
        "details": {"statusCode": response.status_code, "responseTimeMs": ms, "responseBodyLen": size,
                    "contentType": response.headers.get("Content-Type", "")},
    }
