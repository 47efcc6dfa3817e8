"""The catalog API, provider-configuration lifecycle and every invalid configuration as a 4xx."""

from __future__ import annotations

import pytest

from tests.catalog.test_integrations import midaz_config, tracer_config
from tests.conftest import unique
from tests.support.api import edge, trigger
from tests.support.bank_fakes import FakeBank


@pytest.fixture()
def bank():
    with FakeBank() as server:
        yield server


def test_lists_are_sorted_arrays_and_schemas_are_objects(client):
    providers = client.get("/v1/catalog/providers").json
    assert [p["id"] for p in providers] == sorted(p["id"] for p in providers) and {"http", "midaz", "tracer"} <= {p["id"] for p in providers}
    executors = client.get("/v1/catalog/executors").json
    assert [e["id"] for e in executors] == sorted(e["id"] for e in executors)
    assert {"midaz.create-transaction", "tracer.validate-transaction", "http.request"} <= {e["id"] for e in executors}
    detail = client.get("/v1/catalog/executors/tracer.validate-transaction").json
    assert isinstance(detail["schema"], dict) and "requestId" in detail["schema"]["required"]
    assert isinstance(client.get("/v1/catalog/providers/midaz").json["configSchema"], dict)
    assert [e["id"] for e in client.get("/v1/catalog/providers/tracer/executors").json] == ["tracer.list-validations", "tracer.validate-transaction"]
    assert {t["id"] for t in client.get("/v1/catalog/triggers").json} >= {"manual", "webhook"}
    assert {t["id"] for t in client.get("/v1/catalog/templates").json} == {"kyc-account-opening", "tracer-midaz-validation"}


@pytest.mark.parametrize("path, code", [
    ("/v1/catalog/executors/nope", "FLK-0200"), ("/v1/catalog/triggers/nope", "FLK-0210"),
    ("/v1/catalog/providers/nope", "FLK-0230"), ("/v1/catalog/providers/nope/executors", "FLK-0230"),
    ("/v1/catalog/templates/nope", "FLK-0240"),
])
def test_unknown_catalog_ids_are_404_with_their_codes(client, path, code):
    response = client.get(path)
    assert response.status_code == 404 and response.json["code"] == code


def test_validate_routes_assert_formats(client):
    ok = {"requestId": "1d7d3cf2-4b5a-4d6f-9a0e-1f2a3b4c5d6e", "transactionType": "PIX", "amount": "1.00", "currency": "BRL",
          "transactionTimestamp": "2026-11-30T10:00:00Z",
          "account": {"accountId": "1d7d3cf2-4b5a-4d6f-9a0e-1f2a3b4c5d6e", "type": "checking", "status": "active"}}
    assert client.post("/v1/catalog/executors/tracer.validate-transaction/validate", json={"config": ok}).json == {"valid": True}
    for field, value in (("requestId", "not-a-uuid"), ("transactionTimestamp", "yesterday"), ("amount", "1,00")):
        response = client.post("/v1/catalog/executors/tracer.validate-transaction/validate", json={"config": {**ok, field: value}})
        assert response.status_code == 400 and response.json["code"] == "FLK-0201" and field in response.json["message"]
    bad_uri = client.post("/v1/catalog/templates/tracer-midaz-validation/validate", json={"params": {"workflowName": "x"}})
    assert bad_uri.status_code == 400 and bad_uri.json["code"] == "FLK-0242"
    assert client.post("/v1/catalog/executors/nope/validate", json={"config": {}}).json["code"] == "FLK-0200"


