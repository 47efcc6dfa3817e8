"""Circuit breakers per provider configuration (pybreaker), shared by every worker process
through Redis in fleet mode, in process memory in the embedded mode.

A breaker counts consecutive failed calls (timeouts, connection errors, 5xx); after
``fail_max`` it opens and calls fail at once with ``kind="circuit_open"`` for
``reset_seconds``; after that a trial call goes through (half-open): success closes it,
failure opens it again. 4xx answers and refused calls do not count: they say nothing about
the provider's health. (Pattern: Michael T. Nygard, "Release It!", 2007.)

pybreaker holds its lock for the whole guarded call, which would make one process call a
provider one request at a time. So the provider call runs outside the breaker: the state is
checked before it, and its outcome is then reported through ``CircuitBreaker.call`` with a
function that does no I/O. Calls already in flight when a breaker opens still finish, and
when it half-opens the calls that pass the check together are all trial calls.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Callable

import pybreaker

from core.executors import ExecutorResult

# Failure classes that count against a provider's health.
_COUNTED = ("timeout", "connection", "5xx")


class _ProviderFailure(Exception):
    """Raised inside the breaker so pybreaker counts the failure."""


class _PreciseRedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage keeps ``opened_at`` in whole seconds, which makes a short
    open window up to a second shorter; this one keeps fractions of a second."""

    @property
    def opened_at(self):
        raw = self._redis.get(self._namespace("opened_at"))
        return datetime.fromtimestamp(float(raw), timezone.utc) if raw else None

    @opened_at.setter
    def opened_at(self, moment):
        self._redis.set(self._namespace("opened_at"), repr(moment.timestamp()))


class BreakerGuard:
    """``core.executors.CallGuard`` with one pybreaker breaker per key (provider config id)."""

    def __init__(self, fail_max: int, reset_seconds: float, redis_client=None, namespace: str = "flowker"):
        self.fail_max = fail_max
        self.cooldown_s = reset_seconds
        self.redis = redis_client
        self.namespace = namespace
        self._breakers: dict[str, tuple[pybreaker.CircuitBreaker, pybreaker.CircuitBreakerStorage]] = {}
        self._lock = threading.Lock()

    def _breaker(self, key: str):
        with self._lock:
            found = self._breakers.get(key)
            if found is None:
                if self.redis is not None:
                    storage = _PreciseRedisStorage(pybreaker.STATE_CLOSED, self.redis, namespace=f"{self.namespace}:breaker:{key}")
                else:
                    storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
                breaker = pybreaker.CircuitBreaker(
                    fail_max=self.fail_max, reset_timeout=self.cooldown_s, state_storage=storage, name=key,
                )
                found = self._breakers[key] = (breaker, storage)
            return found

    def state(self, key: str) -> str:
        """``closed``, ``open`` or ``half-open``."""
        return self._breaker(key)[0].current_state

    def _refuses(self, storage) -> bool:
        if storage.state != pybreaker.STATE_OPEN:
            return False
        opened = storage.opened_at
        return opened is not None and (datetime.now(timezone.utc) - opened).total_seconds() < self.cooldown_s

    def call(self, key: str, fn: Callable[[], ExecutorResult]) -> ExecutorResult:
        breaker, storage = self._breaker(key)
        if self._refuses(storage):
            return ExecutorResult(
                None,
                f"circuit breaker open for provider configuration {key}: calls are refused for "
                f"{self.cooldown_s:g}s after {self.fail_max} consecutive failures",
                kind="circuit_open",
            )
        result = fn()

        def report() -> None:
            if not result.ok and result.outcome in _COUNTED:
                raise _ProviderFailure(result.error)

        try:
            breaker.call(report)
        except (_ProviderFailure, pybreaker.CircuitBreakerError):
            pass  # counted (or the breaker opened meanwhile): the answer stands either way
        return result
