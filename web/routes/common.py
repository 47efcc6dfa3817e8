"""Helpers shared by the views: the caller, the runtime, and documented error responses."""

from __future__ import annotations

import json

from flask import current_app, g
from flask_smorest import Blueprint as _SmorestBlueprint
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request

from core import jsontext
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

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        try:
            return jsontext.loads(req.get_data(cache=True))
        except jsontext.UnstorableJSON as exc:
            # A non-empty "doc" makes webargs answer 400 rather than treat the body as absent.
            raise json.JSONDecodeError(str(exc), "body", 0) from None


class Blueprint(_SmorestBlueprint):
    """flask-smorest Blueprint whose argument errors are 400 (and documented as such)."""

    ARGUMENTS_PARSER = _Parser()
