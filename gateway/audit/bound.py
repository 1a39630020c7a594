"""Make any record writable and bounded: the decision log never refuses a record for its content.

A record is built from what an agent sent (headers, arguments, findings) and what
policy answered, so it can hold anything Python can: lone surrogates (a raw ``0xFF``
header byte arrives as ``"\\udcff"``, a JSON ``"\\ud800"`` escape parses to one),
``NaN`` and infinities, integers too long to print, nesting deeper than the JSON
encoder recurses, strings and lists of any size. Canonical JSON (``chain.canonical``)
refuses the first four, and the last two would write unbounded lines.

``bound(record, limits)`` returns a copy that canonical JSON always accepts and that
stays within ``limits``:

- a string with lone surrogates: each surrogate becomes U+FFFD;
- ``NaN`` / ``Infinity`` / ``-Infinity``: the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``;
- an integer of more than ``MAX_INT_BITS`` bits: ``"<int of N bits>"``;
- a string longer than ``max_string`` characters: its first ``max_string``;
- a list or object with more than ``max_items`` entries: its first ``max_items``
  (objects: in sorted key order);
- a value nested deeper than ``max_depth``: ``"<nested value>"``;
- anything that is not a JSON type: its ``repr``, cut to ``max_string``.

Each change is listed in the record's ``sanitized`` field — ``{path, reason, sha256}``,
where ``path`` is the JSON pointer of the changed value in the record and ``sha256``
is the digest of what was replaced or left out (``digest()``: UTF-8 bytes of a string
as received, with ``surrogateescape``; the escaped JSON of anything else) — so an
auditor holding the original can prove what it was. At most ``MAX_NOTES`` changes are
listed; a last ``{reason: "more", count}`` entry counts the rest. When anything was cut
for size (not merely escaped), the record also carries ``truncated: true``.

The log calls this only when the fast path fails (the record does not encode, or its
line is longer than ``max_record_bytes``), so a normal record costs nothing extra.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

MAX_INT_BITS = 256
MAX_NOTES = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True, default=repr)


@dataclass(frozen=True, slots=True)
class Limits:
    max_string: int = 4096
    max_items: int = 128
    max_depth: int = 16


LADDER: tuple[Limits, ...] = (Limits(4096, 128, 16), Limits(1024, 32, 8), Limits(256, 8, 4), Limits(64, 4, 3))
"""Tried in order until the record's line fits ``max_record_bytes``."""


