"""JSON-to-JSON transform operations for executor ``transforms`` and ``transform`` actions.

An operation is ``{"operation": name, "spec": {...}, "require"?: bool}``; a list of them is
applied in order, each to the previous result. Paths are dotted keys with array indexes
(``a.items[0].b``); ``$`` names the whole document. Operations (the set the reference
offered through Kazaam, written fresh here, with its text operations):

  shift      {target: source | [sources]}         new document holding only the targets
  concat     {sources: [{path}|{value}], targetPath, delim?}   joined text at targetPath
  coalesce   {target: [paths], ignore?: [values]} first present, non-ignored value
  extract    {path}                               the value at path becomes the document
  default    {path: value}                        set where absent
  delete     {paths: [paths]}                     remove
  timestamp  {path: {inputFormat, outputFormat}}  reformat a time: "$now" (input only),
             "$unix" (seconds), "$rfc3339", or a strftime pattern
  uuid       {path: {version: 4}} | {path: {version: 3|5, namespace: DNS|URL|OID|X500|<uuid>,
             names: [{path}|{value}]}}
  merge      {target, sources: [paths]}           shallow merge of objects into target
  pass       {}                                   no change
  remove_characters {path, characters} · add_prefix {path, prefix} · add_suffix {path, suffix}
  to_uppercase {path} · to_lowercase {path}       text at path; absent or non-text: no change

``require: true`` makes a missing source path an error (``TransformError`` naming it).
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timezone
from typing import Any

from core.paths import MISSING as _MISSING, PathError, get_path, parse_path, set_path


class TransformError(Exception):
    """An operation that is malformed (save time) or cannot be applied (run time)."""


def _get(document, path: str):
    return document if path == "$" else get_path(document, path)


def _required(value, path: str, require: bool):
    if value is _MISSING and require:
        raise TransformError(f"required path {path} is missing")
    return value


def _delete(document, path: str) -> None:
    parts = parse_path(path)
    parent = document
    for part in parts[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    last = parts[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent.pop(last)


def _text(fn):
    def apply(document, spec, require):
        value = _required(get_path(document, spec["path"]), spec["path"], require)
        if isinstance(value, str):
            set_path(document, spec["path"], fn(value, spec))
        return document

    return apply


def _shift(document, spec, require):
    out: dict = {}
    for target, source in spec.items():
        if isinstance(source, list):
            values = [_required(_get(document, s), s, require) for s in source]
            value = [v for v in values if v is not _MISSING]
        else:
            value = _required(_get(document, source), source, require)
            if value is _MISSING:
                continue
        if target == "$":
            out = copy.deepcopy(value)
        else:
            set_path(out, target, copy.deepcopy(value))
    return out


def _concat(document, spec, require):
    pieces = []
    for source in spec["sources"]:
        if "value" in source:
            pieces.append(str(source["value"]))
            continue
        value = _required(get_path(document, source["path"]), source["path"], require)
        if value is not _MISSING:
            pieces.append(str(value))
    set_path(document, spec["targetPath"], str(spec.get("delim", "")).join(pieces))
    return document


def _coalesce(document, spec, require):
    ignore = spec.get("ignore", [])
    for target, candidates in spec.items():
        if target == "ignore":
            continue
        for path in candidates:
            value = get_path(document, path)
            if value is not _MISSING and value not in ignore:
                set_path(document, target, value)
                break
        else:
            if require:
                raise TransformError(f"none of {candidates} is present")
    return document


def _extract(document, spec, require):
    value = _required(_get(document, spec["path"]), spec["path"], require)
    return {} if value is _MISSING else value


def _default(document, spec, require):
    for path, value in spec.items():
        if get_path(document, path) is _MISSING:
            set_path(document, path, copy.deepcopy(value))
    return document


def _delete_op(document, spec, require):
    for path in spec["paths"]:
        _required(get_path(document, path), path, require)
        _delete(document, path)
    return document


def _parse_time(value, fmt: str) -> datetime:
    if fmt == "$now":
        return datetime.now(timezone.utc)
    if fmt == "$unix":
        return datetime.fromtimestamp(float(value), timezone.utc)
    if fmt == "$rfc3339":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return datetime.strptime(str(value), fmt)


def _format_time(moment: datetime, fmt: str):
    if fmt == "$unix":
        return int(moment.timestamp())
    if fmt == "$rfc3339":
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return moment.strftime(fmt)


def _timestamp(document, spec, require):
    for path, formats in spec.items():
        value = _required(get_path(document, path), path, require and formats["inputFormat"] != "$now")
        if value is _MISSING and formats["inputFormat"] != "$now":
            continue
        try:
            moment = _parse_time(value, formats["inputFormat"])
        except (ValueError, TypeError, OverflowError) as exc:
            raise TransformError(f"timestamp at {path}: {exc}") from None
        set_path(document, path, _format_time(moment, formats["outputFormat"]))
    return document


_NAMESPACES = {"DNS": uuid.NAMESPACE_DNS, "URL": uuid.NAMESPACE_URL, "OID": uuid.NAMESPACE_OID, "X500": uuid.NAMESPACE_X500}


def _uuid(document, spec, require):
    for path, options in spec.items():
        version = options.get("version", 4)
        if version == 4:
            set_path(document, path, str(uuid.uuid4()))
            continue
        namespace = _NAMESPACES.get(options["namespace"]) or uuid.UUID(options["namespace"])
        names = []
        for name in options.get("names", []):
            value = name["value"] if "value" in name else _required(get_path(document, name["path"]), name["path"], require)
            if value is not _MISSING:
                names.append(str(value))
        make = uuid.uuid3 if version == 3 else uuid.uuid5
        set_path(document, path, str(make(namespace, "".join(names))))
    return document


def _merge(document, spec, require):
    merged: dict = {}
    for path in spec["sources"]:
        value = _required(get_path(document, path), path, require)
        if isinstance(value, dict):
            merged.update(copy.deepcopy(value))
    existing = get_path(document, spec["target"])
    base = dict(existing) if isinstance(existing, dict) else {}
    base.update(merged)
    set_path(document, spec["target"], base)
    return document


# name -> (spec keys that must be present, function(document, spec, require) -> document)
OPERATIONS = {
    "shift": ((), _shift),
    "concat": (("sources", "targetPath"), _concat),
    "coalesce": ((), _coalesce),
    "extract": (("path",), _extract),
    "default": ((), _default),
    "delete": (("paths",), _delete_op),
    "timestamp": ((), _timestamp),
    "uuid": ((), _uuid),
    "merge": (("target", "sources"), _merge),
    "pass": ((), lambda document, spec, require: document),
    "remove_characters": (("path", "characters"), _text(lambda v, s: "".join(c for c in v if c not in s["characters"]))),
    "add_prefix": (("path", "prefix"), _text(lambda v, s: f"{s['prefix']}{v}")),
    "add_suffix": (("path", "suffix"), _text(lambda v, s: f"{v}{s['suffix']}")),
    "to_uppercase": (("path",), _text(lambda v, s: v.upper())),
    "to_lowercase": (("path",), _text(lambda v, s: v.lower())),
}


def validate_operations(operations: Any) -> None:
    """Check names, required spec keys and paths. Raises TransformError naming the index."""
    if operations is None:
        return
    if not isinstance(operations, list):
        raise TransformError("must be a list of {operation, spec}")
    for index, op in enumerate(operations):
        if not isinstance(op, dict):
            raise TransformError(f"[{index}] must be an object")
        name = op.get("operation")
        if not isinstance(name, str) or name not in OPERATIONS:
            raise TransformError(f"[{index}].operation must be one of {', '.join(sorted(OPERATIONS))}")
        spec = op.get("spec")
        if not isinstance(spec, dict) or (not spec and name != "pass"):
            raise TransformError(f"[{index}].spec must be a non-empty object")
        if "require" in op and not isinstance(op["require"], bool):
            raise TransformError(f"[{index}].require must be a boolean")
        for key in OPERATIONS[name][0]:
            if key not in spec:
                raise TransformError(f"[{index}] {name}: spec.{key} is required")
        try:
            _validate_spec(name, spec)
        except (PathError, TypeError, AttributeError, KeyError, ValueError) as exc:
            raise TransformError(f"[{index}] {name}: {exc}") from None


def _paths(values):
    for value in values:
        if value != "$":
            parse_path(value)


def _sources(items) -> None:
    if not isinstance(items, list) or not all(isinstance(i, dict) and ("value" in i or isinstance(i.get("path"), str)) for i in items):
        raise ValueError("sources/names must be a list of {path} or {value}")
    _paths([i["path"] for i in items if "value" not in i])


def _validate_spec(name: str, spec: dict) -> None:
    if name == "shift":
        for target, source in spec.items():
            if not isinstance(source, (str, list)):
                raise ValueError(f"source of {target!r} must be a path or a list of paths")
            _paths([target] + (source if isinstance(source, list) else [source]))
        targets = [t for t in spec if t != "$"]
        for index, target in enumerate(targets):
            for other in targets[index + 1:]:
                a, b = parse_path(target), parse_path(other)
                if a[: len(b)] == b or b[: len(a)] == a:
                    raise ValueError(f"targets {target!r} and {other!r} overlap")
    elif name in ("extract",):
        _paths([spec["path"]])
    elif name in ("delete", "merge"):
        paths = spec.get("paths") if name == "delete" else spec.get("sources")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("a list of paths is required")
        _paths(paths + ([spec["target"]] if name == "merge" else []))
    elif name == "concat":
        _sources(spec["sources"])
        _paths([spec["targetPath"]])
    elif name == "coalesce":
        if not isinstance(spec.get("ignore", []), list):
            raise ValueError("ignore must be a list of values")
        for target, candidates in spec.items():
            if target != "ignore":
                if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates):
                    raise ValueError(f"candidates of {target!r} must be a list of paths")
                _paths([target] + candidates)
    elif name == "default":
        _paths(list(spec))
    elif name == "timestamp":
        for path, formats in spec.items():
            _paths([path])
            if not isinstance(formats.get("inputFormat"), str) or not isinstance(formats.get("outputFormat"), str):
                raise ValueError("inputFormat and outputFormat are required")
            if formats["outputFormat"] == "$now":
                raise ValueError("$now is an inputFormat only")
    elif name == "uuid":
        for path, options in spec.items():
            _paths([path])
            if options.get("version", 4) not in (3, 4, 5):
                raise ValueError("version must be 3, 4 or 5")
            if options.get("version", 4) != 4:
                if options.get("namespace") not in _NAMESPACES:
                    uuid.UUID(str(options.get("namespace")))
                _sources(options.get("names", []))
    elif "path" in spec:
        _paths([spec["path"]])
        for key in ("characters", "prefix", "suffix"):
            if key in spec and (not isinstance(spec[key], str) or not spec[key]):
                raise ValueError(f"{key} must be a non-empty string")


def apply_operations(operations: list[dict], document: Any) -> Any:
    """Apply validated ``operations`` to a deep copy of ``document``; returns the result.

    Raises TransformError for a missing required path or an unreadable timestamp.
    """
    result = copy.deepcopy(document)
    for op in operations:
        try:
            result = OPERATIONS[op["operation"]][1](result, op["spec"], bool(op.get("require")))
        except PathError as exc:
            raise TransformError(f"{op['operation']}: {exc}") from None
    return result
