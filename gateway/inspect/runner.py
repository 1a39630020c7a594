"""Run the detectors over a call's arguments or a tool's output.

Arguments are walked iteratively (JSON pointers as paths) with limits on depth, the
number of strings and the characters inspected; going over a limit is itself a
finding (``limits``), so nothing is silently left unread. Outputs are inspected as
one text (for redaction spans) and, when they are JSON, string by string.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from gateway import jsondoc
from gateway.inspect.base import Detector, Hit, Surface, Target, finding
from gateway.inspect.code import (
    CodeExecDetector,
    ShellAllowListDetector,
    ShellDetector,
    SqlDetector,
    SqlVerbsDetector,
    TemplateDetector,
    XssDetector,
)
from gateway.inspect.decode import DecodedDetector
from gateway.inspect.injection import InjectionDetector
from gateway.inspect.normalize import fold
from gateway.inspect.pii import PiiDetector
from gateway.inspect.secrets import SecretsDetector
from gateway.inspect.ssrf import SsrfDetector
from gateway.inspect.traversal import TraversalDetector
from gateway.model import Finding

MAX_DEPTH = 32
MAX_STRINGS = 10_000
MAX_CHARS = 1 << 20
MAX_STRING = 64 * 1024
_SEP = "\n\x00\n"  # between strings in a joined scan: no pattern matches across it


def all_detectors() -> list[Detector]:
    base: list[Detector] = [
        InjectionDetector(),
        SecretsDetector(),
        PiiDetector(),
        SsrfDetector(),
        TraversalDetector(),
        ShellDetector(),
        SqlDetector(),
        TemplateDetector(),
        XssDetector(),
        CodeExecDetector(),
        ShellAllowListDetector(),
        SqlVerbsDetector(),
    ]
    return [*base, DecodedDetector(base)]


@dataclass(frozen=True, slots=True)
class InspectOptions:
    tags: frozenset[str] = frozenset()
    allowed_roots: tuple[str, ...] = ()
    schema: dict[str, Any] | None = None
    shell_commands: frozenset[str] | None = None
    sql_verbs: frozenset[str] | None = None


def _pointer(parent: str, key: str | int) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


class Inspector:
    def __init__(self, detectors: Sequence[Detector] | None = None) -> None:
        self.detectors = list(detectors) if detectors is not None else all_detectors()

    def scan_text(self, raw: str, surface: Surface, path: str, key: str, opts: InspectOptions) -> list[Hit]:
        t = Target(
            raw, None, surface, path, key.lower(), opts.tags, opts.allowed_roots, opts.shell_commands, opts.sql_verbs
        )
        hits: list[Hit] = []
        for d in self.detectors:
            hits.extend(d.scan(t))
        return hits

    def arguments(self, args: Any, opts: InspectOptions, *, root: str = "", schema: bool = True) -> list[Finding]:
        """Findings on every string in ``args``; paths are JSON pointers (prefixed with ``root``)."""
        out: list[Finding] = []
        limit_t = Target("", "", "request_arg", "")
        if schema and opts.schema is not None:
            out.extend(schema_findings(args, opts.schema))
        stack: list[tuple[Any, str, str, int]] = [(args, root, "", 0)]
        found: list[tuple[str, str, str]] = []
        strings = chars = 0
        while stack:
            v, path, key, depth = stack.pop()
            if depth > MAX_DEPTH:
                limit_t.path = path
                out.append(finding("limits", limit_t, "too_deep", "high", ("LLM10",), f"depth>{MAX_DEPTH}", 1.0))
                continue
            if isinstance(v, dict):
                for k, x in v.items():  # (stack order: findings come deepest-last-first, deterministically)
                    stack.append((x, _pointer(path, k), str(k), depth + 1))
                    if isinstance(k, str) and len(k) > 16:  # a key can carry text too
                        stack.append((k, _pointer(path, k), "", depth + 1))
            elif isinstance(v, list):
                for i, x in enumerate(v):
                    stack.append((x, f"{path}/{i}", key, depth + 1))
            elif isinstance(v, str):
                strings += 1
                chars += len(v)
                if strings > MAX_STRINGS or chars > MAX_CHARS:
                    limit_t.path = path
                    out.append(finding("limits", limit_t, "too_much_text", "high", ("LLM10",), "", 1.0))
                    break
                if len(v) > MAX_STRING:
                    limit_t.path = path
                    out.append(finding("limits", limit_t, "oversized_string", "medium", ("LLM10",), str(len(v)), 1.0))
                found.append((v, path, key.lower()))
        out.extend(self._scan_strings(found, opts))
        return out

    def _scan_strings(self, found: list[tuple[str, str, str]], opts: InspectOptions) -> list[Finding]:
        """Run each detector once over all strings joined, and per string only where that found something.

        Regex calls cost about a microsecond each however short the string, so scanning a
        payload's strings one by one with every detector is dominated by call overhead.
        The joined scan is a prefilter: a string's own match is also a match in the joined
        text (the separator keeps ``^``, ``\\b`` and ``\\n`` anchors true at the edges), so a
        detector that finds nothing there finds nothing in any string. Detectors whose hits
        all carry raw spans (``spans_raw``) have them attributed to strings by offset; the
        others rescan each string once they found something. A detector may bring its own
        prefilter (``maybe``) instead. Detectors that judge by the field name (``keyed``)
        or a whole string (``per_string``) also run per string.
        """
        if not found:
            return []
        if len(found) == 1:
            v, path, key = found[0]
            return [h.finding for h in self.scan_text(v, "request_arg", path, key, opts)]
        joined = _SEP.join(v for v, _, _ in found)
        starts: list[int] = []
        pos = 0
        for v, _, _ in found:
            starts.append(pos)
            pos += len(v) + len(_SEP)
        whole = Target(
            joined,
            fold(joined),
            "request_arg",
            "",
            "",
            opts.tags,
            opts.allowed_roots,
            opts.shell_commands,
            opts.sql_verbs,
        )
        targets: list[Target | None] = [None] * len(found)
        hits: list[tuple[int, int, list[Hit]]] = []
        for di, d in enumerate(self.detectors):
            keyed = getattr(d, "keyed", None)
            per_string = getattr(d, "per_string", False)
            maybe = getattr(d, "maybe", None)
            if maybe is not None:  # the detector's own prefilter, then string by string
                per_string = maybe(whole)
            whole_hits = [] if per_string or maybe is not None else d.scan(whole)
            mapped = getattr(d, "spans_raw", False)
            rescan: set[int] = set()
            if keyed is not None:
                rescan.update(i for i, (_, _, key) in enumerate(found) if keyed(key))
            if per_string or (whole_hits and not mapped):
                rescan.update(range(len(found)))
            elif whole_hits:  # every hit has a span in the joined text: attribute it to its string
                for h in whole_hits:
                    if h.span is None:
                        continue
                    si = bisect_right(starts, h.span[0]) - 1
                    if si in rescan or h.span[1] > starts[si] + len(found[si][0]):
                        continue  # rescanned below, or spans two strings (an artefact of joining)
                    h.finding.path = found[si][1]
                    h.span = (h.span[0] - starts[si], h.span[1] - starts[si])
                    hits.append((si, di, [h]))
            for si in sorted(rescan):
                v, path, key = found[si]
                t = targets[si]
                if t is None:
                    t = targets[si] = Target(
                        v,
                        None,
                        "request_arg",
                        path,
                        key,
                        opts.tags,
                        opts.allowed_roots,
                        opts.shell_commands,
                        opts.sql_verbs,
                    )
                h2 = d.scan(t)
                if h2:
                    hits.append((si, di, h2))
        hits.sort(key=lambda x: (x[0], x[1]))
        return [h.finding for _, _, hs in hits for h in hs]

    def strings(self, args: Any, root: str = "") -> list[tuple[str, str]]:
        """Every string in ``args`` with its JSON pointer (within the walk limits)."""
        out: list[tuple[str, str]] = []
        stack: list[tuple[Any, str, int]] = [(args, root, 0)]
        while stack and len(out) < MAX_STRINGS:
            v, path, depth = stack.pop()
            if depth > MAX_DEPTH:
                continue
            if isinstance(v, dict):
                stack.extend((x, _pointer(path, k), depth + 1) for k, x in v.items())
            elif isinstance(v, list):
                stack.extend((x, f"{path}/{i}", depth + 1) for i, x in enumerate(v))
            elif isinstance(v, str):
                out.append((v, path))
        return out

    def output(self, body: bytes, opts: InspectOptions) -> tuple[list[Finding], list[Hit]]:
        """Findings on a tool's output, and the hits with spans in the decoded text (for redaction)."""
        text = body.decode("utf-8", errors="replace")
        hits = self.scan_text(text, "tool_output", "", "", opts)
        findings = [h.finding for h in hits]
        if text[:1] in ("{", "[") and ("\\u" in text or "\\n" in text):
            # JSON escapes can hide text from the whole-body scan: rescan decoded strings.
            try:
                parsed = jsondoc.loads(text)
            except ValueError:
                parsed = None
            if parsed is not None:
                seen = {(f.detector, f.kind) for f in findings}
                for f in self.arguments(parsed, opts, schema=False):
                    if f.detector == "injection" and (f.detector, f.kind) not in seen:
                        f.surface = "tool_output"
                        findings.append(f)
        return findings, hits


def schema_findings(args: Any, schema: dict[str, Any]) -> list[Finding]:
    validator = jsonschema.Draft202012Validator(schema)
    t = Target("", "", "request_arg", "")
    out: list[Finding] = []
    for err in sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path)):
        t.path = "".join(_pointer("", p) for p in err.absolute_path)
        kind = "unknown_argument" if err.validator == "additionalProperties" else f"schema_{err.validator}"
        out.append(finding("schema", t, kind, "high", ("LLM06", "ASI02"), err.message[:120], 1.0))
        if len(out) >= 20:
            break
    return out


def redact(text: str, hits: Sequence[Hit], kinds: set[str]) -> str:
    """Replace the spans of hits whose kind is in ``kinds`` with ``[REDACTED:<kind>]``."""
    spans = sorted(
        (h.span[0], h.span[1], h.finding.kind) for h in hits if h.span is not None and h.finding.kind in kinds
    )
    out: list[str] = []
    pos = 0
    for start, end, kind in spans:
        if start < pos:  # overlaps the previous redaction
            continue
        out.append(text[pos:start])
        out.append(f"[REDACTED:{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)
