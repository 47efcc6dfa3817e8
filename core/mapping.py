"""Field mappings: build a request body from the execution context, or reshape an output.

A path is dot-separated keys with optional array indexes: ``workflow.items[0].amount``.
The first segment names a context root: ``workflow`` (the input) or a node id.

A mapping is ``{"source": path, "target": path, "required"?: bool, "transformation"?:
{"type": T, "config": {...}}}``. The result holds only the mapped targets. A missing source
is left out of the result, or fails with ``MappingError`` naming the path when ``required``.
Transformations apply to the value after it is read; the supported types are in
``TRANSFORMATIONS``.
"""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r"^([^.\[\]]+)((?:\[\d+\])*)$")
_MISSING = object()


class MappingError(Exception):
    """A mapping that is malformed (save time) or cannot be applied (run time)."""


def parse_path(path: str) -> list[str | int]:
    """Split ``a.b[0].c`` into ``["a", "b", 0, "c"]``. Raises MappingError when malformed."""
    if not isinstance(path, str) or not path.strip():
        raise MappingError("path must be a non-empty string")
    parts: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise MappingError(f"invalid path {path!r}")
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return parts


def get_path(document: Any, path: str) -> Any:
    """Value at ``path`` in ``document``, or the module's ``_MISSING`` sentinel."""
    current = document
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return _MISSING
            current = current[part]
        else:
            if not isinstance(current, dict) or part not in current:
                return _MISSING
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
                raise MappingError(f"cannot index non-list at {path!r}")
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
                raise MappingError(f"cannot set key on non-object at {path!r}")
            if last:
                current[part] = value
            else:
                if not isinstance(current.get(part), (dict, list)):
                    current[part] = following
                current = current[part]


def _text_op(fn):
    def apply(value, config):
        return fn(value, config) if isinstance(value, str) else value

    return apply


# Transformation type -> (required config keys, function(value, config)).
TRANSFORMATIONS = {
    "to_uppercase": ((), _text_op(lambda v, c: v.upper())),
    "to_lowercase": ((), _text_op(lambda v, c: v.lower())),
    "add_prefix": (("prefix",), _text_op(lambda v, c: f"{c['prefix']}{v}")),
    "add_suffix": (("suffix",), _text_op(lambda v, c: f"{v}{c['suffix']}")),
    "remove_characters": (
        ("characters",),
        _text_op(lambda v, c: "".join(ch for ch in v if ch not in c["characters"])),
    ),
}


def validate_mappings(mappings: Any) -> list[str]:
    """Check the shape of a mapping list; returns the root names its sources read.

    Raises MappingError describing the first problem (index and field).
    """
    if mappings is None:
        return []
    if not isinstance(mappings, list):
        raise MappingError("must be a list of {source, target}")
    roots: list[str] = []
    for index, mapping in enumerate(mappings):
        if not isinstance(mapping, dict):
            raise MappingError(f"[{index}] must be an object")
        for key in ("source", "target"):
            try:
                parse_path(mapping.get(key))
            except MappingError as exc:
                raise MappingError(f"[{index}].{key}: {exc}") from None
        if "required" in mapping and not isinstance(mapping["required"], bool):
            raise MappingError(f"[{index}].required must be a boolean")
        transformation = mapping.get("transformation")
        if transformation is not None:
            kind = transformation.get("type") if isinstance(transformation, dict) else None
            if not isinstance(kind, str) or kind not in TRANSFORMATIONS:
                raise MappingError(
                    f"[{index}].transformation.type must be one of {sorted(TRANSFORMATIONS)}"
                )
            config = transformation.get("config") or {}
            if not isinstance(config, dict):
                raise MappingError(f"[{index}].transformation.config must be an object")
            for key in TRANSFORMATIONS[transformation["type"]][0]:
                if not isinstance(config.get(key), str) or not config.get(key):
                    raise MappingError(f"[{index}].transformation.config.{key} is required")
        root = parse_path(mapping["source"])[0]
        roots.append(str(root))
    return roots


def apply_mappings(mappings: list[dict], context: dict) -> dict:
    """Build a new document from ``context`` by ``mappings`` (already validated).

    Raises MappingError("required field <path> is missing") for a missing required source.
    """
    result: dict = {}
    for mapping in mappings:
        value = get_path(context, mapping["source"])
        if value is _MISSING:
            if mapping.get("required"):
                raise MappingError(f"required field {mapping['source']} is missing")
            continue
        transformation = mapping.get("transformation")
        if transformation:
            value = TRANSFORMATIONS[transformation["type"]][1](value, transformation.get("config") or {})
        set_path(result, mapping["target"], value)
    return result
