"""Conditions in CEL (Common Expression Language, https://cel.dev), run by the official C++
runtime through ``cel-expr-python``.

Context names: ``workflow`` (the execution input), ``nodes`` (a map of every completed node's
output by node id) and, for each node id that is a valid CEL identifier, the id itself.

Compatibility with the reference's condition language (engine.md §2):
  * ``AND`` / ``OR`` outside string literals are read as ``&&`` / ``||``;
  * node ids that are not CEL identifiers (``tracer-validate.body.decision``) are rewritten
    to ``nodes["tracer-validate"].body.decision`` before compiling, since the caller knows
    every node id of the workflow.

Compiled programs are cached by (text, node ids). A missing field is an
``ExpressionError`` naming the missing path, never silently false.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass

from cel_expr_python import cel

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# CEL reserved words cannot be used as variable names.
_RESERVED = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
    "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
}
# A string literal in CEL: single or double quoted, with backslash escapes.
_STRING = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


class ExpressionError(Exception):
    """A condition that does not compile (at save time) or cannot be evaluated (at run time)."""


@dataclass(frozen=True)
class Condition:
    """A compiled condition. ``roots`` are the node ids it reads (besides ``workflow``), so
    the engine loads only those outputs."""

    text: str
    program: object
    roots: frozenset[str]

    def evaluate(self, context: dict) -> bool:
        """Evaluate against ``{"workflow": input, node_id: output, ...}``.

        Returns the boolean result. Raises ExpressionError when a field is missing, the
        types do not fit, or the result is not a boolean.
        """
        result = self.value(context)
        if not isinstance(result, bool):
            raise ExpressionError(f"condition {self.text!r} must be a boolean, got {type(result).__name__}")
        return result

    def value(self, context: dict):
        """The expression's value as plain Python data (dict, list, str, int, float, bool,
        None). Raises ExpressionError when a field is missing or the types do not fit."""
        data = {"workflow": context.get("workflow"), "nodes": {}}
        for node_id in self.roots:
            if node_id in context:
                data["nodes"][node_id] = context[node_id]
                if _usable_identifier(node_id):
                    data[node_id] = context[node_id]
        try:
            value = self.program.eval(data=data)
        except Exception as exc:  # the runtime raises RuntimeError subclasses
            raise ExpressionError(f"cannot evaluate {self.text!r}: {exc}") from None
        if value.type() == cel.Type.ERROR:
            raise ExpressionError(_explain_error(self.text, str(value.plain_value()), data))
        return _plain(value.plain_value())


def _plain(value):
    """CEL values as JSON-friendly data: timestamps and durations become text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return moment.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.timedelta):
        return f"{value.total_seconds():g}s"  # CEL's own duration notation
    return str(value)


def _usable_identifier(node_id: str) -> bool:
    return bool(_IDENT.match(node_id)) and node_id not in _RESERVED and node_id not in {"workflow", "nodes"}


def _rewrite(text: str, node_ids: tuple[str, ...]) -> tuple[str, frozenset[str]]:
    """Translate reference syntax into CEL, outside string literals only."""
    ordered = sorted(node_ids, key=len, reverse=True)
    roots: set[str] = set()
    parts = _STRING.split(text)
    for index in range(0, len(parts), 2):  # even indexes are outside literals
        chunk = re.sub(r"\bAND\b", "&&", parts[index])
        chunk = re.sub(r"\bOR\b", "||", chunk)
        for node_id in ordered:
            pattern = r"(?<![\w\-\.\"'\]])" + re.escape(node_id) + r"(?![\w\-])"
            if not re.search(pattern, chunk):
                continue
            roots.add(node_id)
            if not _usable_identifier(node_id):
                chunk = re.sub(pattern, lambda _m, n=node_id: f'nodes["{n}"]', chunk)
        parts[index] = chunk
    # nodes["x"] written by the user directly: the literal sits in an odd slot.
    for index in range(1, len(parts), 2):
        literal = parts[index][1:-1]
        if literal in node_ids and parts[index - 1].rstrip().endswith("nodes["):
            roots.add(literal)
    return "".join(parts), frozenset(roots)


@functools.lru_cache(maxsize=256)
def _env_for(identifiers: tuple[str, ...]):
    variables = {"workflow": cel.Type.DYN, "nodes": cel.Type.Map(cel.Type.STRING, cel.Type.DYN)}
    for name in identifiers:
        variables[name] = cel.Type.DYN
    return cel.NewEnv(variables=variables)


@functools.lru_cache(maxsize=4096)
def compile_condition(text: str, node_ids: tuple[str, ...] = ()) -> Condition:
    """Compile ``text`` for a workflow whose node ids are ``node_ids``. The same program
    serves conditions (``evaluate``, boolean) and placeholders (``value``, any type).

    Raises ExpressionError with the parser's message (line, column, caret) when the text is
    empty or does not compile.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression")
    source, roots = _rewrite(text.strip(), node_ids)
    identifiers = tuple(sorted(n for n in node_ids if _usable_identifier(n)))
    env = _env_for(identifiers)
    try:
        program = env.compile(source)
    except Exception as exc:
        raise ExpressionError(f"invalid condition {text!r}: {_first_line(str(exc))}") from None
    return Condition(text=text.strip(), program=program, roots=roots)


def _first_line(message: str) -> str:
    message = message.replace("INVALID_ARGUMENT: ", "")
    return " ".join(line.strip() for line in message.splitlines() if line.strip())[:300]


_PATH = re.compile(r"\b(workflow(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def _explain_error(text: str, error: str, data: dict) -> str:
    """Name the first dotted path under ``workflow`` that is missing, when that is the cause."""
    for match in _PATH.finditer(text):
        current = data
        segments = match.group(1).split(".")
        for depth, segment in enumerate(segments):
            if isinstance(current, dict) and segment in current:
                current = current[segment]
                continue
            missing = ".".join(segments[: depth + 1])
            return f"cannot evaluate {text!r}: field {missing} not found"
    return f"cannot evaluate {text!r}: {error}"
