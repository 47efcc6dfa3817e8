"""Tracer, Midaz and a KYC service, faked on 127.0.0.1, receive exactly the requests the
contract describes; workflows made from the templates run end to end."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import unique
from tests.support.api import run_to_end
from tests.support.bank_fakes import CLIENT_ID, CLIENT_SECRET, LEDGER, ORG, TRACER_KEY, FakeBank


@pytest.fixture()
def bank():
    with FakeBank() as server:
        yield server


def tracer_config(client, bank) -> str:
    response = client.post("/v1/provider-configurations", json={
        "name": unique("tracer"), "providerId": "tracer", "config": {"base_url": bank.url, "api_key": TRACER_KEY}})
    assert response.status_code == 201, response.json
    return response.json["id"]


def midaz_config(client, bank) -> str:
    response = client.post("/v1/provider-configurations", json={
        "name": unique("midaz"), "providerId": "midaz", "config": {
            "onboarding_base_url": bank.url, "transaction_base_url": bank.url, "organization_id": ORG, "ledger_id": LEDGER,
            "auth": {"issuer_url": bank.url + "/oidc", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}})
    assert response.status_code == 201, response.json
    return response.json["id"]


def from_template(client, template_id: str, params: dict) -> str:
    if template_id == "tracer-midaz-validation":  # each workflow needs its own webhook route
        params = {"webhookPath": f"/{unique('hook')}", **params}
    response = client.post("/v1/workflows/from-template", json={"templateId": template_id, "params": {"workflowName": unique(), **params}})
    assert response.status_code == 201, response.json
    workflow_id = response.json["workflowId"]
    activated = client.post(f"/v1/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.json
    return workflow_id


def validation_input(amount: str) -> dict:
    return {
        "requestId": str(uuid.uuid4()), "transactionType": "PIX", "amount": amount, "currency": "BRL",
        "transactionTimestamp": "2026-11-30T10:00:00Z",
        "account": {"accountId": str(uuid.uuid4()), "type": "checking", "status": "active"},
        "transaction": {"asset": "BRL", "value": amount,
                        "source": {"from": [{"accountAlias": "@payer"}]}, "distribute": {"to": [{"accountAlias": "@payee"}]}},
        "transactionDescription": "payment",
    }


def test_the_tracer_midaz_template_posts_approved_transactions_once_and_records_rejections(client, bank):
    workflow_id = from_template(client, "tracer-midaz-validation", {
        "tracerProviderConfigId": tracer_config(client, bank), "midazProviderConfigId": midaz_config(client, bank)})
    approved = [validation_input(a) for a in ("10.00", "250.50", "999.99")]
    denied = [validation_input(a) for a in ("5000.00", "1000.01")]
    results = {item["requestId"]: run_to_end(client, workflow_id, item) for item in approved + denied}

    for item in approved:
        result = results[item["requestId"]]
        assert result["status"] == "completed", (result.get("errorMessage"), result["stepResults"])
        assert result["finalOutput"]["result"] == "approved" and result["finalOutput"]["decision"] == "ALLOW"
    for item in denied:
        result = results[item["requestId"]]
        assert result["finalOutput"] == {"result": "rejected", "decision": "DENY", "requestId": item["requestId"]}
        statuses = {s["nodeId"]: s["status"] for s in result["stepResults"]}
        assert statuses["midaz-create-tx"] == "skipped" and statuses["rejected"] == "completed"

    validations = bank.calls("POST", "/v1/validations")
    assert len(validations) == 5
    for call in validations:
        assert call["headers"]["X-API-Key"] == TRACER_KEY and "Authorization" not in call["headers"]
        sent = next(i for i in approved + denied if i["requestId"] == call["body"]["requestId"])
        assert call["body"] == {k: sent[k] for k in ("requestId", "transactionType", "amount", "currency", "transactionTimestamp", "account")}

    postings = bank.calls("POST", bank.transactions_path)
    assert len(postings) == 3
    for call in postings:
        execution_id = next(r["executionId"] for r in results.values() if r["finalOutput"].get("ledgerTransactionId")
                            and call["body"]["send"]["value"] in str(r))
        assert call["headers"]["X-Idempotency"] == call["idempotency_key"] == f"{execution_id}:midaz-create-tx"
        assert call["headers"]["Authorization"].startswith("Bearer tok-")
        sent = next(i for i in approved if i["transaction"]["value"] == call["body"]["send"]["value"])
        assert call["body"] == {"send": sent["transaction"], "description": "payment"}
    assert bank.token_requests() == 1, "the OAuth2 token must be fetched once for many calls"
    assert len(bank.calls("GET", "/oidc/.well-known/openid-configuration")) == 1


def test_a_retried_ledger_post_carries_the_same_idempotency_header_and_posts_once(client, bank):
    workflow_id = from_template(client, "tracer-midaz-validation", {
        "tracerProviderConfigId": tracer_config(client, bank), "midazProviderConfigId": midaz_config(client, bank)})
    bank.fail_next_posts = 2
    result = run_to_end(client, workflow_id, validation_input("20.00"))
    assert result["status"] == "completed"
    posts = bank.calls("POST", bank.transactions_path)
    assert len(posts) == 3 and len({p["headers"]["X-Idempotency"] for p in posts}) == 1
    assert len(bank.postings) == 1
    ledger = next(s for s in result["stepResults"] if s["nodeId"] == "midaz-create-tx")
    assert [a.get("statusCode") for a in ledger["attempts"]] == [503, 503, 201]


def test_the_kyc_template_opens_an_account_only_for_approved_customers(client, bank):
    kyc = client.post("/v1/provider-configurations", json={
        "name": unique("kyc"), "providerId": "http", "config": {"base_url": bank.url, "headers": {"X-Partner": "flowker"}}}).json["id"]
    workflow_id = from_template(client, "kyc-account-opening", {"kycProviderConfigId": kyc, "midazProviderConfigId": midaz_config(client, bank)})
    opened = run_to_end(client, workflow_id, {"customer": {"document": "123", "name": "Ana Lima", "alias": "@ana"}})
    rejected = run_to_end(client, workflow_id, {"customer": {"document": "000", "name": "Mallory"}})
    assert opened["finalOutput"]["result"] == "account_opened" and uuid.UUID(opened["finalOutput"]["accountId"])
    assert rejected["finalOutput"] == {"result": "rejected", "kycStatus": "rejected"}
    [account] = bank.calls("POST", bank.accounts_path)
    assert account["body"] == {"assetCode": "BRL", "type": "deposit", "name": "Ana Lima", "alias": "@ana"}
    assert [c["body"]["document"] for c in bank.calls("POST", "/v1/kyc/checks")] == ["123", "000"]
    assert all(c["headers"]["X-Partner"] == "flowker" for c in bank.calls("POST", "/v1/kyc/checks"))


def test_a_tracer_request_that_breaks_the_executor_schema_fails_before_any_call(client, bank):
    workflow_id = from_template(client, "tracer-midaz-validation", {
        "tracerProviderConfigId": tracer_config(client, bank), "midazProviderConfigId": midaz_config(client, bank)})
    bad = validation_input("12.00")
    bad["currency"] = "reais"
    result = run_to_end(client, workflow_id, bad)
    assert result["status"] == "failed" and "executor schema" in result["errorMessage"] and "currency" in result["errorMessage"]
    assert bank.calls("POST", "/v1/validations") == []


def test_the_template_detail_lists_active_configurations_of_each_provider(client, bank):
    tracer_id = tracer_config(client, bank)
    detail = client.get("/v1/catalog/templates/tracer-midaz-validation").json
    choices = detail["paramSchema"]["properties"]["tracerProviderConfigId"]["oneOf"]
    assert [c for c in choices if c["const"] == tracer_id][0]["title"].startswith("tracer-")
    assert all(set(c) == {"const", "title"} for c in choices)
    midaz_choices = detail["paramSchema"]["properties"]["midazProviderConfigId"].get("oneOf", [])
    assert tracer_id not in str(midaz_choices)
    client.post(f"/v1/provider-configurations/{tracer_id}/disable")
    detail = client.get("/v1/catalog/templates/tracer-midaz-validation").json
    assert tracer_id not in str(detail["paramSchema"]["properties"]["tracerProviderConfigId"])


def test_the_connectivity_test_passes_with_good_credentials_and_names_the_failed_stage(client, bank):
    bank.route("GET", "/", lambda _b, headers: (200, {}) if headers.get("X-API-Key") in (None, TRACER_KEY) else (401, {}))
    good = client.post(f"/v1/provider-configurations/{tracer_config(client, bank)}/test")
    assert good.status_code == 200 and good.json["overallStatus"] == "passed"
    assert [s["name"] for s in good.json["stages"]] == ["connectivity", "authentication", "end_to_end"]
    wrong = client.post("/v1/provider-configurations", json={
        "name": unique("tracer"), "providerId": "tracer", "config": {"base_url": bank.url, "api_key": "wrong-key-1"}}).json["id"]
    bad = client.post(f"/v1/provider-configurations/{wrong}/test").json
    assert bad["overallStatus"] == "partial"
    assert [s["status"] for s in bad["stages"]] == ["passed", "failed", "skipped"]
    assert "wrong-key-1" not in str(bad)


def test_a_midaz_connectivity_test_uses_the_oidc_token(client, bank):
    result = client.post(f"/v1/provider-configurations/{midaz_config(client, bank)}/test").json
    assert result["overallStatus"] == "passed", result
    assert bank.token_requests() == 1
