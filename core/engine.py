"""The engine: runs one node of one execution and decides what comes next.

``run_node`` is called once per message (at least once per node, possibly more):

1. Load the step; a finished step, or a terminal execution, ends the call (duplicates are
   harmless).
2. Claim the step by compare-and-set (``ready``, or ``running`` with an expired lease, to
   ``running`` with ``attempt + 1`` and a lease of node timeout + margin).
3. Run the node outside any transaction (HTTP calls happen here).
4. In one transaction, under the execution row's lock: store the result (only if our claim
   still holds), decide each outgoing edge, create the steps that became ready or skipped
   (``core.graph.plan_next``), update counters, finish the execution when nothing is open,
   and write audit events.
5. After commit, dispatch the ready steps.
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import timedelta

from core import audit, db
from core.caller import SYSTEM
from core.config import DEFAULT_NODE_TIMEOUT_SECONDS, Settings
from core.dispatch import Dispatcher
from core.executors import EXECUTORS, ExecutorCall
from core.expressions import ExpressionError, compile_condition
from core.graph import Graph, plan_next
from core.mapping import MappingError, apply_mappings, validate_mappings
from core.models import Execution, ProviderConfiguration, Step, WorkflowVersion, utcnow

log = logging.getLogger(__name__)

FINISHED_STEP = ("completed", "failed", "skipped")
OPEN_STEP = ("ready", "running")
TERMINAL_EXECUTION = ("completed", "failed", "cancelled")


class NodeFailure(Exception):
    """A node that could not complete; the message becomes the step's error and ``output``
    (a provider's answer, when there was one) is kept on the step."""

    def __init__(self, message: str, output=None):
        super().__init__(message)
        self.output = output


@functools.lru_cache(maxsize=512)
def load_graph(workflow_id: str, version: int) -> Graph:
    """The immutable definition an execution runs (cached: snapshots never change)."""
    snapshot = WorkflowVersion.get(
        (WorkflowVersion.workflow_id == workflow_id) & (WorkflowVersion.version == version)
    )
    return Graph.from_definition(snapshot.definition["nodes"], snapshot.definition["edges"])


def node_timeout(node: dict) -> float:
    timeout = (node.get("data") or {}).get("timeout")
    return float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else DEFAULT_NODE_TIMEOUT_SECONDS


def load_context(execution: Execution, roots) -> dict:
    """``{"workflow": input, node_id: output}`` for the completed nodes among ``roots``."""
    context = {"workflow": execution.input}
    wanted = [root for root in roots if root != "workflow"]
    if wanted:
        rows = Step.select(Step.node_id, Step.output).where(
            (Step.execution == execution.id) & (Step.node_id.in_(wanted)) & (Step.status == "completed")
        )
        for row in rows:
            context[row.node_id] = row.output
    return context


class Engine:
    """Runs nodes. ``dispatcher`` sends follow-up work; ``settings`` gives lease and egress
    settings."""

    def __init__(self, dispatcher: Dispatcher, settings: Settings):
        self.dispatcher = dispatcher
        self.settings = settings

    # -- 1 and 2: load and claim ----------------------------------------------------------

    def run_node(self, execution_id: str, node_id: str) -> str:
        """Run ``node_id`` of ``execution_id`` if it is still to be run.

        Returns what happened: ``missing``, ``duplicate``, ``terminal``, ``busy`` (another
        worker holds the lease), ``abandoned`` (our claim was taken over), ``completed``,
        ``failed``. Database errors propagate (the message is retried).
        """
        step = Step.get_or_none((Step.execution == execution_id) & (Step.node_id == node_id))
        if step is None:
            return "missing"
        if step.status in FINISHED_STEP:
            return "duplicate"
        execution = Execution.get_by_id(execution_id)
        if execution.status in TERMINAL_EXECUTION:
            return "terminal"
        graph = load_graph(str(execution.workflow_id), execution.workflow_version)
        node = graph.nodes[node_id]
        now = utcnow()
        lease = now + timedelta(seconds=node_timeout(node) + self.settings.lease_margin_seconds)
        claimed = (
            Step.update(status="running", attempt=step.attempt + 1, started_at=now, lease_expires_at=lease)
            .where(
                (Step.id == step.id)
                & (Step.attempt == step.attempt)
                & ((Step.status == "ready") | ((Step.status == "running") & (Step.lease_expires_at < now)))
            )
            .execute()
        )
        if claimed != 1:
            return "busy"
        attempt = step.attempt + 1
        if execution.status == "pending":
            Execution.update(status="running").where(
                (Execution.id == execution.id) & (Execution.status == "pending")
            ).execute()
        started = time.monotonic()
        try:
            step_input, output, decisions = self._execute(execution, graph, node)
            error = None
        except NodeFailure as exc:
            step_input, output, decisions, error = None, exc.output, {}, str(exc)
        except Exception as exc:  # a bug must fail the node, not leave it running forever
            log.exception("node %s of execution %s raised", node_id, execution_id)
            step_input, output, decisions, error = None, None, {}, f"internal error: {type(exc).__name__}"
        duration_ms = int((time.monotonic() - started) * 1000)
        return self._complete(execution.id, graph, step, attempt, step_input, output, decisions, error, duration_ms)

    # -- 3: the node itself ---------------------------------------------------------------

    def _execute(self, execution: Execution, graph: Graph, node: dict):
        """Returns (step input, step output, {edge_id: taken}). Raises NodeFailure."""
        data = node.get("data") or {}
        kind = node["type"]
        step_input = None
        if kind == "trigger":
            output = execution.input
        elif kind == "conditional":
            condition = self._condition(data.get("condition"), graph, f"node {node['id']!r}")
            result = self._evaluate(condition, execution, None, node["id"])
            output = {"condition": condition.text, "result": result, "branchTaken": "true" if result else "false"}
        elif kind == "action":
            output = data.get("output") if data.get("actionType") == "set_output" else data
        else:
            step_input, output = self._call_executor(execution, node)
        decisions = {}
        for edge in graph.outgoing[node["id"]]:
            taken = True
            if kind == "conditional":
                taken = edge.get("sourceHandle") == output["branchTaken"]
            if taken and edge.get("condition"):
                condition = self._condition(edge["condition"], graph, f"edge {edge['id']!r}")
                taken = self._evaluate(condition, execution, (node["id"], output), f"edge {edge['id']}")
            decisions[edge["id"]] = taken
        return step_input, output, decisions

    def _condition(self, text, graph: Graph, where: str):
        try:
            return compile_condition(text, graph.node_ids)
        except ExpressionError as exc:
            raise NodeFailure(f"{where}: {exc}") from None

    def _evaluate(self, condition, execution: Execution, own_output, where: str) -> bool:
        context = load_context(execution, condition.roots)
        if own_output is not None:
            context[own_output[0]] = own_output[1]
        try:
            return condition.evaluate(context)
        except ExpressionError as exc:
            raise NodeFailure(f"condition evaluation failed: {exc}") from None

    def _call_executor(self, execution: Execution, node: dict):
        data = node.get("data") or {}
        spec = EXECUTORS.get(data.get("executorId"))
        if spec is None:
            raise NodeFailure(f"executor {data.get('executorId')!r} is not in the catalog")
        config = ProviderConfiguration.get_or_none(ProviderConfiguration.id == data.get("providerConfigId"))
        if config is None or config.status != "active":
            raise NodeFailure(f"provider configuration {data.get('providerConfigId')} is missing or not active")
        body = None
        mappings = data.get("inputMapping") or []
        if mappings:
            try:
                body = apply_mappings(mappings, load_context(execution, validate_mappings(mappings)))
            except MappingError as exc:
                raise NodeFailure(f"input mapping failed: {exc}") from None
        call = ExecutorCall(
            provider_config=config.config,
            node_data=data,
            body=body,
            timeout_s=node_timeout(node),
            idempotency_key=f"{execution.id}:{node['id']}",
            allow_private_networks=self.settings.allow_private_networks,
            max_response_bytes=self.settings.max_response_bytes,
        )
        result = spec.run(call)
        if not result.ok:
            raise NodeFailure(result.error, result.output)
        output = result.output
        if data.get("outputMapping"):
            try:
                output = apply_mappings(data["outputMapping"], output)
            except MappingError as exc:
                raise NodeFailure(f"output mapping failed: {exc}") from None
        return body, output

    # -- 4 and 5: record and move on ------------------------------------------------------

    def _complete(self, execution_id, graph, step, attempt, step_input, output, decisions, error, duration_ms) -> str:
        ready: list[tuple[str, str]] = []
        now = utcnow()
        with db.transaction():
            execution = db.lock_for_update(Execution.select().where(Execution.id == execution_id)).get()
            current = Step.get_by_id(step.id)
            if current.status != "running" or current.attempt != attempt:
                return "abandoned"
            Step.update(
                status="failed" if error else "completed",
                input=step_input,
                output=output,
                error_message=error,
                finished_at=now,
                duration_ms=duration_ms,
                lease_expires_at=None,
            ).where(Step.id == step.id).execute()
            counts = 0 if step.node_type == "trigger" else 1
            execution.finished_steps += counts
            if execution.status in TERMINAL_EXECUTION:
                execution.save()
                return "failed" if error else "completed"
            if execution.status == "pending":
                execution.status = "running"
            if error:
                self._finish(execution, "failed", f'node "{step.node_id}": {error}', now, graph)
                execution.save()
                return "failed"
            plan = plan_next(graph, execution.edge_states or {}, {step.node_id: decisions})
            execution.edge_states = {**(execution.edge_states or {}), **plan.edge_states}
            for node_id in plan.ready + plan.skipped:
                node_type = graph.nodes[node_id]["type"]
                skipped = node_id in plan.skipped
                number = None
                if node_type != "trigger":
                    execution.numbered_steps += 1
                    number = execution.numbered_steps
                    if skipped:
                        execution.finished_steps += 1
                Step.create(
                    execution=execution.id, node_id=node_id, node_type=node_type, step_number=number,
                    status="skipped" if skipped else "ready", dispatched_at=None if skipped else now,
                    finished_at=now if skipped else None,
                )
                if not skipped:
                    ready.append((node_id, node_type))
            still_open = Step.select().where(
                (Step.execution == execution.id) & (Step.status.in_(OPEN_STEP))
            ).exists()
            if not still_open:
                self._finish(execution, "completed", None, now, graph)
            execution.save()
        if ready:
            self.dispatcher.dispatch(str(execution_id), ready)
        return "completed"

    def _finish(self, execution: Execution, status: str, error: str | None, now, graph: Graph) -> None:
        execution.status = status
        execution.error_message = error
        execution.completed_at = now
        metadata = {"workflow.id": str(execution.workflow_id)}
        if status == "completed":
            execution.final_output = final_output(execution.id, graph)
            audit.record("EXECUTION_COMPLETED", "EXECUTE", "execution", execution.id, SYSTEM, metadata)
        else:
            audit.record(
                "EXECUTION_FAILED", "EXECUTE", "execution", execution.id, SYSTEM, {**metadata, "error": error}, "FAILED"
            )


def final_output(execution_id, graph: Graph) -> dict | None:
    """Merge of the outputs of the ``set_output`` actions that ran, in step order; None when
    no ``set_output`` ran (the step results hold every output)."""
    setters = [
        node_id for node_id, node in graph.nodes.items()
        if node["type"] == "action" and (node.get("data") or {}).get("actionType") == "set_output"
    ]
    if not setters:
        return None
    merged = None
    rows = (
        Step.select(Step.output, Step.node_id)
        .where((Step.execution == execution_id) & (Step.node_id.in_(setters)) & (Step.status == "completed"))
        .order_by(Step.step_number)
    )
    for row in rows:
        if isinstance(row.output, dict):
            merged = {**(merged or {}), **row.output}
    return merged
