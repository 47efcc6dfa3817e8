"""The engine: runs one node of one execution and decides what comes next.

``run_node`` is called once per message (at least once per node, possibly more):

1. Load the step. A finished step or a terminal execution ends the call (duplicate
   deliveries are harmless); an execution past its deadline is failed; a step whose retry
   delay has not passed yet is left to its delayed message.
2. Claim the step by compare-and-set (``ready``, or ``running`` with an expired lease, to
   ``running`` with ``attempt + 1``), only while the execution is pending or running, so no
   node starts once a cancel has committed. The lease is renewed while the node runs
   (``core.leases``).
3. Run the node outside any transaction (provider calls happen here, through the
   ``CallGuard``: a circuit breaker per provider configuration).
4. In one transaction, under the execution row's lock: check our claim still holds, store
   the result and the attempt record, then either schedule a retry (the step goes back to
   ``ready`` with ``not_before``), or decide each outgoing edge and create the steps that
   became ready or skipped (``core.graph.plan_next``), finish the execution when nothing is
   open, and write audit events.
5. After commit, dispatch the ready steps (retries and delays as delayed messages).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import peewee

from core import audit, db
from core.caller import SYSTEM
from core.config import DEFAULT_NODE_TIMEOUT_SECONDS, Settings
from core.dispatch import Dispatcher
from core import executor_configs
from core.errors import FlowkerError
from core.executors import ENDPOINTS, EXECUTORS, CallGuard, ExecutorCall, Unguarded
from core.expressions import ExpressionError, compile_condition
from core.graph import Graph, plan_next
from core.leases import LeaseRenewer
from core.mapping import MappingError, apply_mappings, validate_mappings
from core.models import Execution, ProviderConfiguration, Step, WorkflowVersion, utcnow
from core.provider_configs import plain_config
from core.retry import RetryPolicy
from core.templating import compile_template, render
from core.timefmt import rfc3339
from core.transforms import TransformError, apply_operations

log = logging.getLogger(__name__)
workflow_log = logging.getLogger("flowker.workflow")

FINISHED_STEP = ("completed", "failed", "skipped", "cancelled")
OPEN_STEP = ("ready", "running")
ACTIVE_EXECUTION = ("pending", "running")
TERMINAL_EXECUTION = ("completed", "failed", "cancelled")
# A JSON-escaped NUL (\u0000 not itself escaped): PostgreSQL cannot store it.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# Which process ran an attempt: shown in the attempt records, for operators.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
# A delayed message may arrive this early (clock skew between hosts) and still run.
_EARLY_TOLERANCE = timedelta(milliseconds=50)


class NodeFailure(Exception):
    """A node that could not complete. The message becomes the step's error, ``output`` (a
    provider's answer, when there was one) is kept on the step, and ``outcome`` classifies
    the failure for the retry policy (None: never retried)."""

    def __init__(self, message: str, output=None, outcome: str | None = None, called: bool = False, step_input=None):
        super().__init__(message)
        self.output = output
        self.outcome = outcome
        self.called = called
        self.step_input = step_input


@dataclass
class NodeResult:
    """What running a node produced."""

    output: object = None
    step_input: object = None
    decisions: dict = field(default_factory=dict)
    error: str | None = None
    outcome: str | None = None
    called: bool = False  # a provider call was made (counts against the limit)
    defer_s: float | None = None  # a delay node asks to be run again after this long
    status_code: int | None = None


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
    """``{"workflow": input, node_id: output}`` for the completed nodes among ``roots``
    (``None`` loads every completed node)."""
    context = {"workflow": execution.input}
    query = Step.select(Step.node_id, Step.output).where((Step.execution == execution.id) & (Step.status == "completed"))
    if roots is not None:
        wanted = [root for root in roots if root != "workflow"]
        if not wanted:
            return context
        query = query.where(Step.node_id.in_(wanted))
    for row in query:
        context[row.node_id] = row.output
    return context


def action_roots(data: dict, graph: Graph):
    """Node ids an action reads (None: the whole context)."""
    kind = data.get("actionType")
    if kind == "transform":
        return None
    if kind == "set_output":
        return compile_template(data.get("output"), graph.node_ids)
    if kind == "log":
        return compile_template([data.get("message"), data.get("fields")], graph.node_ids)
    if kind == "fail":
        return compile_template(data.get("message"), graph.node_ids)
    return frozenset()


class Engine:
    """Runs nodes. ``dispatcher`` sends follow-up work; ``guard`` wraps provider calls."""

    def __init__(self, dispatcher: Dispatcher, settings: Settings, guard: CallGuard | None = None):
        self.dispatcher = dispatcher
        self.settings = settings
        self.guard = guard or Unguarded()
        self.leases = LeaseRenewer(settings.lease_seconds)

    # -- 1 and 2: load and claim ----------------------------------------------------------

    def run_node(self, execution_id: str, node_id: str) -> str:
        """Run ``node_id`` of ``execution_id`` if it is still to be run.

        Returns what happened: ``missing``, ``duplicate``, ``terminal``, ``timeout`` (the
        execution passed its deadline), ``early`` (a retry delay has not passed), ``busy``
        (another worker holds the lease, or the execution stopped), ``abandoned`` (our claim
        was taken over), ``completed``, ``retrying``, ``deferred``, ``failed``. Database
        errors propagate (the message is retried).
        """
        step = Step.get_or_none((Step.execution == execution_id) & (Step.node_id == node_id))
        if step is None:
            return "missing"
        if step.status in FINISHED_STEP:
            return "duplicate"
        execution = Execution.get_by_id(execution_id)
        now = utcnow()
        if execution.status in TERMINAL_EXECUTION:
            close_step(step, now)
            return "terminal"
        if execution.deadline_at is not None and now >= execution.deadline_at:
            expire_execution(execution.id, now)
            return "timeout"
        if step.status == "ready" and step.not_before is not None and step.not_before > now + _EARLY_TOLERANCE:
            return "early"
        graph = load_graph(str(execution.workflow_id), execution.workflow_version)
        node = graph.nodes[node_id]
        attempt = step.attempt + 1
        attempts = [
            {**record, "outcome": "abandoned"} if record.get("outcome") == "running" else record
            for record in (step.attempts or [])
        ]
        attempts.append({"attempt": attempt, "startedAt": rfc3339(now), "outcome": "running", "worker": WORKER_ID})
        active = Execution.select(Execution.id).where(
            (Execution.id == execution.id) & (Execution.status.in_(ACTIVE_EXECUTION))
        )
        claimed = (
            Step.update(
                status="running", attempt=attempt, started_at=now, attempts=attempts,
                lease_expires_at=now + timedelta(seconds=self.settings.lease_seconds),
            )
            .where(
                (Step.id == step.id)
                & (Step.attempt == step.attempt)
                & ((Step.status == "ready") | ((Step.status == "running") & (Step.lease_expires_at < now)))
                & peewee.fn.EXISTS(active)
            )
            .execute()
        )
        if claimed != 1:
            return "busy"
        if execution.status == "pending":
            Execution.update(status="running").where(
                (Execution.id == execution.id) & (Execution.status == "pending")
            ).execute()
        started = time.monotonic()
        with self.leases.hold(step.id, attempt):
            result = self._run_safely(execution, graph, node, step)
        duration_ms = int((time.monotonic() - started) * 1000)
        return self._complete(execution.id, graph, node, step.id, attempt, attempts, result, duration_ms)

    def _run_safely(self, execution, graph, node, step) -> NodeResult:
        try:
            return self._execute(execution, graph, node, step)
        except NodeFailure as exc:
            status = exc.output.get("status") if isinstance(exc.output, dict) else None
            return NodeResult(
                output=exc.output, step_input=exc.step_input, error=str(exc), outcome=exc.outcome,
                called=exc.called, status_code=status if isinstance(status, int) else None,
            )
        except Exception as exc:  # a bug must fail the node, not leave it running forever
            log.exception("node %s of execution %s raised", node["id"], execution.id)
            return NodeResult(error=f"internal error: {type(exc).__name__}")

    # -- 3: the node itself ---------------------------------------------------------------

    def _execute(self, execution: Execution, graph: Graph, node: dict, step: Step) -> NodeResult:
        data = node.get("data") or {}
        kind = node["type"]
        result = NodeResult()
        if kind == "trigger":
            result.output = execution.input
        elif kind == "conditional":
            condition = self._condition(data.get("condition"), graph, f"node {node['id']!r}")
            value = self._evaluate(condition, execution, None)
            result.output = {"condition": condition.text, "result": value, "branchTaken": "true" if value else "false"}
        elif kind == "action":
            self._action(execution, graph, node, step, result)
            if result.defer_s is not None:
                return result
        else:
            self._call_executor(execution, node, result)
        for edge in graph.outgoing[node["id"]]:
            taken = True
            if kind == "conditional":
                taken = edge.get("sourceHandle") == result.output["branchTaken"]
            if taken and edge.get("condition"):
                condition = self._condition(edge["condition"], graph, f"edge {edge['id']!r}")
                taken = self._evaluate(condition, execution, (node["id"], result.output))
            result.decisions[edge["id"]] = taken
        return result

    def _action(self, execution: Execution, graph: Graph, node: dict, step: Step, result: NodeResult) -> None:
        data = node.get("data") or {}
        kind = data.get("actionType")
        try:
            context = load_context(execution, action_roots(data, graph))
            if kind == "set_output":
                result.output = render(data.get("output") or {}, context, graph.node_ids)
            elif kind == "log":
                message = render(data.get("message", ""), context, graph.node_ids)
                fields = render(data.get("fields") or {}, context, graph.node_ids)
                level = data.get("level", "info")
                workflow_log.log(
                    logging.getLevelName(level.upper()), "%s", message,
                    extra={"execution_id": str(execution.id), "node_id": node["id"], "fields": fields},
                )
                result.output = {"level": level, "message": message, "fields": fields}
            elif kind == "transform":
                if data.get("inputMapping"):
                    result.output = apply_mappings(data["inputMapping"], context)
                else:
                    result.output = apply_operations(data.get("transforms") or [], context)
            elif kind == "fail":
                raise NodeFailure(str(render(data.get("message") or "failed by a fail action", context, graph.node_ids)))
            elif kind == "delay":
                if step.not_before is None:
                    result.defer_s = float(data["seconds"])
                    return
                result.output = {"delayedSeconds": data["seconds"], "resumedAt": rfc3339(utcnow())}
            else:
                result.output = data
        except ExpressionError as exc:
            raise NodeFailure(f"expression failed: {exc}") from None
        except (MappingError, TransformError) as exc:
            raise NodeFailure(f"transform failed: {exc}") from None

    def _condition(self, text, graph: Graph, where: str):
        try:
            return compile_condition(text, graph.node_ids)
        except ExpressionError as exc:
            raise NodeFailure(f"{where}: {exc}") from None

    def _evaluate(self, condition, execution: Execution, own_output) -> bool:
        context = load_context(execution, condition.roots)
        if own_output is not None:
            context[own_output[0]] = own_output[1]
        try:
            return condition.evaluate(context)
        except ExpressionError as exc:
            raise NodeFailure(f"condition evaluation failed: {exc}") from None

    def _target(self, data: dict) -> tuple[Callable, dict, str]:
        """(runner, plain config, breaker key) of an executor node: a catalog executor with a
        provider configuration, or an executor configuration's endpoint."""
        if data.get("executorConfigId"):
            try:
                row, endpoint = executor_configs.resolve(data["executorConfigId"], data.get("endpointName"))
            except FlowkerError as exc:
                raise NodeFailure(exc.message) from None
            config = {"base_url": row.base_url, "endpoint": endpoint, "auth": executor_configs.plain_auth(row)}
            return ENDPOINTS.run, config, str(row.id)
        spec = EXECUTORS.get(data.get("executorId"))
        if spec is None:
            raise NodeFailure(f"executor {data.get('executorId')!r} is not in the catalog")
        row = ProviderConfiguration.get_or_none(ProviderConfiguration.id == data.get("providerConfigId"))
        if row is None or row.status != "active":
            raise NodeFailure(f"provider configuration {data.get('providerConfigId')} is missing or not active")
        return spec.run, plain_config(row), str(row.id)

    def _call_executor(self, execution: Execution, node: dict, result: NodeResult) -> None:
        data = node.get("data") or {}
        run, config, breaker_key = self._target(data)
        if execution.provider_calls >= self.settings.max_provider_calls:
            raise NodeFailure(f"limit reached: {self.settings.max_provider_calls} provider calls per execution")
        body = None
        try:
            if data.get("inputMapping"):
                body = apply_mappings(data["inputMapping"], load_context(execution, validate_mappings(data["inputMapping"])))
            elif data.get("transforms"):
                body = apply_operations(data["transforms"], load_context(execution, None))
        except (MappingError, TransformError) as exc:
            raise NodeFailure(f"input mapping failed: {exc}") from None
        timeout = node_timeout(node)
        if data.get("executorConfigId") and not data.get("timeout"):
            timeout = float(config["endpoint"].get("timeout", DEFAULT_NODE_TIMEOUT_SECONDS))
        if execution.deadline_at is not None:
            timeout = max(0.05, min(timeout, (execution.deadline_at - utcnow()).total_seconds()))
        call = ExecutorCall(
            provider_config=config, node_data=data, body=body, timeout_s=timeout,
            idempotency_key=f"{execution.id}:{node['id']}",
            allow_private_networks=self.settings.allow_private_networks,
            max_response_bytes=self.settings.max_response_bytes,
        )
        answer = self.guard.call(breaker_key, lambda: run(call))
        result.step_input = body
        result.called = answer.kind != "circuit_open"
        result.status_code = answer.status
        if not answer.ok:
            raise NodeFailure(answer.error, answer.output, answer.outcome, result.called, body)
        result.output = answer.output
        if data.get("outputMapping"):
            try:
                result.output = apply_mappings(data["outputMapping"], answer.output)
            except MappingError as exc:
                raise NodeFailure(f"output mapping failed: {exc}") from None

    # -- 4 and 5: record and move on ------------------------------------------------------

    def _check_limits(self, execution: Execution, result: NodeResult) -> int:
        """Size of the output in bytes; turns an output over a limit, or one no database
        can store (NaN, Infinity, NUL), into the step's failure."""
        try:
            text = json.dumps(result.output, separators=(",", ":"), allow_nan=False) if result.output is not None else ""
        except (ValueError, TypeError) as exc:
            result.error, result.output, result.outcome = f"output is not storable JSON: {exc}", None, None
            return 0
        if _NUL_ESCAPE.search(text):
            result.error, result.output, result.outcome = "output is not storable JSON: it holds a NUL character", None, None
            return 0
        size = len(text.encode("utf-8"))
        if result.error is None and size > self.settings.max_step_output_bytes:
            result.error = f"limit reached: step output is {size} bytes, over {self.settings.max_step_output_bytes}"
            result.output, result.outcome = None, None
            return 0
        if result.error is None and execution.payload_bytes + size > self.settings.max_execution_payload_bytes:
            result.error = f"limit reached: execution payload over {self.settings.max_execution_payload_bytes} bytes"
            result.output, result.outcome = None, None
            return 0
        return size

    def _complete(self, execution_id, graph, node, step_id, attempt, attempts, result: NodeResult, duration_ms) -> str:
        now = utcnow()
        label = "deferred" if result.defer_s is not None else ("failed" if result.error else "completed")
        record = {**attempts[-1], "durationMs": duration_ms, "outcome": result.outcome or label}
        if result.status_code is not None:
            record["statusCode"] = result.status_code
        if result.error:
            record["error"] = result.error
        send: list[tuple[str, str]] = []
        delay_ms = 0
        with db.transaction():
            execution = db.lock_for_update(Execution.select().where(Execution.id == execution_id)).get()
            current = Step.get_by_id(step_id)
            if current.status != "running" or current.attempt != attempt:
                return "abandoned"
            attempts = (current.attempts or [])[:-1] + [record]
            execution.provider_calls += 1 if result.called else 0
            size = self._check_limits(execution, result)
            terminal = execution.status in TERMINAL_EXECUTION
            delay_s = None if terminal else self._later(execution, node, attempts_this_round(attempts), result, now)
            if delay_s is not None:
                attempts[-1] = {**attempts[-1], "retryInMs": int(delay_s * 1000)}
                due = now + timedelta(seconds=delay_s)
                Step.update(
                    status="ready", not_before=due, dispatched_at=due, lease_expires_at=None, attempts=attempts,
                    output=result.output, error_message=result.error,
                ).where(Step.id == step_id).execute()
                execution.save()
                send, delay_ms = [(node["id"], node["type"])], int(delay_s * 1000)
                label = "deferred" if result.defer_s is not None else "retrying"
            else:
                Step.update(
                    status="failed" if result.error else "completed",
                    input=result.step_input, output=result.output, error_message=result.error,
                    finished_at=now, duration_ms=duration_ms, lease_expires_at=None, attempts=attempts,
                    decisions=None if result.error else result.decisions,
                ).where(Step.id == step_id).execute()
                execution.payload_bytes += size
                execution.finished_steps += 0 if node["type"] == "trigger" else 1
                overdue = execution.deadline_at is not None and now >= execution.deadline_at
                if not terminal:
                    execution.status = "running"
                    if overdue:
                        seconds = int((execution.deadline_at - execution.started_at).total_seconds())
                        cause = f' (node "{node["id"]}": {result.error})' if result.error else ""
                        finish_execution(execution, "failed", f"execution timeout: exceeded its {seconds}s deadline{cause}", now, graph)
                        Step.update(status="cancelled", finished_at=now).where(
                            (Step.execution == execution.id) & (Step.status == "ready")
                        ).execute()
                    elif result.error:
                        tried = f" after {attempt} attempts" if attempt > 1 else ""
                        finish_execution(execution, "failed", f'node "{node["id"]}"{tried}: {result.error}', now, graph)
                    else:
                        send = [(n, t) for n, t, _ in advance(execution, graph, {node["id"]: result.decisions}, now)]
                        if not Step.select().where((Step.execution == execution.id) & (Step.status.in_(OPEN_STEP))).exists():
                            finish_execution(execution, "completed", None, now, graph)
                execution.save()
        if send:
            self.dispatcher.dispatch(str(execution_id), send, delay_ms=delay_ms)
        return label

    def _later(self, execution: Execution, node: dict, attempt: int, result: NodeResult, now) -> float | None:
        """Seconds until this step should run again (a delay node, or a retry the policy
        allows within the deadline and the call limit), or None to finish it now."""
        if result.defer_s is not None:
            return result.defer_s
        if not result.error or node["type"] != "executor":
            return None
        policy = RetryPolicy.from_node(node.get("data") or {})
        if not policy.retries(result.outcome) or attempt >= policy.max_attempts:
            return None
        delay_s = policy.delay_ms(attempt) / 1000
        if result.outcome == "circuit_open":
            delay_s = max(delay_s, self.guard.cooldown_s)
        if execution.deadline_at is not None and now + timedelta(seconds=delay_s) >= execution.deadline_at:
            result.error += "; no retry: the execution deadline would pass first"
            return None
        if execution.provider_calls >= self.settings.max_provider_calls:
            result.error += f"; no retry: limit reached: {self.settings.max_provider_calls} provider calls per execution"
            return None
        return delay_s


