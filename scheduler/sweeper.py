"""Runs ``core.recovery.sweep`` every ``sweep_interval_seconds`` until stopped.

Several sweepers may run at once (two scheduler processes, or a scheduler beside an
embedded server): every re-dispatch is a compare-and-set, so each stuck step is re-sent once
per period at most.
"""

from __future__ import annotations

import logging
import threading

from core.config import Settings
from core.dispatch import Dispatcher
from core.recovery import sweep

log = logging.getLogger(__name__)


def run_sweeper(dispatcher: Dispatcher, settings: Settings, stop: threading.Event) -> None:
    """Sweep until ``stop`` is set. Errors (database or broker down) are logged and the
    loop goes on, so recovery resumes as soon as the services are back."""
    while not stop.wait(settings.sweep_interval_seconds):
        try:
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
