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

import asyncio
import json
import math
import re
from collections.abc import Callable, Generator
from typing import Any, TypeVar

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
    return run(depth_steps(value, limit))


def depth_steps(value: Any, limit: int | None = None, step: int = 1 << 62) -> Generator[None, None, int]:
    """``depth`` yielding after each ``step`` containers looked into (so an event loop can
    run between: 2,765 objects take ~1 ms)."""
    level = [value] if isinstance(value, _CONTAINERS) else []
    d = 0
    while level and (limit is None or d <= limit):
        d += 1
        below: list[Any] = []
        for lo in range(0, len(level), step):
            if lo:
                yield
            for v in level[lo : lo + step]:
                below += [x for x in (v.values() if isinstance(v, dict) else v) if isinstance(x, _CONTAINERS)]
        level = below
    return d


_T = TypeVar("_T")


def run(steps: Generator[None, None, _T]) -> _T:
    """Drive ``steps`` to the end without yielding; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            result: _T = stop.value
            return result


async def run_async(steps: Generator[None, None, _T]) -> _T:
    """Drive ``steps`` to the end on the event loop, letting it run others at each yield."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            result: _T = stop.value
            return result
        await asyncio.sleep(0)


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


LARGE = 64 << 10  # ``loads_async``: a document over this many bytes is parsed and checked in steps
DEPTH_STEP = 2048  # containers looked into in one step of the nesting check (~1 ms)


def loads_steps(
    data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH, *, portable: bool = True
) -> Generator[None, None, Any]:
    """``loads`` yielding after the parse and every ``DEPTH_STEP`` containers of the nesting
    check (no bracket count: walking a document with few containers costs less than
    counting the brackets of 1 MiB). The same value and errors as ``loads``."""
    decode = _decode if portable else json.loads
    try:
        value = decode(data)
    except RecursionError:
        raise TooDeep(max_depth) from None
    yield
    if (yield from depth_steps(value, max_depth, DEPTH_STEP)) > max_depth:
        raise TooDeep(max_depth)
    return value


async def loads_async(
    data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH, *, portable: bool = True
) -> Any:
    """``loads`` for the event loop: over ``LARGE`` bytes in steps (``loads_steps``), the loop
    running others between the parse (one C call: a 256 KiB body of small objects takes
    ~2 ms) and the steps of the nesting check (~1 ms more)."""
    if len(data) <= LARGE:
        return loads(data, max_depth, portable=portable)
    return await run_async(loads_steps(data, max_depth, portable=portable))


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


def _c_encoder(sort_keys: bool, *, ensure_ascii: bool = False, allow_nan: bool = False) -> Callable[[Any], str]:
    """``json.dumps(obj, separators=(",", ":"), ...)`` with these options on a C encoder
    built once (no circular-reference table: see ``compact_encoder``)."""
    py = json.JSONEncoder(sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=ensure_ascii, allow_nan=allow_nan)
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has the C encoder
        return py.encode
    string = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    c = make(None, py.default, string, None, ":", ",", sort_keys, False, allow_nan)
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


# ----------------------------------------------------------------------------- in pieces


class _Compact:
    """What ``json.dumps(obj, separators=(",", ":"), ensure_ascii=...)`` writes (NaN allowed,
    keys unsorted), whole and for one string, built once."""

    def __init__(self, ensure_ascii: bool) -> None:
        self.string: Callable[[str], str] = (
            json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        )
        self.whole = _c_encoder(False, ensure_ascii=ensure_ascii, allow_nan=True)


_COMPACT = {False: _Compact(False), True: _Compact(True)}
_SMALL = 8  # a container with at most this many members is written member by member
_FIRST_RUN = 16  # members of a larger container in its first run (later runs are sized to ``step``)


def compact_steps(obj: Any, step: int = 64 << 10, *, ensure_ascii: bool = False) -> Generator[None, None, bytes]:
    """``json.dumps(obj, separators=(",", ":"), ensure_ascii=ensure_ascii).encode()`` — the
    same bytes — made in pieces, yielding after about every ``step`` characters.

    One ``json.dumps`` of a 1 MiB message holds an event loop 3-5 ms. Here a string longer
    than ``step`` is encoded slice by slice (JSON escapes one character at a time, so the
    slices' encodings joined are the string's); a container with more than ``_SMALL``
    members in runs of members (encoded as a container of their own, brackets cut), each
    run sized from the last to about ``step`` characters; a smaller container member by
    member (it may hold one long string). A run whose members turn out much larger than
    ``step`` is still one hold: the bound is for documents whose size is in long strings
    and long containers (tool results, argument lists), not for every document. Errors
    are ``json.dumps``'s and ``str.encode``'s: ``UnicodeEncodeError`` for a lone
    surrogate, ``RecursionError`` for nesting too deep, ``TypeError`` for what is not JSON.
    """
    out: list[bytes] = []
    made = [0]  # characters written since the last yield
    yield from _pieces(_COMPACT[ensure_ascii], obj, step, out, made)
    return b"".join(out)


def _pieces(enc: _Compact, v: Any, step: int, out: list[bytes], made: list[int]) -> Generator[None, None, None]:
    t = type(v)
    if t is str and len(v) > step:
        out.append(b'"')
        for i in range(0, len(v), step):
            out.append(enc.string(v[i : i + step])[1:-1].encode())
            yield
        out.append(b'"')
        return
    if (t is dict or t is list) and v:
        if len(v) > _SMALL:
            yield from _runs(enc, v, step, out, made)
            return
        if t is list:
            out.append(b"[")
            for i, x in enumerate(v):
                if i:
                    out.append(b",")
                yield from _pieces(enc, x, step, out, made)
            out.append(b"]")
            return
        if all(type(k) is str for k in v):
            out.append(b"{")
            for i, (k, x) in enumerate(v.items()):
                out.append((("," if i else "") + enc.string(k) + ":").encode())
                yield from _pieces(enc, x, step, out, made)
            out.append(b"}")
            return
    text = enc.whole(v)
    out.append(text.encode())
    made[0] += len(text)
    if made[0] >= step:
        made[0] = 0
        yield


def _runs(
    enc: _Compact, v: dict[Any, Any] | list[Any], step: int, out: list[bytes], made: list[int]
) -> Generator[None, None, None]:
    """A large container in runs of members, each encoded as a container of its own."""
    is_dict = isinstance(v, dict)
    members: list[Any] = list(v.items()) if isinstance(v, dict) else v
    out.append(b"{" if is_dict else b"[")
    n, lo, run = len(members), 0, _FIRST_RUN
    while lo < n:
        part = members[lo : lo + run]
        text = enc.whole(dict(part) if is_dict else part)[1:-1]
        out.append(("," + text if lo else text).encode())
        lo += len(part)
        run = max(1, min(n, step * len(part) // max(len(text), 1)))
        made[0] += len(text)
        if made[0] >= step:
            made[0] = 0
            yield
    out.append(b"}" if is_dict else b"]")