def advance(execution: Execution, graph: Graph, decisions: dict, now) -> list[tuple[str, str, int]]:
    """Apply finished nodes' edge decisions: update ``execution.edge_states`` and counters and
    create the steps that became ready or skipped. Returns the ready (node, type, 0) list.
    Call under the execution row lock; the caller saves the execution."""
    plan = plan_next(graph, execution.edge_states or {}, decisions)
    execution.edge_states = {**(execution.edge_states or {}), **plan.edge_states}
    ready = []
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
            ready.append((node_id, node_type, 0))
    return ready


def attempts_this_round(attempts: list[dict]) -> int:
    """Attempts since the last manual retry of the execution (each gets the full policy)."""
    count = 0
    for record in reversed(attempts):
        if record.get("outcome") == "manual_retry":
            break
        if "attempt" in record:
            count += 1
    return count


def close_step(step: Step, now) -> None:
    """Mark a ready step (or a running one whose worker is gone) of a finished execution as
    cancelled, so nothing keeps re-sending it. Compare-and-set on (status, attempt)."""
    attempts = [
        {**record, "outcome": "abandoned"} if record.get("outcome") == "running" else record
        for record in (step.attempts or [])
    ]
    Step.update(status="cancelled", finished_at=now, lease_expires_at=None, attempts=attempts).where(
        (Step.id == step.id) & (Step.attempt == step.attempt)
        & ((Step.status == "ready") | ((Step.status == "running") & (Step.lease_expires_at < now)))
    ).execute()


