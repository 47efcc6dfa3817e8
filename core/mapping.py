"""Field mappings: build a request body from the execution context, or reshape an output.

A path is dot-separated keys with optional array indexes: ``workflow.items[0].amount``.
The first segment names a context root: ``workflow`` (the input) or a node id.

A mapping is ``{"source": path, "target": path, "required"?: bool, "transformation"?:
{"type": T, "config": {...}}}``. The result holds only the mapped targets. A missing source
is left out of the result, or fails with ``MappingError`` naming the path when ``required``.
Transformations apply to the value after it is read; the supported types are
``FIELD_TRANSFORMATIONS`` (see ``core.transforms``).
"""

from __future__ import annotations

from typing import Any

from core.paths import MISSING, PathError, get_path, parse_path, set_path
from core.transforms import TransformError, apply_operations, validate_operations

# Operations a single field's ``transformation`` may use (applied to that field's value).
FIELD_TRANSFORMATIONS = ("to_uppercase", "to_lowercase", "add_prefix", "add_suffix", "remove_characters")


class MappingError(Exception):
    """A mapping that is malformed (save time) or cannot be applied (run time)."""


def _field_operation(transformation: dict) -> dict:
    return {"operation": transformation["type"], "spec": {"path": "value", **(transformation.get("config") or {})}}


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
            except PathError as exc:
                raise MappingError(f"[{index}].{key}: {exc}") from None
        if "required" in mapping and not isinstance(mapping["required"], bool):
            raise MappingError(f"[{index}].required must be a boolean")
        transformation = mapping.get("transformation")
        if transformation is not None:
            kind = transformation.get("type") if isinstance(transformation, dict) else None
            if not isinstance(kind, str) or kind not in FIELD_TRANSFORMATIONS:
                raise MappingError(f"[{index}].transformation.type must be one of {', '.join(FIELD_TRANSFORMATIONS)}")
            if not isinstance(transformation.get("config") or {}, dict):
                raise MappingError(f"[{index}].transformation.config must be an object")
            try:
                validate_operations([_field_operation(transformation)])
            except TransformError as exc:
                raise MappingError(f"[{index}].transformation: {str(exc).split('] ', 1)[-1]}") from None
        root = parse_path(mapping["source"])[0]
        roots.append(str(root))
    _check_targets([m["target"] for m in mappings])
    return roots


def _check_targets(targets: list[str]) -> None:
    """Two targets where one lies inside the other (``a`` and ``a.b``) would overwrite each
    other; the same target twice likewise."""
    parsed = [(target, parse_path(target)) for target in targets]
    for index, (text, parts) in enumerate(parsed):
        for other_text, other in parsed[index + 1 :]:
            shorter = min(len(parts), len(other))
            if parts[:shorter] == other[:shorter]:
                raise MappingError(f"targets {text!r} and {other_text!r} overlap")


def apply_mappings(mappings: list[dict], context: dict) -> dict:
    """Build a new document from ``context`` by ``mappings`` (already validated).

    Raises MappingError("required field <path> is missing") for a missing required source.
    """
    result: dict = {}
    for mapping in mappings:
        value = get_path(context, mapping["source"])
        if value is MISSING:
            if mapping.get("required"):
                raise MappingError(f"required field {mapping['source']} is missing")
            continue
        transformation = mapping.get("transformation")
        if transformation:
            value = apply_operations([_field_operation(transformation)], {"value": value})["value"]
        try:
            set_path(result, mapping["target"], value)
        except PathError as exc:
            raise MappingError(f"cannot write {mapping['target']}: {exc}") from None
    return result
