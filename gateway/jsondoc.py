"""JSON from outside (agents, upstreams, OPA, JWKS) parsed with a nesting bound.

``loads`` never lets a ``RecursionError`` out: a document nested deeper than
``max_depth`` is ``TooDeep`` (a ``ValueError``, so callers that handle bad JSON handle
it too). Documents with no more ``[``/``{`` than ``max_depth`` cannot be too deep and
are parsed directly; others are parsed by the C decoder — which stops itself near the
interpreter's recursion limit, turned into ``TooDeep`` here — and then measured
iteratively.

JSON from outside is also held to what every consumer downstream (policy engines, the
decision log, upstreams) can represent: ``NaN``/``Infinity`` (Python's extension, not
JSON), numbers that overflow a double (``1e999``) and lone UTF-16 surrogates
(``"\\ud800"``: valid JSON syntax, but no Unicode text) are refused with
``NotPortable`` (a ``ValueError``), so a call carrying them gets a clear 400 instead
of failing later in policy.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import orjson

DEFAULT_MAX_DEPTH = 256


class TooDeep(ValueError):
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        super().__init__(f"the JSON document nests deeper than {max_depth} levels")


class NotPortable(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise NotPortable(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotPortable(f"{text[:20]} overflows a double")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
# a \uD800-\uDFFF escape, or a surrogate code point decoded from (invalid, CESU-8) bytes
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UTF8_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def _check_surrogates(value: Any) -> None:
    """Iteratively: no string (key or value) holds a lone surrogate."""
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _SURROGATE.search(v):
                raise NotPortable("a string holds a lone UTF-16 surrogate (not Unicode text)")
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _decode(data: str | bytes | bytearray) -> Any:
    if isinstance(data, str):
        text, raw = data, _SURROGATE.search(data) is not None
    else:
        encoding = json.detect_encoding(data)
        text = data.decode(encoding, "surrogatepass")
        # only UTF-8's (invalid) ED A0..BF sequences decode to surrogates; other encodings: look
        raw = encoding != "utf-8" or (b"\xed" in data and _UTF8_SURROGATE.search(data) is not None)
        raw = raw and _SURROGATE.search(text) is not None
    value = _DECODER.decode(text)
    if raw or ("\\u" in text and _SURROGATE_ESCAPE.search(text)):
        _check_surrogates(value)
    return value


def depth(value: Any, limit: int | None = None) -> int:
    """Nesting depth of a parsed JSON value, iteratively (no recursion limit).

    Level by level, carrying only the containers (a document's leaves are most of it);
    with ``limit``, stops once the depth passes it (the answer is then ``limit + 1``)."""
    level = [value] if isinstance(value, _CONTAINERS) else []
    d = 0
    while level and (limit is None or d <= limit):
        d += 1
        below: list[Any] = []
        for v in level:
            below += [x for x in (v.values() if isinstance(v, dict) else v) if isinstance(x, _CONTAINERS)]
        level = below
    return d


_CONTAINERS = (dict, list)  # a tuple: isinstance with ``dict | list`` is ~3x slower


def loads(data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH, *, portable: bool = True) -> Any:
    """``json.loads`` bounded to ``max_depth`` levels; ``ValueError`` (or ``TooDeep``) on bad input.

    ``portable=False`` skips the ``NotPortable`` checks, for text that is only read
    (inspection rescanning a tool's answer), never passed on or decided upon.
    """
    decode = _decode if portable else json.loads
    opens = data.count("[") + data.count("{") if isinstance(data, str) else data.count(b"[") + data.count(b"{")
    if opens <= max_depth:
        return decode(data)
    try:
        value = decode(data)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if depth(value, max_depth) > max_depth:
        raise TooDeep(max_depth)
    return value


_ORJSON_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
_ORJSON_SORTED |= orjson.OPT_PASSTHROUGH_DATETIME
_ORJSON_PLAIN = _ORJSON_SORTED & ~orjson.OPT_SORT_KEYS
FAST_NODES = 512  # containers and numbers a document may hold for the orjson path (its walk costs)
_SAME_FLOAT_MIN = 1e-4  # from here up (and 0.0), orjson writes a finite float as repr() does
_INF = math.inf
_LEAVES = frozenset({str, int, bool, type(None)})  # exact types: subclasses go the slow way


def orjson_agrees(obj: Any) -> bool:
    """True when ``orjson.dumps(obj)`` (sorted or not, the options above) is provably what the
    C encoder writes, or raises — then the caller encodes with the C encoder, for its bytes or
    its error. Both write the shortest round-tripping digits and escape strings alike (every
    code point, as value and as key, is checked by tests/test_per_call.py; dict keys sort the
    same, code-point order being UTF-8 byte order); what tells them apart is:

    - floats: orjson writes 1e-05 as ``0.00001`` and 1e-06 as ``1e-6``, and NaN and the
      infinities as ``null`` where the C encoder refuses them. Only 0.0 and finite floats
      of magnitude ≥ 1e-4 are let through (the two agree there: tests, exhaustive over
      decade boundaries and millions of random doubles);
    - types orjson writes and ``json`` refuses (``UUID``, ``Enum``, dataclasses, datetimes,
      numpy) or writes otherwise (subclasses of ``str``/``int``/``dict``/``list``): only the
      exact JSON types pass (tuples too go the slow way);
    - integers past 64 bits, non-``str`` keys, lone surrogates, nesting past 255: orjson
      raises, and the caller falls back.

    Walked iteratively over at most ``FAST_NODES`` values (a cycle, or a document so large
    that the walk would cost what orjson saves, goes the slow way)."""
    stack = [obj]
    pop, extend = stack.pop, stack.extend
    budget = FAST_NODES
    while stack:
        v = pop()
        t = type(v)
        if t in _LEAVES:
            continue
        if t is dict:
            budget -= len(v)
            if budget < 0:
                return False
            extend(v.values())
        elif t is list:
            budget -= len(v)
            if budget < 0:
                return False
            extend(v)
        elif t is float:
            if not (_SAME_FLOAT_MIN <= abs(v) < _INF or v == 0.0):
                return False
        else:
            return False
    return True


def _c_encoder(sort_keys: bool) -> Callable[[Any], str]:
    py = json.JSONEncoder(sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has the C encoder
        return py.encode
    c = make(None, py.default, json.encoder.encode_basestring, None, ":", ",", sort_keys, False, False)
    return lambda obj: "".join(c(obj, 0))


def compact_encoder(*, sort_keys: bool) -> Callable[[Any], str]:
    """``json.dumps(obj, sort_keys=..., separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)``, built once.

    ``json.dumps`` with options, and ``JSONEncoder.encode`` too, build a C encoder (and a
    fresh circular-reference table) on every call: a few microseconds, as much as encoding
    a small record. This one is built once, with no circular-reference table: what we
    encode is parsed JSON or built from it, never circular; a cycle would end in
    ``RecursionError``, which deep nesting raises anyway. A document ``orjson_agrees`` on
    is written by orjson (~8x faster). Same text and errors (hypothesis tests in
    tests/test_per_call.py)."""
    c = _c_encoder(sort_keys)
    options = _ORJSON_SORTED if sort_keys else _ORJSON_PLAIN

    def encode(obj: Any) -> str:
        if orjson_agrees(obj):
            try:
                return orjson.dumps(obj, option=options).decode()
            except orjson.JSONEncodeError:
                pass
        return c(obj)

    return encode


_c_canonical = _c_encoder(sort_keys=True)


def canonical(obj: Any) -> bytes:
    """The canonical JSON encoding of ``obj``.

    Same bytes as ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False, allow_nan=False).encode()``. Raises ``TypeError``/``ValueError``
    for values JSON cannot represent (including NaN and infinities),
    ``UnicodeEncodeError`` for strings with lone surrogates, and ``RecursionError`` for
    nesting too deep (or a cycle). Written by orjson when ``orjson_agrees``: the hash
    chain and ``callgate audit verify`` depend on these bytes, and they are the same.
    """
    if orjson_agrees(obj):
        try:
            return orjson.dumps(obj, option=_ORJSON_SORTED)
        except orjson.JSONEncodeError:
            pass
    return _c_canonical(obj).encode()
