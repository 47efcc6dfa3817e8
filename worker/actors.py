"""Actors: one Dramatiq message runs one node (``core.engine.Engine.run_node``).

Two queues, so a slow provider cannot starve the engine: ``flowker-executor`` for executor
nodes (I/O bound; run many threads) and ``flowker-engine`` for triggers, conditionals and
actions (CPU-light). Follow-up nodes are enqueued by ``DramatiqDispatcher`` after the
engine's transaction commits.

A database error escapes the actor, so Dramatiq's Retries middleware sends the message
again with exponential back-off; the thread's connection is closed first so that the
retry reconnects (PostgreSQL restarted, connection dropped).
"""

from __future__ import annotations

import logging
from typing import Sequence

import dramatiq
import peewee

from core import db
from core.config import Settings
from core.engine import Engine
from worker.breakers import BreakerGuard

log = logging.getLogger(__name__)

EXECUTOR_QUEUE = "flowker-executor"
ENGINE_QUEUE = "flowker-engine"
QUEUES = (EXECUTOR_QUEUE, ENGINE_QUEUE)
# Retries of a message whose handler raised (database or broker trouble), in ms.
_RETRY_OPTIONS = {"max_retries": 30, "min_backoff": 250, "max_backoff": 30_000}


class DramatiqDispatcher:
    """``core.dispatch.Dispatcher`` over Dramatiq: one message per node, queue by node type."""

    def __init__(self, actors: dict[str, dramatiq.Actor]):
        self.actors = actors

    def dispatch(self, execution_id: str, nodes: Sequence[tuple[str, str]], delay_ms: int = 0) -> None:
        for node_id, node_type in nodes:
            queue = EXECUTOR_QUEUE if node_type == "executor" else ENGINE_QUEUE
            if delay_ms > 0:
                self.actors[queue].send_with_options(args=(execution_id, node_id), delay=delay_ms)
            else:
                self.actors[queue].send(execution_id, node_id)


def declare_actors(broker: dramatiq.Broker, settings: Settings) -> tuple[DramatiqDispatcher, Engine]:
    """Declare the node actors on ``broker`` and return the dispatcher and engine they share."""
    actors: dict[str, dramatiq.Actor] = {}
    dispatcher = DramatiqDispatcher(actors)
    redis_client = getattr(broker, "client", None)
    guard = BreakerGuard(
        settings.breaker_fail_max, settings.breaker_reset_seconds, redis_client, namespace=settings.broker_namespace
    )
    engine = Engine(dispatcher, settings, guard)

    def run_node(execution_id: str, node_id: str) -> None:
        try:
            outcome = engine.run_node(execution_id, node_id)
        except (peewee.OperationalError, peewee.InterfaceError):
            _drop_connection()
            raise
        log.debug("run_node %s %s -> %s", execution_id, node_id, outcome)

    for queue in QUEUES:
        actors[queue] = dramatiq.actor(
            run_node,
            actor_name=f"run_node_{queue.split('-')[1]}",
            queue_name=queue,
            broker=broker,
            **_RETRY_OPTIONS,
        )
    return dispatcher, engine


def _drop_connection() -> None:
    try:
        db.database.close()
    except Exception:  # already broken: forget it so the next query opens a new one
        try:
            db.database._state.reset()
        except Exception:
            pass
