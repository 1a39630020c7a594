"""Run the detectors over a call's arguments or a tool's output.

Arguments are walked iteratively (JSON pointers as paths) with limits on depth, the
number of strings and the characters inspected; going over a limit is itself a
finding (``limits``), so nothing is silently left unread. Outputs are inspected as
one text (for redaction spans) and, when they are JSON, string by string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from gateway.inspect.base import Detector, Hit, Surface, Target, finding
from gateway.inspect.code import ShellDetector, SqlDetector, TemplateDetector
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
MAX_STRING = 64 * 1024  # characters of one argument string; longer is an oversize finding


def all_detectors() -> list[Detector]:
    return [
        InjectionDetector(),
        SecretsDetector(),
        PiiDetector(),
        SsrfDetector(),
        TraversalDetector(),
        ShellDetector(),
        SqlDetector(),
        TemplateDetector(),
    ]


@dataclass(frozen=True, slots=True)
class InspectOptions:
    tags: frozenset[str] = frozenset()
    allowed_roots: tuple[str, ...] = ()
    schema: dict[str, Any] | None = None


def _pointer(parent: str, key: str | int) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


class Inspector:
    def __init__(self, detectors: Sequence[Detector] | None = None) -> None:
        self.detectors = list(detectors) if detectors is not None else all_detectors()

    def scan_text(self, raw: str, surface: Surface, path: str, key: str, opts: InspectOptions) -> list[Hit]:
        t = Target(raw, fold(raw), surface, path, key.lower(), opts.tags, opts.allowed_roots)
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
        strings = chars = 0
        while stack:
            v, path, key, depth = stack.pop()
            if depth > MAX_DEPTH:
                limit_t.path = path
                out.append(finding("limits", limit_t, "too_deep", "high", ("LLM10",), f"depth>{MAX_DEPTH}", 1.0))
                continue
            if isinstance(v, dict):
                for k, x in reversed(list(v.items())):
                    stack.append((x, _pointer(path, k), str(k), depth + 1))
                    if isinstance(k, str) and len(k) > 16:  # a key can carry text too
                        stack.append((k, _pointer(path, k), "", depth + 1))
            elif isinstance(v, list):
                for i in range(len(v) - 1, -1, -1):
                    stack.append((v[i], _pointer(path, i), key, depth + 1))
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
                out.extend(h.finding for h in self.scan_text(v, "request_arg", path, key, opts))
        return out

    def output(self, body: bytes, opts: InspectOptions) -> tuple[list[Finding], list[Hit]]:
        """Findings on a tool's output, and the hits with spans in the decoded text (for redaction)."""
        text = body.decode("utf-8", errors="replace")
        hits = self.scan_text(text, "tool_output", "", "", opts)
        findings = [h.finding for h in hits]
        if text[:1] in ("{", "[") and ("\\u" in text or "\\n" in text):
            # JSON escapes can hide text from the whole-body scan: rescan decoded strings.
            try:
                parsed = json.loads(text)
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
