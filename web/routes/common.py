"""Helpers shared by the views: the caller, the runtime, and documented error responses."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint as _SmorestBlueprint
from webargs.flaskparser import FlaskParser

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


class _Parser(FlaskParser):
    # Type errors in a body are 400 FLK-0001 in the contract, not webargs' default 422.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(_SmorestBlueprint):
    """flask-smorest Blueprint whose argument errors are 400 (and documented as such)."""

    ARGUMENTS_PARSER = _Parser()
