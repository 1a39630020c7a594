"""Inspect output: detectors on the tool's answer, then ``data.callgate.output_decision``.

Sits after ``forward`` and before the adapter's ``emit``. The output decision may block
the answer (502 ``output.blocked``, with the policy's OWASP-coded reasons) or name
finding kinds to redact: their spans are replaced with ``[REDACTED:<kind>]`` (the
adapter recomputes Content-Length).

Documented behaviour for bodies the gateway did not buffer (unknown length or larger
than the forward buffer): with output inspection on, the stage reads the stream up to
the tool's ``inspect.output_limit`` and inspects it; a longer output is blocked (502
``output.too_large``, LLM10) — fail closed. Tools that must stream turn
``inspect.output`` off. A compressed body (Content-Encoding other than identity)
cannot be inspected and is blocked (``output.uninspectable``).

An injection the policy asks to *strip* is removed by its span; when a span cannot be
located (the match was in decoded or normalized text), the output is blocked instead.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from gateway.errors import Reason, Unavailable, UpstreamError
from gateway.inspect import output
from gateway.inspect.base import Hit
from gateway.inspect.classifier import ClassifierDetector
from gateway.inspect.runner import Inspector
from gateway.metrics import Metrics
from gateway.model import CallContext, Decision, Finding
from gateway.policy.engine import PolicyError
from gateway.policy.input import PolicyRef, build_input, parse_decision, record_shadow

if TYPE_CHECKING:
    from gateway.pipeline import Next


async def output_decision(
    policy: PolicyRef, metrics: Metrics, ctx: CallContext, status: int, findings: list[Finding]
) -> Decision:
    """``data.callgate.output_decision`` on the call's input plus ``output: {status, findings}``.

    Sets ``ctx.output_decision``; a policy error is 503 ``policy.unavailable``.
    """
    doc = build_input(ctx)
    doc["output"] = {"status": status, "findings": [f.as_dict() for f in findings]}
    try:
        decision = parse_decision(await policy.engine.evaluate(policy.output_rule, doc))
    except PolicyError as e:
        metrics.policy_errors.inc()
        err = Unavailable(f"output policy could not be evaluated: {e}", code="policy.unavailable")
        if policy.enforce:
            raise err from e
        # Shadow mode: the check could not run and is not enforced — the output passes, visibly.
        record_shadow(ctx, metrics, "output_policy", err)
        ctx.fail_open.append("output_policy")
        metrics.fail_open_calls.labels("output_policy").inc()
        return Decision(allow=True, reasons=[])
    ctx.output_decision = decision
    if not decision.allow and not policy.enforce:
        # Shadow mode: record the would-be block; redactions the decision names still apply.
        record_shadow(ctx, metrics, "output_policy", blocked_error(ctx.need_tool().name, decision))
        return replace(decision, allow=True)
    return decision


def blocked_error(tool_name: str, decision: Decision) -> UpstreamError:
    return UpstreamError(
        f"the output of tool {tool_name!r} was blocked by policy",
        code="output.blocked",
        reasons=decision.reasons or [Reason.of("output.blocked", "blocked by output policy")],
    )


def redact_kinds(tool_name: str, decision: Decision, findings: list[Finding], hits: list[Hit]) -> set[str]:
    """The finding kinds to redact, or 502 ``output.blocked`` when the decision blocks the output
    or names a kind to redact that has no located span in ``hits``."""
    if not decision.allow:
        raise blocked_error(tool_name, decision)
    kinds = {k for k in decision.redact if isinstance(k, str)}
    if kinds:
        located = {id(h.finding) for h in hits if h.span is not None}  # identity: O(1) per finding
        if any(h.span is None and h.finding.kind in kinds for h in hits) or any(
            f.kind in kinds and id(f) not in located for f in findings
        ):
            raise UpstreamError(
                f"the output of tool {tool_name!r} has content to strip that cannot be located",
                code="output.blocked",
                reasons=decision.reasons,
            )
    return kinds


class InspectOutputStage:
    name = "inspect.output"

    def __init__(
        self, inspector: Inspector, policy: PolicyRef, metrics: Metrics, classifier: ClassifierDetector | None = None
    ) -> None:
        self.inspector = inspector
        self.classifier = classifier
        self.policy = policy
        self.metrics = metrics
        self.latency = metrics.stage("inspect_output")

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = ctx.need_tool()
        cfg = tool.config.inspect
        # MCP answers are JSON-RPC, often as an SSE stream: the MCP mediator runs the same
        # gates and judge (gateway.inspect.output) on each answer message as it relays it.
        if not cfg.output or ctx.call.protocol == "mcp":
            await nxt(ctx)
            return
        up = ctx.need_upstream()
        limit = int(cfg.output_limit)
        output.admit(tool, up.headers)
        body = await output.read(tool, up.body, up.stream, limit)
        up.stream = None
        t0 = time.perf_counter()
        jd = await output.judge(
            self.inspector, self.policy, self.metrics, ctx, [("", body)], up.status, self.classifier
        )
        if jd.kinds:
            body = output.apply(body.decode("utf-8", errors="replace"), jd.hits[""], jd.kinds).encode()
            codes = sorted({f"{r['code']}({','.join(r.get('owasp', []))})" for r in jd.reasons})
            up.headers = [*up.headers, ("X-Callgate-Output-Reasons", " ".join(codes))]
        up.body = body
        up.bytes_sent = len(body)
        self.latency.observe(time.perf_counter() - t0)
        await nxt(ctx)