def text_bytes(s: str) -> bytes:
    """The bytes a string stood for: ``surrogateescape`` undoes aiohttp's header decoding."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def _escaped_json(value: Any) -> bytes:
    """JSON of ``value`` that never fails: ASCII escapes, NaN allowed, unknown types as ``repr``.

    The C encoder handles the common case; deep nesting (RecursionError), huge
    integers (ValueError) and mixed key types (TypeError) fall back to an iterative
    encoder with the same output rules.
    """
    try:
        return _ESCAPED.encode(value).encode("ascii")
    except (RecursionError, ValueError, TypeError):
        pass
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Raw):
            out.append(v.text)
        elif isinstance(v, dict):
            items = sorted(((str(k), x) for k, x in v.items()), key=lambda kv: kv[0])
            out.append("{")
            todo: list[Any] = []
            for i, (k, x) in enumerate(items):
                todo.append(_Raw(("," if i else "") + json.dumps(k) + ":"))
                todo.append(x)
            todo.append(_Raw("}"))
            stack.extend(reversed(todo))
        elif isinstance(v, list | tuple):
            out.append("[")
            todo = []
            for i, x in enumerate(v):
                if i:
                    todo.append(_Raw(","))
                todo.append(x)
            todo.append(_Raw("]"))
            stack.extend(reversed(todo))
        elif isinstance(v, bool) or v is None or isinstance(v, str | float):
            out.append(json.dumps(v))
        elif isinstance(v, int):
            out.append(hex(v))  # str() refuses very long integers
        else:
            out.append(json.dumps(repr(v)))
    return "".join(out).encode("ascii")


@dataclass(frozen=True, slots=True)
class _Raw:
    text: str


def digest(value: Any) -> str:
    """``sha256:<hex>`` of what a ``sanitized`` note stands for (see the module docstring)."""
    raw = text_bytes(value) if isinstance(value, str) else _escaped_json(value)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _ptr(path: str, key: str | int) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


class _Bounder:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.notes: list[dict[str, Any]] = []
        self.more = 0
        self.truncated = False

    def note(self, path: str, reason: str, original: Any, **extra: Any) -> None:
        if reason not in ("surrogates", "nan", "type"):
            self.truncated = True
        if len(self.notes) >= MAX_NOTES:
            self.more += 1
            return
        self.notes.append({"path": _SURROGATE.sub("\ufffd", path)[:256], "reason": reason, "sha256": digest(original)})
        self.notes[-1].update(extra)

    def string(self, s: str, path: str) -> str:
        out = s
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            out = _SURROGATE.sub("\ufffd", s)
            if len(out) <= self.limits.max_string:
                self.note(path, "surrogates", s)
        if len(out) > self.limits.max_string:
            self.note(path, "string", s, length=len(s), kept=self.limits.max_string)
            out = out[: self.limits.max_string]
        return out

    def value(self, v: Any, path: str, depth: int) -> Any:
        if v is None or isinstance(v, bool):
            return v
        if isinstance(v, str):
            return self.string(v, path)
        if isinstance(v, int):
            if v.bit_length() > MAX_INT_BITS:
                self.note(path, "int", v, bits=v.bit_length())
                return f"<int of {v.bit_length()} bits>"
            return int(v)
        if isinstance(v, float):
            if math.isfinite(v):
                return v
            self.note(path, "nan", v)
            return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        if isinstance(v, dict | list | tuple):
            if depth >= self.limits.max_depth:
                self.note(path, "depth", v, max_depth=self.limits.max_depth)
                return "<nested value>"
            cap = self.limits.max_items
            if isinstance(v, dict):
                keys = sorted(v, key=lambda k: k if isinstance(k, str) else repr(k))
                if len(keys) > cap:
                    self.note(path, "object", {str(k): v[k] for k in keys[cap:]}, length=len(keys), kept=cap)
                    keys = keys[:cap]
                out: dict[str, Any] = {}
                for k in keys:
                    name = k if isinstance(k, str) else json.dumps(k) if k is None or isinstance(k, bool) else str(k)
                    name = self.string(name, _ptr(path, "(key)"))
                    out[name] = self.value(v[k], _ptr(path, name), depth + 1)
                return out
            items = list(v)
            if len(items) > cap:
                self.note(path, "list", items[cap:], length=len(items), kept=cap)
                items = items[:cap]
            return [self.value(x, _ptr(path, i), depth + 1) for i, x in enumerate(items)]
        text = repr(v)
        self.note(path, "type", text, type=type(v).__name__)
        return self.string(text, path)


def bound(record: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """A copy of ``record`` that canonical JSON accepts, within ``limits`` (see the module docstring)."""
    b = _Bounder(limits)
    previous = record.get("sanitized")
    body = {k: v for k, v in record.items() if k not in ("sanitized", "truncated")}
    out = b.value(body, "", 0)
    if not isinstance(out, dict):  # cannot happen for a dict at depth 0; keep the type honest
        out = {"value": out}
    if previous is not None:
        out["sanitized_before"] = b.value(previous, "/sanitized_before", 1)
    if b.notes or b.more:
        notes: list[dict[str, Any]] = list(b.notes)
        if b.more:
            notes.append({"reason": "more", "count": b.more})
        out["sanitized"] = notes
    if b.truncated:
        out["truncated"] = True
    return out


def fallback(record: dict[str, Any], why: str) -> dict[str, Any]:
    """The last resort: a record of a record that could not be bounded (the log never drops one)."""
    small = Limits(64, 4, 2)
    keep: dict[str, Any] = {
        k: record[k] for k in ("kind", "id", "time", "tool", "agent", "tenant", "outcome") if k in record
    }
    out = bound(keep, small)
    out["truncated"] = True
    out["sanitized"] = [*out.get("sanitized", []), {"path": "", "reason": why[:200], "sha256": digest(record)}]
    return out
