"""Record: one decision record for every call, and the intent record before forwarding.

``RecordStage`` is the outermost stage. Whatever ends the call — a denial, an
upstream failure, an unexpected exception — it writes one ``kind: call`` record and
counts the call. An unexpected exception becomes a 500 denial (fail closed). If the
record cannot be written and the agent has not been answered yet, the answer becomes
503 ``audit.unavailable``.

``IntentStage`` sits just before forwarding: the ``kind: intent`` record must be
written before anything reaches the upstream, so a gateway that dies mid-call still
leaves a record saying the call was sent (``callgate audit verify`` lists such
orphaned intents).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from gateway.audit.log import AuditUnavailable, DecisionLog
from gateway.clock import iso
from gateway.errors import ApprovalPending, GatewayError, UpstreamError, UpstreamTimeout
from gateway.metrics import Metrics
from gateway.model import CallContext

if TYPE_CHECKING:
    from gateway.approvals.stream import DecisionStream
    from gateway.pipeline import Next
    from gateway.policy.input import PolicyRef

log = logging.getLogger("callgate.record")


def outcome_of(ctx: CallContext) -> str:
    err = ctx.error
    if err is None:
        if ctx.draft is not None:
            return "draft"
        return "replayed" if ctx.replay else "allowed"
    if isinstance(err, ApprovalPending):
        return "pending"
    if err.code.startswith("output."):  # the gateway refused what the tool answered
        return "denied"
    if isinstance(err, UpstreamError | UpstreamTimeout):
        return "failed"
    if type(err) is GatewayError:
        return "error"
    return "denied"


def argument_summary(ctx: CallContext) -> dict[str, Any]:
    call = ctx.call
    digest = ctx.body_digest
    if digest is None:  # the intent record's, reused by the call record (the body does not change)
        digest = ctx.body_digest = "sha256:" + hashlib.sha256(call.body).hexdigest()
    summary: dict[str, Any] = {"digest": digest, "bytes": len(call.body)}
    if ctx.tool is not None and ctx.tool.config.record_fields and isinstance(call.arguments, dict):
        summary["fields"] = {k: call.arguments[k] for k in ctx.tool.config.record_fields if k in call.arguments}
    return summary


def base_record(ctx: CallContext, kind: str) -> dict[str, Any]:
    agent = ctx.agent
    call = ctx.call
    return {
        "kind": kind,
        "id": call.call_id,
        "time": iso(ctx.wall_time),
        "protocol": call.protocol,
        "agent": agent.id if agent else None,
        "tenant": agent.tenant if agent else None,
        "on_behalf_of": agent.on_behalf_of if agent else None,
        "tool": ctx.tool.name if ctx.tool else call.tool_name,
        "action": call.mcp_method or f"{call.method} {call.path}",
        "args": argument_summary(ctx),
        "intent": call.intent,
        "run_id": call.run_id,
        "idempotency_key": call.idempotency_key,
    }


class RecordStage:
    name = "record"

    def __init__(
        self, decision_log: DecisionLog, metrics: Metrics, policy: PolicyRef, stream: DecisionStream | None = None
    ) -> None:
        self.log = decision_log
        self.metrics = metrics
        self.policy = policy
        self.stream = stream  # the console's live decision stream
        self.total = metrics.stage("total")
        self._calls: dict[tuple[str | None, str, str], Any] = {}  # calls' child per (tool, outcome, code)

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        cancelled: BaseException | None = None
        try:
            await nxt(ctx)
        except GatewayError as e:
            ctx.error = e
        except asyncio.CancelledError as e:  # the agent went away; record, then let it propagate
            cancelled = e
            ctx.error = GatewayError("the agent disconnected", code="client.disconnected")
        except Exception:
            log.exception("unexpected error in call %s", ctx.call.call_id)
            ctx.error = GatewayError("internal error; the call was not completed", code="internal.error")
        elapsed = time.perf_counter() - ctx.started
        ctx.timings["total"] = elapsed
        record = self.build(ctx)
        try:
            await self.log.append(record)
        except AuditUnavailable as e:
            log.error("decision log unavailable; call %s answered 503: %s", ctx.call.call_id, e)
            if ctx.response is None:
                ctx.error = e
        if self.stream is not None:
            self.stream.publish(record)
        self.total.observe(elapsed)
        err = ctx.error
        key = (ctx.tool.name if ctx.tool else None, record["outcome"], err.code if err else "ok")
        counter = self._calls.get(key)
        if counter is None:  # label values are bounded (configured tools, outcomes, error codes)
            if len(self._calls) >= 4096:
                self._calls.clear()
            child = self.metrics.calls.labels(self.metrics.names.tool(key[0]), key[1], key[2])
            counter = self._calls[key] = self.metrics.pending_counter(child)
        counter.inc()
        if cancelled is not None:
            raise cancelled

    def build(self, ctx: CallContext) -> dict[str, Any]:
        rec = base_record(ctx, "call")
        err = ctx.error
        up = ctx.upstream
        rec.update(
            {
                "outcome": outcome_of(ctx),
                "status": err.status if err else (up.status if up else None),
                "code": err.code if err else None,
                "reasons": err.reasons if err else (ctx.decision.reasons if ctx.decision else []),
                "scopes": list(ctx.agent.scopes) if ctx.agent else [],
                "findings": [f.as_dict() for f in ctx.findings],
                "output_findings": [f.as_dict() for f in ctx.output_findings],
                "decision": ctx.decision.as_dict() if ctx.decision else None,
                "output_decision": ctx.output_decision.as_dict() if ctx.output_decision else None,
                "policy_revision": self.policy.revision,
                "usage": ctx.usage,
                "replay": ctx.replay,
                "idempotency": ctx.idempotency,
                "forwarded": ctx.forwarded,
                "upstream": {"status": up.status, "bytes": up.bytes_sent} if up else None,
                "cost": ctx.decision.cost if ctx.decision else None,
                "fail_open": ctx.fail_open,
                "shadow": ctx.shadow,
                "timings_ms": {k: round(v * 1000, 3) for k, v in ctx.timings.items()},
                "run": ctx.run.as_record() if ctx.run is not None else None,
            }
        )
        if ctx.output_findings_dropped:
            rec["output_findings_dropped"] = ctx.output_findings_dropped
        if ctx.call.mode != "live":
            rec["mode"] = ctx.call.mode[:16]  # an invalid one is refused, but recorded bounded
        approval = ctx.approval or ctx.pending_approval
        if approval is not None:  # links the call to its kind: approval records
            rec["approval"] = approval.get("id")
        if ctx.approval is not None:  # input.approval as policy saw it (for `policy replay`)
            rec["approval_input"] = ctx.approval
        elif ctx.call.approval_id is not None:  # a refused retry: the id it presented (up to 64 chars)
            rec["approval"] = ctx.call.approval_id[:64]
        return rec


class IntentStage:
    name = "record.intent"

    def __init__(self, decision_log: DecisionLog, metrics: Metrics) -> None:
        self.log = decision_log
        self.latency = metrics.stage("intent")

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        t0 = time.perf_counter()
        rec = base_record(ctx, "intent")
        rec["decision"] = ctx.decision.as_dict() if ctx.decision else None
        rec["credential"] = ctx.credential
        if ctx.approval is not None:
            rec["approval"] = ctx.approval.get("id")
        try:
            await self.log.append(rec)  # AuditUnavailable ends the call: 503 audit.unavailable
        finally:
            dt = time.perf_counter() - t0
            ctx.timings["intent"] = dt
            self.latency.observe(dt)
        await nxt(ctx)
