"""One output path: the gates, the capped read, the output decision and redaction.

HTTP bodies and MCP results go through these same functions. An adapter says what
the inspectable *parts* of an answer are — a whole body for HTTP; content items and
``structuredContent`` for an MCP tool result; the result document for other MCP
answers — and puts the redacted parts back.

- ``admit(tool, headers)``: an encoded answer (``Content-Encoding`` other than
  identity) cannot be inspected: 502 ``output.uninspectable``.
- ``read(stream, limit)``: the whole answer up to the tool's ``output_limit``; more
  is 502 ``output.too_large`` (LLM10) — fail closed, chunked or not.
- ``too_large(tool, limit)``: that error, for callers that count bytes themselves.
- ``judge(...)``: detectors on every part, then ``data.callgate.output_decision``;
  returns the kinds to redact (and the hits), or raises 502 ``output.blocked``.
- ``apply(text, hits, kinds)``: the text with those spans as ``[REDACTED:<kind>]``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.body import TooLarge, read_capped
from gateway.errors import Reason, UpstreamError
from gateway.inspect.base import Hit
from gateway.inspect.classifier import ClassifierDetector, windows
from gateway.inspect.runner import Inspector, redact
from gateway.model import MAX_OUTPUT_FINDINGS, CallContext, Finding

if TYPE_CHECKING:
    from gateway.metrics import Metrics
    from gateway.policy.input import PolicyRef
    from gateway.tools import Tool


def admit(tool: Tool, headers: Iterable[tuple[str, str]]) -> None:
    for k, v in headers:
        if k.lower() == "content-encoding" and v.strip().lower() not in ("", "identity"):
            raise UpstreamError(
                f"tool {tool.name!r} answered with Content-Encoding {v}, which cannot be inspected",
                code="output.uninspectable",
                reasons=[Reason.of("output.uninspectable", "encoded output cannot be inspected", ["LLM05"])],
            )


def too_large(tool: Tool, limit: int) -> UpstreamError:
    return UpstreamError(
        f"tool {tool.name!r} answered more than {limit} bytes, the output inspection limit",
        code="output.too_large",
        reasons=[Reason.of("output.too_large", f"output exceeds {limit} bytes", ["LLM10"])],
    )


async def read(tool: Tool, body: bytes | None, stream: Any, limit: int) -> bytes:
    """The answer's body (buffered or read from ``stream``) up to ``limit``, else ``output.too_large``."""
    if body is None:
        try:
            body = await read_capped(stream, limit)
        except TooLarge as e:
            raise too_large(tool, limit) from e
    if len(body) > limit:
        raise too_large(tool, limit)
    return body


@dataclass(slots=True)
class Judgement:
    findings: list[Finding] = field(default_factory=list)
    hits: dict[str, list[Hit]] = field(default_factory=dict)  # per part
    kinds: set[str] = field(default_factory=set)  # finding kinds to redact
    reasons: list[dict[str, Any]] = field(default_factory=list)


async def judge(
    inspector: Inspector,
    policy: PolicyRef,
    metrics: Metrics,
    ctx: CallContext,
    parts: list[tuple[str, bytes]],
    status: int,
    classifier: ClassifierDetector | None = None,
) -> Judgement:
    """Detectors on each ``(path, bytes)`` part (and the classifier, when configured, in a
    worker thread within its budget), then the output decision (only with findings).

    Findings go to ``ctx.output_findings`` with the part's path prefixed; raises
    ``output.blocked`` when the decision blocks or asks to strip what cannot be located.
    A classifier that cannot answer is a fail-open pass, recorded (``fail_open``).
    """
    from gateway.stages.inspect_output import output_decision, redact_kinds

    tool = ctx.need_tool()
    t0 = time.perf_counter()
    out = Judgement()
    try:
        for path, data in parts:
            fs, hs = await inspector.output_async(data, tool.inspect_options)  # large: off the loop
            if classifier is not None:
                text = data.decode("utf-8", errors="replace")
                found, passed = await classifier.findings(
                    windows(text, classifier.max_chars, classifier.max_strings), "tool_output"
                )
                fs = [*fs, *found]
                if passed and "classifier" not in ctx.fail_open:
                    ctx.fail_open.append("classifier")
                    metrics.fail_open_calls.labels("classifier").inc()
            if path:
                for f in fs:
                    f.path = path + f.path
            out.findings += fs
            out.hits[path] = hs
        room = MAX_OUTPUT_FINDINGS - len(ctx.output_findings)
        ctx.output_findings.extend(out.findings[: max(room, 0)])
        ctx.output_findings_dropped += max(len(out.findings) - max(room, 0), 0)
        if out.findings:
            decision = await output_decision(policy, metrics, ctx, status, out.findings)
            all_hits = [h for hs in out.hits.values() for h in hs]
            out.kinds = redact_kinds(tool.name, decision, out.findings, all_hits)
            out.reasons = decision.reasons
    finally:
        ctx.timings["inspect_output"] = ctx.timings.get("inspect_output", 0.0) + time.perf_counter() - t0
    return out


def apply(text: str, hits: list[Hit], kinds: set[str]) -> str:
    return redact(text, hits, kinds)
