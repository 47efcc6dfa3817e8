"""Secret values planted in provider configurations never show: not in API responses, log
lines, audit entries, step results or error messages, and not in clear in the database."""

from __future__ import annotations

import logging

from core import db
from core.models import AuditEvent, ProviderConfiguration, Step
from tests.catalog.test_integrations import from_template, validation_input
from tests.conftest import unique
from tests.support.api import run_to_end
from tests.support.bank_fakes import CLIENT_ID, LEDGER, ORG, FakeBank

PLANTED = ("PLANTED-api-key-7Qx", "PLANTED-client-secret-9Wz", "PLANTED-header-3Kv")


def _everything_in_the_database() -> str:
    """Every table's rows as text (works on SQLite and PostgreSQL)."""
    dump = []
    for table in db.database.get_tables():
        cursor = db.database.execute_sql(f'SELECT * FROM "{table}"')
        dump += [repr(row) for row in cursor.fetchall()]
    return "\n".join(dump)


def test_planted_secrets_appear_nowhere(client, caplog):
    caplog.set_level(logging.DEBUG)
    api_key, client_secret, header = PLANTED
    with FakeBank() as bank:
        bank.route("POST", "/v1/validations", lambda body, _h: (200, {"decision": "ALLOW", "requestId": body["requestId"]}))
        responses = []
        tracer = client.post("/v1/provider-configurations", json={
            "name": unique("tracer"), "providerId": "tracer",
            "config": {"base_url": bank.url, "api_key": api_key, "headers": {"X-Extra": header}}})
        # The wrong client secret makes every token request fail: error paths are searched too.
        midaz = client.post("/v1/provider-configurations", json={
            "name": unique("midaz"), "providerId": "midaz", "config": {
                "onboarding_base_url": bank.url, "transaction_base_url": bank.url, "organization_id": ORG,
                "ledger_id": LEDGER, "auth": {"issuer_url": bank.url + "/oidc", "client_id": CLIENT_ID, "client_secret": client_secret}}})
        responses += [tracer, midaz]
        tracer_id, midaz_id = tracer.json["id"], midaz.json["id"]
        workflow_id = from_template(client, "tracer-midaz-validation", {"tracerProviderConfigId": tracer_id, "midazProviderConfigId": midaz_id})
        result = run_to_end(client, workflow_id, validation_input("10.00"))
        assert result["status"] == "failed" and "token endpoint" in result["errorMessage"]
        responses += [
            client.get(f"/v1/provider-configurations/{tracer_id}"),
            client.get(f"/v1/provider-configurations/{midaz_id}"),
            client.get("/v1/provider-configurations?limit=100"),
            client.patch(f"/v1/provider-configurations/{tracer_id}", json={"description": "rotated"}),
            client.post(f"/v1/provider-configurations/{tracer_id}/test"),
            client.post(f"/v1/provider-configurations/{midaz_id}/test"),
            client.get(f"/v1/executions/{result['executionId']}"),
            client.get(f"/v1/executions/{result['executionId']}/results"),
            client.get(f"/v1/workflows/{workflow_id}"),
            client.get("/v1/catalog/templates/tracer-midaz-validation"),
        ]
        # Bad config whose error message must not echo the value either.
        responses.append(client.post("/v1/provider-configurations", json={
            "name": unique("bad"), "providerId": "tracer", "config": {"base_url": api_key, "api_key": api_key}}))
        assert bank.calls("POST", "/v1/validations")[0]["headers"]["X-API-Key"] == api_key  # it was really used
    texts = {
        "api responses": "\n".join(r.get_data(as_text=True) for r in responses),
        "logs": caplog.text,
        "audit entries": "\n".join(repr(e.__data__) for e in AuditEvent.select()),
        "step results": "\n".join(f"{s.input} {s.output} {s.error_message} {s.attempts}" for s in Step.select()),
        "database": _everything_in_the_database(),
    }
    for secret in PLANTED:
        for where, text in texts.items():
            assert secret not in text, f"{secret} found in {where}"
    stored = ProviderConfiguration.get_by_id(tracer_id)
    assert stored.config["api_key"] == "********" and stored.secrets and api_key not in stored.secrets


def test_a_patch_that_sends_the_mask_back_keeps_the_secret(client):
    with FakeBank() as bank:
        bank.route("GET", "/", lambda _b, h: (200, {}) if h.get("X-API-Key") in (None, "kept-key-123") else (401, {}))
        created = client.post("/v1/provider-configurations", json={
            "name": unique("tracer"), "providerId": "tracer", "config": {"base_url": bank.url, "api_key": "kept-key-123"}}).json
        shown = client.get(f"/v1/provider-configurations/{created['id']}").json["config"]
        patched = client.patch(f"/v1/provider-configurations/{created['id']}", json={"config": {**shown, "base_url": bank.url + "/"}})
        assert patched.status_code == 200 and patched.json["config"]["api_key"] == "********"
        assert client.post(f"/v1/provider-configurations/{created['id']}/test").json["overallStatus"] == "passed"
        assert [c["headers"].get("X-API-Key") for c in bank.calls("GET", "/")][1:] == ["kept-key-123", "kept-key-123"]


