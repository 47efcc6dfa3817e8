"""Workflow templates: parameters in, a workflow create body out.

* ``tracer-midaz-validation`` — validate a transaction with Tracer; when the decision is
  ALLOW post it to Midaz, otherwise record the rejection (the reference had no false branch).
* ``kyc-account-opening`` — check a customer with a KYC service (generic ``http`` provider);
  when approved open a Midaz account, otherwise record the rejection.
"""

from __future__ import annotations

from catalog.schemas import DIALECT, UUID
from core.executors import TemplateSpec, register_template


def _params(extra: dict, required: tuple) -> dict:
    return {
        "$schema": DIALECT,
        "type": "object",
        "required": ["workflowName", *required],
        "properties": {
            "workflowName": {"type": "string", "minLength": 1, "maxLength": 100},
            "workflowDescription": {"type": "string", "maxLength": 500},
            **extra,
        },
        "additionalProperties": False,
    }


def _node(node_id, kind, name, x, y, data):
    return {"id": node_id, "type": kind, "name": name, "position": {"x": x, "y": y}, "data": data}


def _edge(edge_id, source, target, handle=None, label=None):
    edge = {"id": edge_id, "source": source, "target": target}
    if handle:
        edge["sourceHandle"] = handle
    if label:
        edge["label"] = label
    return edge


def _map(*pairs, required=()):
    return [{"source": s, "target": t, **({"required": True} if t in required else {})} for s, t in pairs]


def build_tracer_midaz(params: dict) -> dict:
    fields = ("requestId", "transactionType", "amount", "currency", "transactionTimestamp", "account")
    nodes = [
        _node("webhook-trigger", "trigger", "Webhook Trigger", 250, 0,
              {"triggerType": "webhook", "path": params.get("webhookPath", "/validate-and-transact"),
               "method": params.get("webhookMethod", "POST")}),
        _node("tracer-validate", "executor", "Tracer Validate Transaction", 250, 150, {
            "executorId": "tracer.validate-transaction", "providerConfigId": params["tracerProviderConfigId"],
            "method": "POST", "path": "/v1/validations",
            "inputMapping": _map(*((f"workflow.{f}", f) for f in fields), required=fields),
        }),
        _node("decision-check", "conditional", "Decision Check", 250, 300,
              {"condition": 'tracer-validate.body.decision == "ALLOW"'}),
        _node("midaz-create-tx", "executor", "Midaz Create Transaction", 100, 450, {
            "executorId": "midaz.create-transaction", "providerConfigId": params["midazProviderConfigId"],
            "inputMapping": _map(("workflow.transaction", "send"), ("workflow.transactionDescription", "description"),
                                 required=("send",)),
        }),
        _node("approved", "action", "Record Approval", 100, 600, {"actionType": "set_output", "output": {
            "result": "approved", "decision": "${tracer-validate.body.decision}",
            "ledgerTransactionId": "${midaz-create-tx.body.id}", "requestId": "${workflow.requestId}"}}),
        _node("rejected", "action", "Record Rejection", 400, 450, {"actionType": "set_output", "output": {
            "result": "rejected", "decision": "${tracer-validate.body.decision}", "requestId": "${workflow.requestId}"}}),
    ]
    edges = [
        _edge("webhook-to-tracer", "webhook-trigger", "tracer-validate"),
        _edge("tracer-to-decision", "tracer-validate", "decision-check"),
        _edge("decision-to-midaz", "decision-check", "midaz-create-tx", "true", "Approved"),
        _edge("midaz-to-approved", "midaz-create-tx", "approved"),
        _edge("decision-to-rejected", "decision-check", "rejected", "false", "Rejected"),
    ]
    return {"name": params["workflowName"], "description": params.get("workflowDescription"), "nodes": nodes, "edges": edges}


def build_kyc_account(params: dict) -> dict:
    nodes = [
        _node("start", "trigger", "Manual Trigger", 250, 0, {"triggerType": "manual"}),
        _node("kyc-check", "executor", "KYC Check", 250, 150, {
            "executorId": "http.request", "providerConfigId": params["kycProviderConfigId"], "method": "POST",
            "path": params.get("kycPath", "/v1/kyc/checks"),
            "inputMapping": _map(("workflow.customer.document", "document"), ("workflow.customer.name", "name"),
                                 ("workflow.customer.birthDate", "birthDate"), required=("document", "name")),
        }),
        _node("kyc-decision", "conditional", "KYC Approved?", 250, 300, {"condition": 'kyc-check.body.status == "approved"'}),
        _node("open-account", "executor", "Open Midaz Account", 100, 450, {
            "executorId": "midaz.create-account", "providerConfigId": params["midazProviderConfigId"],
            "assetCode": params.get("assetCode", "BRL"), "type": params.get("accountType", "deposit"),
            "inputMapping": _map(("workflow.customer.name", "name"), ("workflow.customer.alias", "alias")),
        }),
        _node("opened", "action", "Record Account", 100, 600, {"actionType": "set_output", "output": {
            "result": "account_opened", "accountId": "${open-account.body.id}"}}),
        _node("rejected", "action", "Record Rejection", 400, 450, {"actionType": "set_output", "output": {
            "result": "rejected", "kycStatus": "${kyc-check.body.status}"}}),
    ]
    edges = [
        _edge("start-to-kyc", "start", "kyc-check"),
        _edge("kyc-to-decision", "kyc-check", "kyc-decision"),
        _edge("decision-to-open", "kyc-decision", "open-account", "true", "Approved"),
        _edge("open-to-opened", "open-account", "opened"),
        _edge("decision-to-rejected", "kyc-decision", "rejected", "false", "Rejected"),
    ]
    return {"name": params["workflowName"], "description": params.get("workflowDescription"), "nodes": nodes, "edges": edges}


register_template(TemplateSpec(
    id="tracer-midaz-validation",
    name="Tracer Validation + Midaz Transaction",
    description="Receives a webhook request, validates the transaction via Tracer, creates a transaction in Midaz "
                "if approved, and records the rejection otherwise",
    version="v1",
    category="Compliance",
    param_schema=_params({
        "tracerProviderConfigId": dict(UUID),
        "midazProviderConfigId": dict(UUID),
        "webhookPath": {"type": "string", "minLength": 1, "default": "/validate-and-transact"},
        "webhookMethod": {"enum": ["POST", "PUT"], "default": "POST"},
    }, ("tracerProviderConfigId", "midazProviderConfigId")),
    provider_params={"tracerProviderConfigId": "tracer", "midazProviderConfigId": "midaz"},
    build=build_tracer_midaz,
))
register_template(TemplateSpec(
    id="kyc-account-opening",
    name="KYC Check + Midaz Account Opening",
    description="Checks a customer with a KYC service and opens a Midaz account when approved; records the rejection otherwise",
    version="v1",
    category="Onboarding",
    param_schema=_params({
        "kycProviderConfigId": dict(UUID),
        "midazProviderConfigId": dict(UUID),
        "kycPath": {"type": "string", "minLength": 1, "default": "/v1/kyc/checks"},
        "assetCode": {"type": "string", "minLength": 1, "maxLength": 100, "default": "BRL"},
        "accountType": {"type": "string", "minLength": 1, "maxLength": 256, "default": "deposit"},
    }, ("kycProviderConfigId", "midazProviderConfigId")),
    provider_params={"kycProviderConfigId": "http", "midazProviderConfigId": "midaz"},
    build=build_kyc_account,
))
