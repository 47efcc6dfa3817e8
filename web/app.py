"""Flask application factory.

``create_app()`` reads the settings from the environment; gunicorn runs it in a fleet
(``gunicorn 'web.app:create_app()'``) and ``flowker serve`` in the embedded mode.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

import swagger_ui_bundle
from flask import Flask, g, request, send_from_directory
from flask_smorest import Api
from werkzeug.exceptions import RequestEntityTooLarge

from core.caller import Caller
from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, Unauthorized, invalid_id
from web import errors
from web.schemas import ErrorSchema
from web.runtime import Runtime, build_runtime

# Largest request body on any route, and on the execution route (contract §0).
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_EXECUTION_BODY_BYTES = 1024 * 1024
PUBLIC_PATHS = ("/health", "/readyz", "/version", "/openapi.json", "/docs")
# URL variables that hold ids, with the name used in the FLK-0002 message.
_ID_ARGS = {
    "workflow_id": "workflow", "execution_id": "execution", "config_id": "provider configuration",
    "executor_config_id": "executor configuration",
}


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app. ``runtime`` defaults to ``build_runtime(settings)``."""
    settings = settings or Settings.from_env()
    runtime = runtime or build_runtime(settings)
    app = Flask("flowker")
    app.config.update(
        API_TITLE="Flowker",
        API_VERSION=settings.version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    app.url_map.strict_slashes = False  # a trailing slash is optional (contract §0)
    app.extensions["flowker"] = runtime
    app.config["FLOWKER_STARTED"] = time.time()
    api = _Api(app, spec_kwargs={"info": {"description": "Workflow orchestration for financial operations."}})
    api.spec.components.security_scheme("ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})

    from web.routes import catalog, executions, executor_configs, health, provider_configs, webhooks, workflows

    for module in (health, workflows, executions, provider_configs, executor_configs, catalog, webhooks):
        api.register_blueprint(module.blp)
    errors.register(app)

    assets = swagger_ui_bundle.swagger_ui_path

    @app.get("/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(assets, filename)

    key_hashes = {hashlib.sha256(k.encode()).hexdigest(): hashlib.sha256(k.encode()).hexdigest()[:12] for k in settings.api_keys}

    @app.before_request
    def _before():
        g.request_id = request.headers.get("X-Request-Id") or str(uuid.uuid4())
        if request.endpoint == "webhooks.receive_webhook":
            request.max_content_length = MAX_EXECUTION_BODY_BYTES
            if (request.content_length or 0) > MAX_EXECUTION_BODY_BYTES:
                raise PayloadTooLarge("FLK-0363", "webhook body must not exceed 1 MiB")
        if request.endpoint == "executions.start_execution":
            request.max_content_length = MAX_EXECUTION_BODY_BYTES
            if (request.content_length or 0) > MAX_EXECUTION_BODY_BYTES:
                raise PayloadTooLarge("FLK-0506", "request body must not exceed 1 MiB")
            # WSGI servers join repeated headers with ", ": a comma means several keys were sent.
            if "," in request.headers.get("Idempotency-Key", ""):
                raise BadRequest("FLK-0509", "send exactly one Idempotency-Key header, without commas")
        g.caller = _authenticate(key_hashes)
        for name, kind in _ID_ARGS.items():
            value = (request.view_args or {}).get(name)
            if value is not None:
                try:
                    request.view_args[name] = str(uuid.UUID(value))
                except ValueError:
                    raise invalid_id(kind) from None
        if request.method in ("POST", "PUT", "PATCH") and request.content_length is None and request.headers.get("Transfer-Encoding"):
            # A chunked body has no length to check up front: read it now, within the limit.
            limit = request.max_content_length
            if len(request.get_data(cache=True)) >= limit:
                raise RequestEntityTooLarge()
        webhook = request.endpoint == "webhooks.receive_webhook"  # parses its own body, any content type
        if not webhook and request.method in ("POST", "PUT", "PATCH") and (request.content_length or request.headers.get("Transfer-Encoding")):
            if not request.is_json:
                raise BadRequest("FLK-0001", "invalid request body: Content-Type must be application/json")

    @app.after_request
    def _after(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema


def _authenticate(key_hashes: dict[str, str]) -> Caller:
    """API key check for /v1 routes when keys are configured; returns the caller."""
    ip = request.remote_addr or "0.0.0.0"
    if not key_hashes or not request.path.startswith("/v1/") or request.path.startswith("/v1/webhooks/"):
        return Caller("user", "anonymous", ip)
    supplied = hashlib.sha256(request.headers.get("X-API-Key", "").encode()).hexdigest()
    for digest, key_id in key_hashes.items():
        if hmac.compare_digest(digest, supplied):
            return Caller("api_key", key_id, ip)
    raise Unauthorized("UNAUTHORIZED", "API Key missing or invalid")


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["flowker"]
