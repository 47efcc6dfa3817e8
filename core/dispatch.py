"""The engine's only way to start work: hand "run node N of execution E" to a dispatcher.

``worker`` implements it with Dramatiq messages; tests may implement it in-process. A
dispatch happens only after the transaction that made the step ready has committed, and a
lost dispatch is healed by the recovery sweep (``core.recovery``).
"""

from __future__ import annotations

from typing import Protocol, Sequence


class Dispatcher(Protocol):
    def dispatch(self, execution_id: str, nodes: Sequence[tuple[str, str]], delay_ms: int = 0) -> None:
        """Send one message per ``(node_id, node_type)``; the type picks the queue. With
        ``delay_ms`` the broker holds the messages that long (retries, delay nodes)."""
