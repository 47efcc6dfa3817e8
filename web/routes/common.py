"""Helpers shared by the views: the caller, the runtime, and documented error responses."""

from __future__ import annotations

import json
import math

from flask import current_app, g
from flask_smorest import Blueprint as _SmorestBlueprint
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request

from core.caller import Caller
from web.schemas import ErrorSchema

# OpenAPI error responses by status, attached to views with ``@blp.alt_response``.
ERROR_RESPONSES = {
    400: "Bad request: malformed JSON, wrong types, invalid id or query value",
    401: "Missing or invalid API key",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    422: "Unprocessable: not allowed in the current state",
}


def caller() -> Caller:
    return g.caller


def runtime():
    return current_app.extensions["flowker"]


def document_errors(blp, *statuses: int):
    """Decorator adding the error responses (contract shape) to a view's OpenAPI entry."""

    def wrap(view):
        for status in statuses:
            view = blp.alt_response(status, schema=ErrorSchema, description=ERROR_RESPONSES[status])(view)
        return view

    return wrap


def _refuse_constant(name: str):
    # NaN and Infinity are Python extensions, not JSON (RFC 8259 §6); PostgreSQL refuses them.
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise json.JSONDecodeError(f"number {text[:40]} is outside the range of a double", "body", 0)
    return value


# Deepest JSON nesting accepted in a request body.
MAX_JSON_DEPTH = 64


def _check_strings(document) -> None:
    """Refuse strings no database can store: NUL characters (PostgreSQL text and JSONB) and
    lone UTF-16 surrogates (not encodable as UTF-8), and nesting deeper than MAX_JSON_DEPTH.
    Raises JSONDecodeError."""
    stack = [(document, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise json.JSONDecodeError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", "body", 0)
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item.keys())
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise json.JSONDecodeError("strings must not contain NUL characters", "body", 0)
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise json.JSONDecodeError("strings must be valid Unicode (lone surrogate)", "body", 0) from None


class _Parser(FlaskParser):
    # Type errors in a body are 400 FLK-0001 in the contract, not webargs' default 422.
    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        raw = req.get_data(cache=True)
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"body is not UTF-8: {exc.reason}", "body", exc.start) from exc
        try:
            document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except json.JSONDecodeError:
            raise
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", "body", 0) from None
        except ValueError as exc:  # e.g. an integer longer than Python's digit limit
            raise json.JSONDecodeError(f"unreadable number: {str(exc)[:80]}", "body", 0) from None
        _check_strings(document)
        return document


class Blueprint(_SmorestBlueprint):
    """flask-smorest Blueprint whose argument errors are 400 (and documented as such)."""

    ARGUMENTS_PARSER = _Parser()
