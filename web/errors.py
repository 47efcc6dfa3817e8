"""Every error body has the contract's shape ``{"code", "title", "message"}`` (§1), including
those Werkzeug, webargs and marshmallow produce by default (400, 404, 405, 413, 415, 422)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from core import errors

log = logging.getLogger(__name__)

# Endpoints with their own "body too large" code.
_TOO_LARGE_CODES = {"executions.start_execution": "FLK-0506", "webhooks.receive_webhook": "FLK-0363"}


def _flatten(messages, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = "" if key == "_schema" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            out.extend(_flatten(value, path))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}" if prefix else " ".join(messages)]
    if isinstance(messages, list):
        return [line for item in messages for line in _flatten(item, prefix)]
    return [f"{prefix}: {messages}" if prefix else str(messages)]


def _body(code: str, title: str, message: str, status: int):
    response = jsonify({"code": code, "title": title, "message": message})
    response.status_code = status
    return response


def handle_flowker_error(exc: errors.FlowkerError):
    response = _body(exc.code, exc.title, exc.message, exc.status)
    if exc.status == 413:
        # The unread body is still on the socket: the connection cannot be reused.
        response.headers["Connection"] = "close"
    return response


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status in (400, 422) and messages is not None:
        if isinstance(messages, dict) and set(messages) <= {"json", "query", "headers", "form", "files", "view_args", "path"}:
            messages = {key: value for location in messages.values() for key, value in (location.items() if isinstance(location, dict) else [("", location)])}
        detail = "; ".join(_flatten(messages))[:1000]
        return _body(errors.INVALID_BODY, "Bad Request", f"invalid request body: {detail}", 400)
    if status == 400:
        return _body(errors.INVALID_BODY, "Bad Request", "invalid request body: malformed JSON", 400)
    if status == 404:
        return _body(errors.ROUTE_NOT_FOUND, "Not Found", f"no route for {request.method} {request.path}", 404)
    if status == 405:
        return _body(errors.METHOD_NOT_ALLOWED, "Method Not Allowed", f"method {request.method} is not allowed on {request.path}", 405)
    if status == 413:
        code = _TOO_LARGE_CODES.get(request.endpoint or "", errors.BODY_TOO_LARGE)
        limit = request.max_content_length or 0
        response = _body(code, "Payload Too Large", f"request body must not exceed {limit / 1048576:g} MiB", 413)
        response.headers["Connection"] = "close"
        return response
    if status == 415:
        return _body(errors.UNSUPPORTED_MEDIA_TYPE, "Bad Request", "Content-Type must be application/json", 400)
    if status >= 500:
        log.exception("HTTP %s on %s %s", status, request.method, request.path)
        return _body(errors.INTERNAL, "Internal Server Error", "internal server error", 500)
    return _body(f"HTTP-{status}", exc.name, exc.description or exc.name, status)


def handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _body(errors.INTERNAL, "Internal Server Error", "internal server error", 500)


def register(app: Flask) -> None:
    """Install the handlers; call after flask-smorest's Api so these take precedence."""
    app.register_error_handler(errors.FlowkerError, handle_flowker_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
