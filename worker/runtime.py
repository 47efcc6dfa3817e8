"""Running Dramatiq workers: inside the server process (embedded mode) or as the
``flowker worker`` process of a fleet."""

from __future__ import annotations

import logging
import signal
import threading

import dramatiq

from worker.actors import QUEUES

log = logging.getLogger(__name__)


def start_worker(broker: dramatiq.Broker, threads: int) -> dramatiq.Worker:
    """Start a Dramatiq worker with ``threads`` threads on every Flowker queue; returns it
    running (call ``.stop()`` to drain and stop)."""
    worker = dramatiq.Worker(broker, queues=set(QUEUES), worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


def run_until_signalled(broker: dramatiq.Broker, threads: int) -> None:
    """Block running a worker until SIGTERM or SIGINT, then stop it gracefully."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = start_worker(broker, threads)
    log.info("worker started with %d threads on %s", threads, ", ".join(QUEUES))
    stop.wait()
    log.info("worker stopping")
    worker.stop()
