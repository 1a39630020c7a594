"""JSON from outside (agents, upstreams, OPA, JWKS) parsed with a nesting bound.

``loads`` never lets a ``RecursionError`` out: a document nested deeper than
``max_depth`` is ``TooDeep`` (a ``ValueError``, so callers that handle bad JSON handle
it too). Documents with no more ``[``/``{`` than ``max_depth`` cannot be too deep and
are parsed directly; others are parsed by the C decoder — which stops itself near the
interpreter's recursion limit, turned into ``TooDeep`` here — and then measured
iteratively.
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_MAX_DEPTH = 256


class TooDeep(ValueError):
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        super().__init__(f"the JSON document nests deeper than {max_depth} levels")


def depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, iteratively (no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


def loads(data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """``json.loads`` bounded to ``max_depth`` levels; ``ValueError`` (or ``TooDeep``) on bad input."""
    opens = data.count("[") + data.count("{") if isinstance(data, str) else data.count(b"[") + data.count(b"{")
    if opens <= max_depth:
        return json.loads(data)
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if depth(value) > max_depth:
        raise TooDeep(max_depth)
    return value
