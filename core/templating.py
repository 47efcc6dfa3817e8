"""``${expression}`` placeholders in action values (``set_output``, ``log``).

A string that is exactly one placeholder takes the expression's typed value
(``"${workflow.amount}"`` → ``125.5``); placeholders inside longer text are replaced by the
value's text (``"paid ${workflow.amount}"`` → ``"paid 125.5"``). Expressions are CEL over the
same context as conditions (``core.expressions``). Objects and lists are walked recursively.
"""

from __future__ import annotations

import json
from typing import Any

from core.expressions import ExpressionError, compile_condition


def _placeholders(text: str) -> list[tuple[int, int, str]]:
    """(start, end, expression) of each ``${...}``, honouring braces and string literals."""
    found = []
    index = 0
    while True:
        start = text.find("${", index)
        if start < 0:
            return found
        depth, position, quote = 1, start + 2, None
        while position < len(text) and depth:
            char = text[position]
            if quote:
                if char == "\\":
                    position += 1
                elif char == quote:
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            position += 1
        if depth:
            raise ExpressionError(f"unclosed placeholder in {text!r}")
        found.append((start, position, text[start + 2 : position - 1]))
        index = position


def _walk_strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


def compile_template(value: Any, node_ids: tuple[str, ...]) -> frozenset[str]:
    """Compile every placeholder in ``value``; returns the node ids they read.

    Raises ExpressionError for an unclosed placeholder or an expression that does not compile.
    """
    roots: set[str] = set()
    for text in _walk_strings(value):
        for _start, _end, expression in _placeholders(text):
            roots |= compile_expression(expression, node_ids).roots
    return frozenset(roots)


def compile_expression(expression: str, node_ids: tuple[str, ...]):
    return compile_condition(expression, node_ids)


def render(value: Any, context: dict, node_ids: tuple[str, ...]) -> Any:
    """``value`` with every placeholder evaluated against ``context``. Raises ExpressionError."""
    if isinstance(value, dict):
        return {key: render(item, context, node_ids) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context, node_ids) for item in value]
    if not isinstance(value, str):
        return value
    spots = _placeholders(value)
    if not spots:
        return value
    if len(spots) == 1 and spots[0][0] == 0 and spots[0][1] == len(value):
        return compile_expression(spots[0][2], node_ids).value(context)
    pieces, last = [], 0
    for start, end, expression in spots:
        result = compile_expression(expression, node_ids).value(context)
        pieces.append(value[last:start])
        pieces.append(result if isinstance(result, str) else json.dumps(result, ensure_ascii=False))
        last = end
    pieces.append(value[last:])
    return "".join(pieces)
