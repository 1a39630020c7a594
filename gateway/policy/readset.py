"""What a policy set can read of its input, found from the Rego text — for a decision cache.

A loaded policy's decision is a function of ``data`` (fixed per engine) and of the
input. If every place the Rego text names ``input`` selects a fixed path
(``input.agent.scopes``, ``input["call"].protocol``, ``object.get(input, "tool", d)``),
the decision depends on the input only through the values at those paths: two inputs
that agree there get the same decision. ``input_reads`` returns those paths, or why
it cannot tell (and then nothing may be cached):

- ``input`` used whole or with a computed key (``input[x]``, ``walk(input)``,
  ``object.get(input, k, d)``, ``import input``...);
- ``with`` (replaces input or data inside a rule);
- a built-in whose result is not a function of its arguments (time, random numbers,
  UUIDs, HTTP, DNS, the runtime) or ``print`` (a side effect a cached decision skips);
- a read of ``call.arguments``, ``now`` or ``usage`` (they change from call to call:
  a cache keyed on them would only cost).

The scan is lexical and conservative: comments and string literals are skipped, and
anything it does not recognise after ``input`` makes the set uncacheable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

Path = tuple[str, ...]

# reads that vary per call: a cache keyed on them would never hit
VOLATILE: tuple[Path, ...] = (("call", "arguments"), ("now",), ("usage",))
_IMPURE = re.compile(
    r"\b(?:time\.now_ns|rand\.\w+|uuid\.\w+|http\.send|net\.lookup_ip_addr|opa\.runtime|print|trace)\s*\("
)
_WITH = re.compile(r"\bwith\b")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_OBJECT_GET = re.compile(r"object\.get\(\s*$")


def _code(text: str) -> str:
    """``text`` with comments and string literals blanked (same length), strings kept apart."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            j = n if j == -1 else j
            out.append(" " * (j - i))
            i = j
        elif c == '"':
            m = _STRING.match(text, i)
            j = m.end() if m else n
            out.append('"' + "s" * max(0, j - i - 2) + '"')
            i = j
        elif c == "`":
            j = text.find("`", i + 1)
            j = n if j == -1 else j + 1
            out.append("`" + "s" * max(0, j - i - 2) + "`")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _literal_key(text: str, code: str, pos: int) -> tuple[str, int] | None:
    """A string literal key at ``pos`` (after optional spaces): its value and end, else None."""
    while pos < len(code) and code[pos] in " \t":
        pos += 1
    if pos < len(code) and code[pos] == '"':
        m = _STRING.match(text, pos)
        if m:
            raw = m.group(0)[1:-1]
            if "\\" not in raw:
                return raw, m.end()
    return None


def _path_after(text: str, code: str, pos: int) -> tuple[Path, int] | None:
    """The fixed selector chain after ``input`` at ``pos``: ``.a``, ``["a"]``; None when computed."""
    path: list[str] = []
    while pos < len(code):
        if code[pos] == "." and pos + 1 < len(code):
            m = _IDENT.match(code, pos + 1)
            if not m:
                return None
            path.append(m.group(0))
            pos = m.end()
        elif code[pos] == "[":
            lit = _literal_key(text, code, pos + 1)
            if lit is None:  # a computed key: reads all below the fixed part (all of input at the root)
                return (tuple(path), pos) if path else None
            key, pos = lit
            while pos < len(code) and code[pos] in " \t":
                pos += 1
            if pos >= len(code) or code[pos] != "]":
                return None
            path.append(key)
            pos += 1
        else:
            break
    return tuple(path), pos


def input_reads(texts: Iterable[str]) -> tuple[frozenset[Path], str | None]:
    """(paths read, None) for cacheable policy text, or (empty, why not)."""
    reads: set[Path] = set()
    for text in texts:
        code = _code(text)
        if _WITH.search(code):
            return frozenset(), "a rule uses `with`"
        impure = _IMPURE.search(code)
        if impure:
            return frozenset(), f"the policy calls {impure.group(0).rstrip('( ')}"
        for m in re.finditer(r"\binput\b", code):
            start = m.start()
            if start and (code[start - 1] == "." or code[start - 1].isalnum() or code[start - 1] == "_"):
                continue  # x.input: a field of something else
            got = _path_after(text, code, m.end())
            if got is None:
                return frozenset(), f"input is indexed with a computed key (offset {start})"
            path, end = got
            if not path:
                # object.get(input, "key", default) reads input.key; anything else reads all of input
                if _OBJECT_GET.search(code[max(0, start - 40) : start]):
                    rest = end
                    while rest < len(code) and code[rest] in " \t\n":
                        rest += 1
                    lit = _literal_key(text, code, rest + 1) if rest < len(code) and code[rest] == "," else None
                    if lit is not None:
                        reads.add((lit[0],))
                        continue
                return frozenset(), f"input is used whole (offset {start})"
            reads.add(path)
    for p in reads:
        for v in VOLATILE:
            n = min(len(p), len(v))
            if p[:n] == v[:n]:
                return frozenset(), f"the policy reads input.{'.'.join(p)}, which changes with every call"
    # a path below another one adds nothing to a key that holds the whole of the other
    return frozenset(p for p in reads if not any(p[: len(q)] == q and p != q for q in reads)), None


def prune(doc: Mapping[str, Any], paths: Iterable[Path]) -> dict[str, Any]:
    """``doc`` with only the values at ``paths`` (and the objects leading to them); a path
    that is missing or crosses a non-object stays as far as it exists."""
    out: dict[str, Any] = {}
    for path in paths:
        src: Any = doc
        dst = out
        for i, key in enumerate(path):
            if not isinstance(src, Mapping) or key not in src:
                break
            src = src[key]
            if i == len(path) - 1:
                dst[key] = src
            else:
                if not isinstance(src, Mapping):
                    dst[key] = src  # not an object: the policy sees it as it is
                    break
                nxt = dst.get(key)
                if not isinstance(nxt, dict):
                    nxt = dst[key] = {}
                dst = nxt
    return out
