"""Broker set-up from ``BROKER_URL``.

* ``redis://host:port/db`` — Dramatiq's Redis broker, for fleets. Messages of a worker that
  dies unacknowledged are re-queued by the broker after ``heartbeat_timeout``.
* ``memory://`` — Dramatiq's in-process stub broker, for the embedded mode: worker threads
  run inside the server process (see ``worker.embedded``).
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from core.config import Settings

# Milliseconds without a heartbeat after which another worker re-queues a worker's messages.
DEFAULT_HEARTBEAT_TIMEOUT_MS = 15000


def make_broker(settings: Settings) -> dramatiq.Broker:
    """Build the broker named by ``settings.broker_url`` and make it Dramatiq's global one.

    Raises ValueError for an unsupported scheme.
    """
    url = settings.broker_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        heartbeat = int(os.environ.get("FLOWKER_BROKER_HEARTBEAT_MS", DEFAULT_HEARTBEAT_TIMEOUT_MS))
        broker = RedisBroker(url=url, namespace=settings.broker_namespace, heartbeat_timeout=heartbeat)
    elif url.startswith("memory:"):
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        raise ValueError(f"unsupported BROKER_URL {url!r}: use redis://host:port/db or memory://")
    dramatiq.set_broker(broker)
    return broker


def ping(broker: dramatiq.Broker) -> None:
    """Raise when the broker cannot be reached (Redis PING); the stub broker is always up."""
    if isinstance(broker, RedisBroker):
        broker.client.ping()
