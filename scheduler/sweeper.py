"""The scheduler's periodic duties, every ``sweep_interval_seconds`` until stopped:
schedule triggers (``core.schedules``), the recovery sweep (``core.recovery``) and expiry of
idempotency records and webhook signatures.

Several sweepers may run at once (two scheduler processes, or a scheduler beside an
embedded server): every re-dispatch is a compare-and-set, so each stuck step is re-sent once
per period at most.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

from core.config import Settings
from core.dispatch import Dispatcher
from core import executions, schedules
from core.recovery import expire_records, sweep

log = logging.getLogger(__name__)


def run_sweeper(dispatcher: Dispatcher, settings: Settings, stop: threading.Event, clock=None) -> None:
    """Each period: fire due schedule slots, run the recovery sweep, and expire old
    idempotency records and webhook signatures. Errors (database or broker down) are logged
    and the loop goes on, so the duties resume as soon as the services are back. ``clock``
    returns the current naive-UTC time (a fake one in tests)."""
    while not stop.wait(settings.sweep_interval_seconds):
        now = clock() if clock else None
        try:
            schedules.tick(dispatcher, now, start_execution=partial(executions.start, default_timeout_s=settings.execution_timeout_seconds))
        except Exception:
            log.exception("schedule tick failed; will try again")
        try:
            expire_records()  # real time: a fake schedule clock must not expire live records
            counts = sweep(dispatcher, settings.redispatch_after_seconds)
            if any(counts.values()):
                log.warning(
                    "recovery sweep: re-sent %(redispatched)d ready and %(reclaimed)d lease-expired steps, "
                    "timed out %(expired)d executions", counts,
                )
        except Exception:
            log.exception("recovery sweep failed; will try again")


def start_sweeper_thread(dispatcher: Dispatcher, settings: Settings) -> threading.Event:
    """Start the sweep in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_sweeper, args=(dispatcher, settings, stop), name="flowker-sweeper", daemon=True).start()
    return stop
