"""The composition root of a process: settings, database, catalog, broker, actors and,
in the embedded mode, in-process worker threads and the recovery sweep."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import dramatiq

import catalog  # noqa: F401  (registers the built-in providers)
from core import db, secrets
from core.config import Settings
from core.engine import Engine
from core.migrate import apply_migrations
from scheduler.sweeper import start_sweeper_thread
from worker.actors import DramatiqDispatcher, declare_actors
from worker.broker import make_broker
from worker.runtime import start_worker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    broker: dramatiq.Broker
    dispatcher: DramatiqDispatcher
    engine: Engine
    worker: dramatiq.Worker | None = None
    sweeper_stop: threading.Event | None = None
    closed: bool = field(default=False)

    def close(self) -> None:
        """Stop the in-process worker and sweep, if any, and close the broker."""
        if self.closed:
            return
        self.closed = True
        if self.sweeper_stop is not None:
            self.sweeper_stop.set()
        if self.worker is not None:
            self.worker.stop()
        self.broker.close()


def build_runtime(settings: Settings, *, migrate: bool | None = None, run_workers: bool | None = None) -> Runtime:
    """Connect everything for one process.

    ``migrate`` defaults to True in the embedded mode (SQLite or in-process broker) and
    False in a fleet, where ``flowker migrate`` runs once. ``run_workers`` defaults to True
    with the in-process broker: worker threads and the sweep then run in this process.
    """
    db.connect(settings.database_url)
    secrets.configure()  # a malformed FLOWKER_SECRET_KEYS stops the process here, not mid-run
    embedded = settings.is_embedded_broker
    if migrate if migrate is not None else (embedded or settings.database_url.startswith("sqlite")):
        applied = apply_migrations()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
    broker = make_broker(settings)
    dispatcher, engine = declare_actors(broker, settings)
    runtime = Runtime(settings=settings, broker=broker, dispatcher=dispatcher, engine=engine)
    if run_workers if run_workers is not None else embedded:
        runtime.worker = start_worker(broker, settings.worker_threads)
        if settings.embedded_sweeper:
            runtime.sweeper_stop = start_sweeper_thread(dispatcher, settings)
    return runtime