def test_every_invalid_provider_configuration_is_a_4xx_with_a_code(client, bank):
    def create(provider_id, config):
        return client.post("/v1/provider-configurations", json={"name": unique("cfg"), "providerId": provider_id, "config": config})

    assert create("nope", {"a": 1}).json["code"] == "FLK-0294"
    for provider_id, config in (
        ("tracer", {"base_url": bank.url}),
        ("tracer", {"base_url": "not a url", "api_key": "k"}),
        ("midaz", {"onboarding_base_url": bank.url, "transaction_base_url": bank.url, "organization_id": "x", "ledger_id": "y"}),
        ("http", {"base_url": bank.url, "auth": {"type": "bearer"}}),
        ("http", {"base_url": bank.url, "auth": {"type": "magic"}}),
    ):
        response = create(provider_id, config)
        assert response.status_code == 422 and response.json["code"] == "FLK-0293", (config, response.json)
    assert create("http", {}).json["code"] == "FLK-0298"
    tracer = tracer_config(client, bank)
    assert client.post(f"/v1/provider-configurations/{tracer}/enable").json["code"] == "FLK-0292"
    assert client.post(f"/v1/provider-configurations/{tracer}/disable").json["status"] == "disabled"
    assert client.post(f"/v1/provider-configurations/{tracer}/disable").json["code"] == "FLK-0292"
    assert client.post(f"/v1/provider-configurations/{tracer}/enable").json["status"] == "active"
    assert client.patch(f"/v1/provider-configurations/{tracer}", json={"providerId": "midaz"}).json["code"] == "FLK-0297"
    assert client.patch(f"/v1/provider-configurations/{tracer}", json={"config": {"base_url": bank.url}}).json["code"] == "FLK-0293"
    wrong_provider = {"id": "post", "type": "executor", "data": {"executorId": "midaz.create-transaction", "providerConfigId": tracer}}
    response = client.post("/v1/workflows", json={"name": unique(), "nodes": [trigger(), wrong_provider], "edges": [edge("start", "post")]})
    assert response.status_code == 400 and response.json["code"] == "FLK-0151"


def test_a_configuration_used_by_an_active_workflow_cannot_be_deleted(client, bank):
    config = midaz_config(client, bank)
    node = {"id": "get", "type": "executor", "data": {"executorId": "midaz.get-account", "providerConfigId": config,
                                                      "inputMapping": [{"source": "workflow.id", "target": "accountId"}]}}
    workflow_id = client.post("/v1/workflows", json={"name": unique(), "nodes": [trigger(), node], "edges": [edge("start", "get")]}).json["workflowId"]
    client.post(f"/v1/workflows/{workflow_id}/activate")
    refused = client.delete(f"/v1/provider-configurations/{config}")
    assert refused.status_code == 409 and refused.json["code"] == "FLK-0288" and workflow_id in refused.json["message"]
    client.post(f"/v1/workflows/{workflow_id}/deactivate")
    assert client.delete(f"/v1/provider-configurations/{config}").status_code == 204
    assert client.get(f"/v1/provider-configurations/{config}").json["code"] == "FLK-0290"


def test_a_midaz_path_parameter_is_escaped(client, bank):
    from tests.support.api import active_workflow, run_to_end

    config = midaz_config(client, bank)
    node = {"id": "get", "type": "executor", "data": {"executorId": "midaz.get-account", "providerConfigId": config,
                                                      "inputMapping": [{"source": "workflow.id", "target": "accountId"}]}}
    workflow_id = active_workflow(client, [trigger(), node], [edge("start", "get")])
    result = run_to_end(client, workflow_id, {"id": "../../admin"})
    assert result["status"] == "failed" and "accountId" in result["errorMessage"]  # not a UUID: refused before any call
    assert not [c for c in bank.calls() if "admin" in c["path"]]


def test_midaz_path_values_are_percent_escaped():
    from catalog.midaz import _path

    config = {"organization_id": "org/1", "ledger_id": "l?2"}
    assert _path(config, "/v1/organizations/{org}/ledgers/{ledger}/accounts/{accountId}", {"accountId": "a/../b c"}) == (
        "/v1/organizations/org%2F1/ledgers/l%3F2/accounts/a%2F..%2Fb%20c")
