"""Paths into JSON documents: dot-separated keys with optional array indexes
(``workflow.items[0].amount``)."""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r"^([^.\[\]]+)((?:\[\d+\])*)$")
MISSING = object()  # what get_path returns for an absent path
# Largest array index a path may name: writing pads lists up to it.
MAX_INDEX = 1000


class PathError(ValueError):
    """A malformed path, or a write through a value of the wrong kind."""


def parse_path(path: str) -> list[str | int]:
    """Split ``a.b[0].c`` into ``["a", "b", 0, "c"]``. Raises PathError when malformed."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("path must be a non-empty string")
    parts: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise PathError(f"invalid path {path!r}")
        parts.append(match.group(1))
        for index in re.findall(r"\[(\d+)\]", match.group(2)):
            if int(index) > MAX_INDEX:
                raise PathError(f"array index {index} in {path!r} is above {MAX_INDEX}")
            parts.append(int(index))
    return parts


def get_path(document: Any, path: str) -> Any:
    """Value at ``path`` in ``document``, or ``MISSING``."""
    current = document
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return MISSING
            current = current[part]
        else:
            if not isinstance(current, dict) or part not in current:
                return MISSING
            current = current[part]
    return current


def set_path(document: dict, path: str, value: Any) -> None:
    """Write ``value`` at ``path``, creating objects and padding lists with None."""
    parts = parse_path(path)
    current: Any = document
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else ([] if isinstance(parts[index + 1], int) else {})
        if isinstance(part, int):
            if not isinstance(current, list):
                raise PathError(f"cannot index non-list at {path!r}")
            while len(current) <= part:
                current.append(None)
            if last:
                current[part] = value
            else:
                if not isinstance(current[part], (dict, list)):
                    current[part] = following
                current = current[part]
        else:
            if not isinstance(current, dict):
                raise PathError(f"cannot set key on non-object at {path!r}")
            if last:
                current[part] = value
            else:
                if not isinstance(current.get(part), (dict, list)):
                    current[part] = following
                current = current[part]
