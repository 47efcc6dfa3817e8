"""Execution service: start (with idempotency), list, get, results (contract §5).

Starting is one transaction: the idempotency record (unique per workflow and key, with a
SHA-256 fingerprint of the request), the execution row, the trigger's step (other triggers
and the paths only they lead to are skipped), and the audit event. The trigger node is
dispatched after commit. Concurrent requests with one key race on the unique index; the
losers re-read the winner's record (insert-then-re-read, no check-then-insert window).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import timedelta

import peewee

from core import audit, db
from core.caller import Caller
from core.config import DEFAULT_EXECUTION_TIMEOUT_SECONDS
from core.dispatch import Dispatcher
from core.engine import load_graph
from core.errors import BadRequest, NotFound, Unprocessable
from core.graph import plan_next
from core.models import Execution, IdempotencyRecord, Step, Workflow, utcnow
from core.pagination import PageRequest, paginate
from core.timefmt import rfc3339

log = logging.getLogger(__name__)

STATUSES = ("pending", "running", "completed", "failed", "cancelled")
SORT_FIELDS = {"startedAt": "started_at", "completedAt": "completed_at"}
# How long an Idempotency-Key is remembered per workflow.
DEFAULT_IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def fingerprint(input_data) -> str:
    """SHA-256 hex of the canonical JSON (sorted keys, no spaces) of the request input."""
    canonical = json.dumps(input_data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _status_output(row: Execution) -> dict:
    out = {
        "executionId": str(row.id),
        "workflowId": str(row.workflow_id),
        "status": row.status,
        "currentStepNumber": row.finished_steps,
        "totalSteps": row.total_steps,
        "startedAt": rfc3339(row.started_at),
    }
    if row.completed_at:
        out["completedAt"] = rfc3339(row.completed_at)
    if row.error_message:
        out["errorMessage"] = row.error_message
    return out


def _create_output(row: Execution) -> dict:
    return {
        "executionId": str(row.id),
        "workflowId": str(row.workflow_id),
        "status": row.status,
        "startedAt": rfc3339(row.started_at),
    }


def _replay(record: IdempotencyRecord, print_: str) -> dict:
    if record.fingerprint != print_:
        raise Unprocessable(
            "FLK-0510", "Idempotency-Key was already used with a different request body for this workflow"
        )
    return _create_output(Execution.get_by_id(record.execution_id))


def start(
    workflow_id, input_data: dict, idempotency_key: str, caller: Caller, dispatcher: Dispatcher,
    default_timeout_s: int = DEFAULT_EXECUTION_TIMEOUT_SECONDS, trigger_node_id: str | None = None,
    fingerprint_input=None,
) -> tuple[dict, bool]:
    """Start an execution of an active workflow, or replay the one made with this key.

    The execution must finish within the workflow's ``timeoutSeconds`` (else
    ``default_timeout_s``). ``trigger_node_id`` names the trigger that fired (a webhook or a
    schedule); by default the first manual trigger, else the first trigger.
    ``fingerprint_input`` (default: ``input_data``) is what a replayed key must match. Returns (CreateOutput, created). Raises 400 FLK-0509 (key missing or longer than 255),
    404 FLK-0100, 422 FLK-0501 (workflow not active), 422 FLK-0510 (key reused with a
    different body).
    """
    key = (idempotency_key or "").strip()
    if not key:
        raise BadRequest("FLK-0509", "Idempotency-Key header is required")
    if len(key) > MAX_KEY_LENGTH:
        raise BadRequest("FLK-0509", f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters")
    if not key.isprintable():
        raise BadRequest("FLK-0509", "Idempotency-Key must hold printable characters only")
    workflow = Workflow.get_or_none(Workflow.id == workflow_id)
    if workflow is None:
        raise NotFound("FLK-0100", "workflow not found")
    print_ = fingerprint(input_data if fingerprint_input is None else fingerprint_input)
    now = utcnow()
    record = IdempotencyRecord.get_or_none(
        (IdempotencyRecord.workflow_id == workflow.id) & (IdempotencyRecord.key == key) & (IdempotencyRecord.expires_at > now)
    )
    if record is not None:
        return _replay(record, print_), False
    if workflow.status != "active":
        raise Unprocessable("FLK-0501", "workflow is not active")
    graph = load_graph(str(workflow.id), workflow.version)
    triggers = graph.triggers()
    if trigger_node_id is not None:
        fired = trigger_node_id
    else:
        manual = [t for t in triggers if (graph.nodes[t].get("data") or {}).get("triggerType", "manual") == "manual"]
        fired = (manual or triggers)[0]
    try:
        with db.transaction():
            IdempotencyRecord.delete().where(
                (IdempotencyRecord.workflow_id == workflow.id) & (IdempotencyRecord.key == key) & (IdempotencyRecord.expires_at <= now)
            ).execute()
            execution_id = uuid.uuid4()
            IdempotencyRecord.create(
                workflow_id=workflow.id, key=key, fingerprint=print_, execution_id=execution_id,
                created_at=now, expires_at=now + DEFAULT_IDEMPOTENCY_TTL,
            )
            execution = _insert_execution(execution_id, workflow, graph, fired, input_data, key, now, default_timeout_s)
            audit.record(
                "EXECUTION_STARTED", "EXECUTE", "execution", execution.id, caller, {"workflow.id": str(workflow.id)}
            )
    except peewee.IntegrityError:
        record = IdempotencyRecord.get(
            (IdempotencyRecord.workflow_id == workflow.id) & (IdempotencyRecord.key == key)
        )
        return _replay(record, print_), False
    try:
        dispatcher.dispatch(str(execution.id), [(fired, "trigger")])
    except Exception:  # the sweep re-sends ready steps that were never picked up
        log.exception("dispatch of execution %s failed; the recovery sweep will resend it", execution.id)
    return _create_output(execution), True


def _insert_execution(execution_id, workflow, graph, fired: str, input_data, key: str, now, default_timeout_s: int) -> Execution:
    """Execution row plus the fired trigger's step; triggers that did not fire are skipped
    together with every node that only they lead to."""
    total = sum(1 for node in graph.nodes.values() if node["type"] != "trigger")
    timeout_s = workflow.timeout_seconds or default_timeout_s
    execution = Execution.create(
        id=execution_id, workflow_id=workflow.id, workflow_version=workflow.version, status="pending",
        input=input_data, idempotency_key=key, trigger_node_id=fired, total_steps=total, started_at=now,
        edge_states={}, deadline_at=now + timedelta(seconds=timeout_s),
    )
    Step.create(execution=execution.id, node_id=fired, node_type="trigger", status="ready", dispatched_at=now)
    others = [t for t in graph.triggers() if t != fired]
    if others:
        for trigger in others:
            Step.create(execution=execution.id, node_id=trigger, node_type="trigger", status="skipped", finished_at=now)
        plan = plan_next(graph, {}, {t: {e["id"]: False for e in graph.outgoing[t]} for t in others})
        execution.edge_states = plan.edge_states
        for node_id in plan.skipped:
            node_type = graph.nodes[node_id]["type"]
            number = None
            if node_type != "trigger":
                execution.numbered_steps += 1
                execution.finished_steps += 1
                number = execution.numbered_steps
            Step.create(
                execution=execution.id, node_id=node_id, node_type=node_type, step_number=number,
                status="skipped", finished_at=now,
            )
        execution.save()
    return execution


def _get(execution_id) -> Execution:
    row = Execution.get_or_none(Execution.id == execution_id)
    if row is None:
        raise NotFound("FLK-0500", "execution not found")
    return row


def get(execution_id) -> dict:
    """StatusOutput; raises 404 FLK-0500."""
    return _status_output(_get(execution_id))


def list_executions(workflow_id, status: str | None, page: PageRequest) -> dict:
    """Page of StatusOutput, filtered by workflow and status (else 400 FLK-0304).
    Sorting by completedAt lists finished executions only."""
    query = Execution.select()
    if workflow_id is not None:
        query = query.where(Execution.workflow_id == workflow_id)
    if status:
        if status not in STATUSES:
            raise BadRequest("FLK-0304", f"status must be one of {', '.join(STATUSES)}")
        query = query.where(Execution.status == status)
    if page.sort_by == "completedAt":
        query = query.where(Execution.completed_at.is_null(False))
    return paginate(query, Execution, page, SORT_FIELDS[page.sort_by], _status_output)


def results(execution_id) -> dict:
    """ResultsOutput with every non-trigger step in step order. Raises 404 FLK-0500, 422
    FLK-0502 while the execution is pending or running."""
    row = _get(execution_id)
    if row.status in ("pending", "running"):
        raise Unprocessable("FLK-0502", f"execution is still {row.status}; results are available once it finishes")
    graph = load_graph(str(row.workflow_id), row.workflow_version)
    steps = (
        Step.select()
        .where((Step.execution == row.id) & (Step.node_type != "trigger"))
        .order_by(Step.step_number)
    )
    out = {
        "executionId": str(row.id),
        "workflowId": str(row.workflow_id),
        "status": row.status,
        "stepResults": [_step_output(step, graph) for step in steps],
        "startedAt": rfc3339(row.started_at),
    }
    if row.final_output is not None:
        out["finalOutput"] = row.final_output
    if row.completed_at:
        out["completedAt"] = rfc3339(row.completed_at)
    if row.error_message:
        out["errorMessage"] = row.error_message
    return out


def _step_output(step: Step, graph) -> dict:
    node = graph.nodes.get(step.node_id, {})
    out = {
        "stepNumber": step.step_number,
        "stepName": node.get("name") or f"{step.node_type}_{step.node_id}",
        "nodeId": step.node_id,
        "status": step.status,
        "attempt": step.attempt,
        "durationMs": step.duration_ms or 0,
    }
    if step.output is not None:
        out["output"] = step.output
    if step.error_message:
        out["errorMessage"] = step.error_message
    if step.started_at:
        out["executedAt"] = rfc3339(step.started_at)
    if step.attempts:
        out["attempts"] = step.attempts
    return out
