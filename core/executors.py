"""The seam between the engine and the integrations.

``catalog`` registers providers and executors here at import; the engine looks them up by
id and calls ``ExecutorSpec.run`` with an ``ExecutorCall``. Tests and dry runs can register
their own executors the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from core.retry import outcome_of


@dataclass(frozen=True)
class ExecutorCall:
    """One call of an executor node.

    provider_config: the provider configuration's ``config`` (decrypted, never logged).
    node_data: the node's ``data``; body: the JSON body built by ``inputMapping`` or None.
    timeout_s: the whole call's deadline in seconds. idempotency_key: stable per
    (execution, node), sent to providers so a repeated call never posts twice.
    """

    provider_config: dict
    node_data: dict
    body: dict | None
    timeout_s: float
    idempotency_key: str
    allow_private_networks: bool
    max_response_bytes: int


@dataclass(frozen=True)
class ExecutorResult:
    """``output`` is ``{status, headers, body}`` when a response came back (else None);
    ``error`` is set when the call failed; ``kind`` says how a call without a usable
    response failed: ``timeout``, ``connection``, ``circuit_open``, or ``refused`` (egress
    policy, bad URL, oversize answer: trying again will not help)."""

    output: dict | None
    error: str | None = None
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int | None:
        return self.output.get("status") if isinstance(self.output, dict) else None

    @property
    def outcome(self) -> str | None:
        """Failure class for retry policies and breakers (``core.retry.outcome_of``)."""
        return None if self.ok else outcome_of(self.status, self.kind)


class CallGuard(Protocol):
    """Wraps each provider call, e.g. in a circuit breaker keyed by provider configuration."""

    cooldown_s: float

    def call(self, key: str, fn: Callable[[], ExecutorResult]) -> ExecutorResult:
        """Run ``fn`` or refuse at once with ``kind="circuit_open"``."""


class Unguarded:
    """A CallGuard that lets every call through."""

    cooldown_s = 0.0

    def call(self, key: str, fn: Callable[[], ExecutorResult]) -> ExecutorResult:
        return fn()


@dataclass(frozen=True)
class ProviderSpec:
    """A provider in the catalog; ``config_schema`` is JSON Schema 2020-12."""

    id: str
    name: str
    description: str
    version: str
    config_schema: dict
    # Checks beyond the schema: returns a problem description, or None when the config is fine.
    check_config: Callable[[dict], str | None] = lambda config: None
    # Connectivity test: (plain config, allow_private_networks) -> TestResult dict without ids.
    test: Callable[[dict, bool], dict] | None = None


@dataclass(frozen=True)
class ExecutorSpec:
    """An executor in the catalog; ``schema`` validates the node's extra data keys."""

    id: str
    name: str
    provider_id: str
    version: str
    run: Callable[[ExecutorCall], ExecutorResult]
    schema: dict = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger kind in the catalog; ``schema`` validates the trigger node's data."""

    id: str
    name: str
    version: str
    description: str
    schema: dict


@dataclass(frozen=True)
class TemplateSpec:
    """A workflow template: ``param_schema`` (JSON Schema 2020-12) validates the parameters;
    ``provider_params`` maps parameter names to the provider whose configurations they name;
    ``build(params)`` returns a workflow create body."""

    id: str
    name: str
    description: str
    version: str
    category: str
    param_schema: dict
    provider_params: dict
    build: Callable[[dict], dict]


# Keys of an executor node's data that the engine reads; the rest is executor input.
ENGINE_KEYS = frozenset({
    "executorId", "providerConfigId", "executorConfigId", "endpointName", "inputMapping", "outputMapping",
    "transforms", "method", "path", "timeout", "query", "headers", "retry", "successStatusCodes",
})

@dataclass
class EndpointRuntime:
    """How executor configurations are called and tested, set by ``catalog`` at import.
    ``run(call)`` gets ``call.provider_config = {"base_url", "endpoint", "auth"}``;
    ``test(base_url, endpoint, auth, allow_private)`` returns TestResult data."""

    run: Callable[[ExecutorCall], ExecutorResult] | None = None
    test: Callable[[str, dict, dict | None, bool], dict] | None = None
    # Problems with an authentication block / an endpoint path, or None (messages name no values).
    check_auth: Callable[[dict], str | None] = lambda auth: None
    check_path: Callable[[str], str | None] = lambda path: None


ENDPOINTS = EndpointRuntime()
PROVIDERS: dict[str, ProviderSpec] = {}
EXECUTORS: dict[str, ExecutorSpec] = {}
TRIGGERS: dict[str, TriggerSpec] = {}
TEMPLATES: dict[str, TemplateSpec] = {}


def register_provider(spec: ProviderSpec) -> None:
    PROVIDERS[spec.id] = spec


def register_executor(spec: ExecutorSpec) -> None:
    EXECUTORS[spec.id] = spec


def register_trigger(spec: TriggerSpec) -> None:
    TRIGGERS[spec.id] = spec


def register_template(spec: TemplateSpec) -> None:
    TEMPLATES[spec.id] = spec


def executor_input(call: ExecutorCall) -> dict:
    """What an executor works on: the node's own settings (data minus ``ENGINE_KEYS``)
    overlaid by the body its mappings built."""
    static = {k: v for k, v in call.node_data.items() if k not in ENGINE_KEYS}
    return {**static, **(call.body if isinstance(call.body, dict) else {})}