def finish_execution(execution: Execution, status: str, error: str | None, now, graph: Graph | None) -> None:
    """Set a terminal status with its audit event (under the row lock; caller saves)."""
    execution.status = status
    execution.error_message = error
    execution.completed_at = now
    metadata = {"workflow.id": str(execution.workflow_id)}
    if status == "completed":
        execution.final_output = final_output(execution.id, graph)
        audit.record("EXECUTION_COMPLETED", "EXECUTE", "execution", execution.id, SYSTEM, metadata)
    elif status == "failed":
        audit.record("EXECUTION_FAILED", "EXECUTE", "execution", execution.id, SYSTEM, {**metadata, "error": error}, "FAILED")


def expire_execution(execution_id, now) -> bool:
    """Fail an execution that passed its deadline (compare-and-set; no later node starts).
    Returns whether this call made the change."""
    with db.transaction():
        execution = db.lock_for_update(Execution.select().where(Execution.id == execution_id)).get()
        if execution.status not in ACTIVE_EXECUTION or execution.deadline_at is None or execution.deadline_at > now:
            return False
        seconds = int((execution.deadline_at - execution.started_at).total_seconds())
        finish_execution(execution, "failed", f"execution timeout: exceeded its {seconds}s deadline", now, None)
        Step.update(status="cancelled", finished_at=now).where(
            (Step.execution == execution.id) & (Step.status == "ready")
        ).execute()
        execution.save()
    return True


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
