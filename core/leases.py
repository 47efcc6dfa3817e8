"""Lease renewal for running steps.

A worker that claims a step holds a lease (``step.lease_expires_at``). While the node runs,
one renewer thread per process extends the leases of every step this process holds, every
``interval`` seconds, by ``lease_seconds``. A worker that dies stops renewing; once its
lease expires the recovery sweep hands the step to another worker. A renewal only touches a
step still held by the same attempt, so a lease that was taken over is never extended.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from core.models import Step, utcnow

log = logging.getLogger(__name__)


class LeaseRenewer:
    """Renews the leases of the steps held in ``hold()`` blocks."""

    def __init__(self, lease_seconds: float):
        self.lease_seconds = lease_seconds
        self.interval = max(0.2, lease_seconds / 3)
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, step_id, attempt: int):
        """Keep the lease of (step, attempt) alive for the duration of the block."""
        key = str(step_id)
        with self._lock:
            self._held[key] = attempt
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="flowker-lease-renewer", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(key, None)

    def _run(self) -> None:
        while True:
            threading.Event().wait(self.interval)
            with self._lock:
                held = dict(self._held)
            if not held:
                continue
            expires = utcnow() + timedelta(seconds=self.lease_seconds)
            for step_id, attempt in held.items():
                try:
                    Step.update(lease_expires_at=expires).where(
                        (Step.id == step_id) & (Step.attempt == attempt) & (Step.status == "running")
                    ).execute()
                except Exception:  # the database is down: the lease may lapse; the sweep copes
                    log.warning("could not renew the lease of step %s", step_id, exc_info=True)
