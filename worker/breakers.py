"""Circuit breakers per provider configuration (pybreaker), shared by every worker process
through Redis in fleet mode (pybreaker's ``CircuitRedisStorage``), in process memory in the
embedded mode.

A breaker counts consecutive failed calls (timeouts, connection errors, 5xx); after
``fail_max`` it opens and calls fail at once with ``kind="circuit_open"`` for
``reset_seconds``; then one trial call is let through (half-open): success closes it, failure
opens it again. 4xx answers and refused calls do not count: they say nothing about the
provider's health. (Pattern: Michael T. Nygard, "Release It!", 2007.)
"""

from __future__ import annotations

import threading
from typing import Callable

import pybreaker

from core.executors import ExecutorResult

# Failure classes that count against a provider's health.
_COUNTED = ("timeout", "connection", "5xx")


class _ProviderFailure(Exception):
    """Raised inside the breaker so pybreaker counts the failure; carries the result."""

    def __init__(self, result: ExecutorResult):
        super().__init__(result.error)
        self.result = result


class BreakerGuard:
    """``core.executors.CallGuard`` with one pybreaker breaker per key (provider config id)."""

    def __init__(self, fail_max: int, reset_seconds: float, redis_client=None, namespace: str = "flowker"):
        self.fail_max = fail_max
        self.cooldown_s = reset_seconds
        self.redis = redis_client
        self.namespace = namespace
        self._breakers: dict[str, pybreaker.CircuitBreaker] = {}
        self._lock = threading.Lock()

    def breaker(self, key: str) -> pybreaker.CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                storage = None
                if self.redis is not None:
                    storage = pybreaker.CircuitRedisStorage(
                        pybreaker.STATE_CLOSED, self.redis, namespace=f"{self.namespace}:breaker:{key}"
                    )
                breaker = pybreaker.CircuitBreaker(
                    fail_max=self.fail_max, reset_timeout=self.cooldown_s, state_storage=storage, name=key,
                )
                self._breakers[key] = breaker
            return breaker

    def state(self, key: str) -> str:
        """``closed``, ``open`` or ``half-open``."""
        return self.breaker(key).current_state

    def call(self, key: str, fn: Callable[[], ExecutorResult]) -> ExecutorResult:
        def guarded() -> ExecutorResult:
            result = fn()
            if not result.ok and result.outcome in _COUNTED:
                raise _ProviderFailure(result)
            return result

        try:
            return self.breaker(key).call(guarded)
        except _ProviderFailure as failure:
            return failure.result
        except pybreaker.CircuitBreakerError as exc:
            cause = getattr(exc, "__context__", None)
            if isinstance(cause, _ProviderFailure):
                # The call that tripped the breaker did reach the provider: keep its answer.
                return cause.result
            return ExecutorResult(
                None,
                f"circuit breaker open for provider configuration {key}: calls are refused for "
                f"{self.cooldown_s:g}s after {self.fail_max} consecutive failures",
                kind="circuit_open",
            )