def test_secrets_rotate_to_a_new_key(client):
    from cryptography.fernet import Fernet

    from core import secrets
    from core.provider_configs import plain_config
    from web.cli import rotate_secrets

    created = client.post("/v1/provider-configurations", json={
        "name": unique("tracer"), "providerId": "tracer", "config": {"base_url": "https://t.test", "api_key": "rotate-me-42"}}).json
    old_key = __import__("os").environ["FLOWKER_SECRET_KEYS"]
    new_key = Fernet.generate_key().decode()
    try:
        secrets.configure(keys=[new_key, old_key])
        assert rotate_secrets() >= 1
        secrets.configure(keys=[new_key])  # the old key is gone: everything must read with the new one
        assert plain_config(ProviderConfiguration.get_by_id(created["id"]))["api_key"] == "rotate-me-42"
    finally:
        secrets.configure(keys=[new_key, old_key])
        rotate_secrets()
        secrets.configure(keys=[old_key, new_key])
        rotate_secrets()
        secrets.configure(keys=[old_key])


SECRET = "LEAKY-value-5521"


def _create(client, provider_id, config):
    return client.post("/v1/provider-configurations", json={"name": unique("cfg"), "providerId": provider_id, "config": config})


def test_invalid_secret_values_are_refused_without_being_echoed(client):
    cases = [
        ("tracer", {"base_url": "https://t.test", "api_key": SECRET + "\n"}),
        ("tracer", {"base_url": "https://t.test", "api_key": " " + SECRET}),
        ("tracer", {"base_url": "https://t.test", "api_key": [SECRET]}),
        ("http", {"base_url": "https://t.test", "headers": {"X-A": SECRET + "\r\nX-B: 1"}}),
        ("http", {"base_url": "https://t.test", "auth": {"type": "bearer", "token": SECRET + "\n"}}),
        ("http", {"base_url": f"https://user:{SECRET}@t.test"}),
        ("http", {"base_url": "https://t.test:99999"}),
        ("http", {"base_url": "https://t.test", "auth": {"type": "oauth2_client_credentials", "token_url": SECRET,
                                                         "client_id": "c", "client_secret": "s"}}),
        ("midaz", {"onboarding_base_url": "https://m.test", "transaction_base_url": "https://m.test",
                   "organization_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "ledger_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                   "auth": {"issuer_url": "https://i.test", "client_id": "c", "client_secret": 55555555}}),
    ]
    for provider_id, config in cases:
        response = _create(client, provider_id, config)
        assert response.status_code == 422 and response.json["code"] == "FLK-0293", (config, response.json)
        assert SECRET not in response.get_data(as_text=True) and "55555555" not in response.get_data(as_text=True)


def test_secrets_under_container_keys_are_encrypted_and_masked(client):
    config = {"base_url": "https://t.test", "credentials": {"pass": SECRET}, "api_keys": [SECRET], "bearer": SECRET}
    created = _create(client, "http", config)
    assert created.status_code == 201
    shown = client.get(f"/v1/provider-configurations/{created.json['id']}").get_data(as_text=True)
    assert SECRET not in shown and SECRET not in _everything_in_the_database()


def test_sending_the_mask_for_a_secret_that_was_never_stored_is_refused(client):
    created = _create(client, "http", {"base_url": "https://t.test"}).json
    response = client.patch(f"/v1/provider-configurations/{created['id']}",
                            json={"config": {"base_url": "https://t.test", "headers": {"X-New": "********"}}})
    assert response.status_code == 422 and response.json["code"] == "FLK-0293"


def test_a_wrong_client_secret_never_borrows_a_token_fetched_with_the_right_one(client):
    from tests.catalog.test_integrations import from_template, midaz_config, tracer_config, validation_input
    from tests.support.bank_fakes import LEDGER, ORG

    with FakeBank() as bank:
        right = midaz_config(client, bank)
        wrong = client.post("/v1/provider-configurations", json={"name": unique("midaz"), "providerId": "midaz", "config": {
            "onboarding_base_url": bank.url, "transaction_base_url": bank.url, "organization_id": ORG, "ledger_id": LEDGER,
            "auth": {"issuer_url": bank.url + "/oidc", "client_id": CLIENT_ID, "client_secret": "totally-wrong-secret"}}}).json["id"]
        tracer = tracer_config(client, bank)
        good = run_to_end(client, from_template(client, "tracer-midaz-validation", {"tracerProviderConfigId": tracer, "midazProviderConfigId": right}), validation_input("5.00"))
        bad = run_to_end(client, from_template(client, "tracer-midaz-validation", {"tracerProviderConfigId": tracer, "midazProviderConfigId": wrong}), validation_input("5.00"))
        assert good["status"] == "completed"
        assert bad["status"] == "failed" and "token endpoint" in bad["errorMessage"] and "invalid_client" in bad["errorMessage"]
        assert len(bank.calls("POST", bank.transactions_path)) == 1


def test_a_token_url_with_a_secret_in_its_query_is_not_echoed_in_errors(client):
    with FakeBank() as bank:
        config = {"base_url": bank.url, "auth": {"type": "oauth2_client_credentials", "token_url": f"{bank.url}/nope?q={SECRET}",
                                                 "client_id": "c", "client_secret": "s"}}
        created = _create(client, "http", config).json
        from tests.support.api import active_workflow, edge, executor, trigger

        workflow_id = active_workflow(client, [trigger(), executor("call", created["id"], "/x", retry={"maxAttempts": 1})], [edge("start", "call")])
        result = run_to_end(client, workflow_id, {})
        assert result["status"] == "failed" and "token endpoint" in result["errorMessage"] and SECRET not in str(result)
        assert SECRET not in "\n".join(repr(e.__data__) for e in AuditEvent.select())
