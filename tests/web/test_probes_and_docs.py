"""Probes, the OpenAPI document and Swagger UI served without a CDN."""

from __future__ import annotations

import re


def test_health_readyz_and_version_answer(client):
    assert client.get("/health").json["status"] == "healthy"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"]["status"] == "up" and ready.json["checks"]["broker"]["status"] == "up"
    assert set(client.get("/version").json) == {"version", "commit", "requestDate"}


def test_openapi_document_describes_every_route(client, app):
    spec = client.get("/openapi.json").json
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "swagger_assets") or rule.rule.startswith(("/docs", "/openapi")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    execution_post = spec["paths"]["/v1/workflows/{workflow_id}/executions"]["post"]
    assert {"200", "201", "400", "413", "422"} <= set(execution_post["responses"])


def test_swagger_ui_loads_its_assets_from_flowker_itself(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page and "//cdn" not in page and "unpkg" not in page
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_request_id_is_echoed(client):
    assert client.get("/health", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
