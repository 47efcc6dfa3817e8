"""Execution control: cancel a running execution, retry a failed one (contract §5, beyond
the reference).

Cancel is a compare-and-set under the execution row lock: once it commits, no node starts
(``Engine.run_node`` claims a step only while the execution is pending or running), ready
steps become ``cancelled``, and a node already calling its provider finishes but decides
nothing further.

Retry resumes a failed execution where it stopped: failed (and cancelled-by-timeout) steps
become ready again with their attempt history kept, completed steps are kept and never re-run,
and nodes whose parents completed while the execution was failing are planned from the
parents' recorded edge decisions. The execution gets a fresh deadline.
"""

from __future__ import annotations

from datetime import timedelta

from core import audit, db
from core.caller import Caller
from core.dispatch import Dispatcher
from core.engine import ACTIVE_EXECUTION, advance, finish_execution, load_graph
from core.errors import NotFound, Unprocessable
from core.models import Execution, Step, Workflow, utcnow
from core.timefmt import rfc3339


def _locked(execution_id) -> Execution:
    execution = db.lock_for_update(Execution.select().where(Execution.id == execution_id)).get_or_none()
    if execution is None:
        raise NotFound("FLK-0500", "execution not found")
    return execution


def cancel(execution_id, caller: Caller) -> Execution:
    """pending|running → cancelled. Raises 404 FLK-0500, 422 FLK-0511 (already finished)."""
    now = utcnow()
    with db.transaction():
        execution = _locked(execution_id)
        if execution.status not in ACTIVE_EXECUTION:
            raise Unprocessable("FLK-0511", f"execution is {execution.status}; only pending or running executions can be cancelled")
        execution.status = "cancelled"
        execution.completed_at = now
        execution.error_message = f"cancelled by {caller.type} {caller.id}"
        Step.update(status="cancelled", finished_at=now).where(
            (Step.execution == execution.id) & (Step.status == "ready")
        ).execute()
        execution.save()
        audit.record("EXECUTION_CANCELLED", "CANCEL", "execution", execution.id, caller, {"workflow.id": str(execution.workflow_id)})
    return execution


def retry(execution_id, caller: Caller, dispatcher: Dispatcher, default_timeout_s: int) -> Execution:
    """failed → running, continuing from the failed nodes. Raises 404 FLK-0500, 422 FLK-0512
    (not failed)."""
    now = utcnow()
    with db.transaction():
        execution = _locked(execution_id)
        if execution.status != "failed":
            raise Unprocessable("FLK-0512", f"execution is {execution.status}; only failed executions can be retried")
        graph = load_graph(str(execution.workflow_id), execution.workflow_version)
        # Failed steps counted as finished; cancelled ones (never started) did not.
        execution.finished_steps -= Step.select().where(
            (Step.execution == execution.id) & (Step.status == "failed") & (Step.node_type != "trigger")
        ).count()
        for step in list(Step.select().where((Step.execution == execution.id) & (Step.status.in_(("failed", "cancelled"))))):
            # The marker gives the step's retry policy its full budget again.
            marker = {"outcome": "manual_retry", "at": rfc3339(now), "by": f"{caller.type}:{caller.id}"}
            Step.update(
                status="ready", error_message=None, finished_at=None, not_before=None, dispatched_at=now,
                lease_expires_at=None, attempts=(step.attempts or []) + [marker],
            ).where(Step.id == step.id).execute()
        undecided = {}
        for step in Step.select().where((Step.execution == execution.id) & (Step.status == "completed")):
            pending = {
                edge_id: taken for edge_id, taken in (step.decisions or {}).items()
                if edge_id not in (execution.edge_states or {})
            }
            if pending:
                undecided[step.node_id] = pending
        if undecided:
            advance(execution, graph, undecided, now)
        workflow = Workflow.get_or_none(Workflow.id == execution.workflow_id)
        timeout_s = (workflow.timeout_seconds if workflow else None) or default_timeout_s
        execution.status = "running"
        execution.error_message = None
        execution.completed_at = None
        execution.deadline_at = now + timedelta(seconds=timeout_s)
        audit.record("EXECUTION_RETRIED", "RETRY", "execution", execution.id, caller, {"workflow.id": str(execution.workflow_id)})
        ready = [(s.node_id, s.node_type) for s in Step.select(Step.node_id, Step.node_type).where(
            (Step.execution == execution.id) & (Step.status.in_(("ready", "running"))))]
        if not ready:  # everything was decided while it was failing: it is simply complete
            finish_execution(execution, "completed", None, now, graph)
        execution.save()
    dispatcher.dispatch(str(execution.id), ready)
    return execution
