"""Fleet tests need PostgreSQL and Redis: they run in the fleet pass of ``make test`` and are
skipped in the embedded pass."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.fleet import Fleet
from tests.support.provider_server import ProviderServer
from tests.support.services import clear_redis_namespace, is_fleet_run


@pytest.fixture()
def fleet(settings, tmp_path):
    if not is_fleet_run():
        pytest.skip("fleet tests run with DATABASE_URL=postgresql://... and BROKER_URL=redis://...")
    fleet = Fleet(settings.database_url, settings.broker_url, tmp_path)
    fleet.migrate()
    yield fleet
    fleet.stop_all()
    clear_redis_namespace(settings.broker_url, fleet.env["FLOWKER_BROKER_NAMESPACE"])


def api(fleet: Fleet, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, fleet.url + path, timeout=10, **kwargs)


def screening_workflow(fleet: Fleet, provider: ProviderServer) -> str:
    """trigger → decide (amount < 5000) → true: kyc ∥ aml → ledger (join): 5 nodes."""
    config = api(fleet, "POST", "/v1/provider-configurations", json={
        "name": f"bank-{uuid.uuid4().hex[:8]}", "providerId": "http", "config": {"base_url": provider.url},
    }).json()["id"]

    def executor(node_id, path, mapping):
        return {"id": node_id, "type": "executor", "data": {
            "executorId": "http.request", "providerConfigId": config, "path": path, "timeout": 5, "inputMapping": mapping}}

    nodes = [
        {"id": "start", "type": "trigger", "data": {"triggerType": "manual"}},
        {"id": "decide", "type": "conditional", "data": {"condition": "workflow.amount < 5000"}},
        executor("kyc", "/kyc", [{"source": "workflow.account", "target": "account", "required": True}]),
        executor("aml", "/aml", [{"source": "workflow.amount", "target": "amount", "required": True}]),
        executor("ledger", "/ledger", [
            {"source": "workflow.txn", "target": "txn"},
            {"source": "kyc.body.status", "target": "kyc"},
            {"source": "aml.body.risk", "target": "risk"},
        ]),
    ]
    edges = [
        {"id": "e1", "source": "start", "target": "decide"},
        {"id": "e2", "source": "decide", "target": "kyc", "sourceHandle": "true"},
        {"id": "e3", "source": "decide", "target": "aml", "sourceHandle": "true"},
        {"id": "e4", "source": "kyc", "target": "ledger"},
        {"id": "e5", "source": "aml", "target": "ledger"},
    ]
    created = api(fleet, "POST", "/v1/workflows", json={"name": f"screening-{uuid.uuid4().hex[:8]}", "nodes": nodes, "edges": edges})
    assert created.status_code == 201, created.text
    workflow_id = created.json()["workflowId"]
    activated = api(fleet, "POST", f"/v1/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.text
    provider.route("POST", "/kyc", lambda body, _h: (200, {"status": "verified", "account": body["account"]}))
    provider.route("POST", "/aml", lambda body, _h: (200, {"risk": "low" if body["amount"] < 1000 else "medium"}))
    provider.route("POST", "/ledger", lambda body, _h: (201, {"posted": body["txn"]}))
    return workflow_id
