"""Approvals as the gateway uses them: bind, request, check a retry, consume, decide, expire.

**Binding.** An approval is bound to ``{tenant, agent, on_behalf_of, tool, protocol,
action (METHOD /path, or the MCP method), args_digest, policy_revision,
idempotency_key}``. ``args_digest`` is SHA-256 over the canonical JSON of the parsed
arguments (sorted keys, no spaces; the raw body when it is not JSON) plus the query
string: reordering JSON keys is the same call, changing a value is not. A retry
that differs in any field is ``403 approval.mismatch`` naming the fields, and the
approval stays granted for the matching retry. A retry by another agent or tenant
sees ``404 approval.unknown``: approvals are not enumerable across agents.

**Execute once.** ``check`` (before policy) verifies the approval and fills
``input.approval``; ``consume`` (right after admission, before credentials and
forwarding) moves it granted → used atomically. Consuming after admission means a
retry refused by the kill switch, by policy, a rate limit, a quota or an
``Idempotency-Key`` replay does not burn the approval. If the call then fails before
anything was sent upstream — or the upstream provably never got it (connection
refused) — ``release`` puts it back to granted (used → granted only for the call
that consumed it), so the person's decision is not lost to a gateway fault.

**Records.** Every transition is a ``kind: approval`` record in the decision-log
chain: ``event`` requested | approved (one vote of several) | granted | denied |
expired | used | released, with ``approval`` (the id) and ``call_id`` (the call
that asked) — ``used_by`` names the call that ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway.audit.log import AuditUnavailable, DecisionLog
from gateway.clock import iso
from gateway.config import ApprovalsConfig
from gateway.errors import (
    ApprovalRefused,
    BadRequest,
    Conflict,
    GatewayError,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from gateway.metrics import Metrics
from gateway.model import CallContext
from gateway.policy.input import hold_reasons
from gateway.stages.record import argument_summary
from gateway.store.approvals import Approval, ApprovalStore, new_approval_id
from gateway.store.base import StoreUnavailable

if TYPE_CHECKING:
    from gateway.approvals.notify import Notifier
    from gateway.approvals.stream import DecisionStream
    from gateway.tools import Tool

log = logging.getLogger("callgate.approvals")
APPROVAL_ID = re.compile(r"^apr_[0-9a-f]{24}$")
BINDING_FIELDS = (
    "tenant",
    "agent",
    "on_behalf_of",
    "tool",
    "protocol",
    "action",
    "args_digest",
    "policy_revision",
    "idempotency_key",
)
MAX_FINDINGS_SHOWN = 20
MAX_REASON = 500
SWEEP_S = 1.0
CLOSE_TRIES = 5


def args_digest(ctx: CallContext) -> str:
    call = ctx.call
    h = hashlib.sha256(call.canonical_body())
    h.update(b"\n?" + call.query.encode())
    return "sha256:" + h.hexdigest()


def approvals_required(ctx: CallContext) -> int:
    """``decision.approvals_required`` (default 1); anything but an integer 1..10 is a policy error."""
    raw = ctx.decision.extra.get("approvals_required", 1) if ctx.decision else 1
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 10:
        raise Unavailable(
            "the policy decision has a malformed approvals_required (an integer 1..10)", code="policy.unavailable"
        )
    return raw


def _store_error(e: StoreUnavailable) -> Unavailable:
    return Unavailable("the state store did not answer", code="store.unavailable")


class ApprovalService:
    def __init__(
        self,
        cfg: ApprovalsConfig,
        store: ApprovalStore,
        decision_log: DecisionLog,
        metrics: Metrics,
        notifier: Notifier,
        stream: DecisionStream,
        revision: Callable[[], str],
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.log = decision_log
        self.metrics = metrics
        self.notifier = notifier
        self.stream = stream
        self._revision = revision  # a callable returning the live policy revision
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # ------------------------------------------------------------ lifetime

    def start(self) -> None:
        self._task = asyncio.create_task(self._sweeper(), name="approvals-expire")

    async def close(self) -> None:
        """Stop the sweeper. Bounded: on Python 3.11 a cancellation that meets an expiring
        ``asyncio.timeout`` can be swallowed, so the loop also checks ``_stopping`` and the
        cancellation is repeated until the task ends (at most ``CLOSE_TRIES`` times)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        for _ in range(CLOSE_TRIES):
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=1.0)
            if done:
                break
        else:
            log.error("the approval expiry sweeper did not stop")
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("the approval expiry sweeper failed: %r", task.exception())

    async def _sweeper(self) -> None:
        while not self._stopping:
            await asyncio.sleep(SWEEP_S)
            try:
                await self.sweep_once()
            except StoreUnavailable as e:
                log.warning("approval expiry sweep: %s", e)
            except AuditUnavailable:
                log.error("approval expiry sweep: the decision log cannot be written")

    async def sweep_once(self) -> list[Approval]:
        """Expire what is due (one replica wins each), record it; refresh the pending gauge."""
        expired = await self.store.expire_due(100)
        for a in expired:
            self.metrics.approval_outcomes.labels("expired").inc()
            await self.record("expired", a)
        self.metrics.approvals_pending.set(await self.store.pending_count())
        return expired

    # ------------------------------------------------------------ records

    async def record(self, event: str, a: Approval, **fields: Any) -> None:
        b = a.binding
        rec: dict[str, Any] = {
            "kind": "approval",
            "id": uuid.uuid4().hex,
            "time": iso(time.time()),
            "event": event,
            "approval": a.id,
            "call_id": a.summary.get("call_id"),
            "state": a.state,
            "agent": b.get("agent"),
            "tenant": b.get("tenant"),
            "on_behalf_of": b.get("on_behalf_of"),
            "tool": b.get("tool"),
            "action": b.get("action"),
            "args_digest": b.get("args_digest"),
            "policy_revision": b.get("policy_revision"),
            "idempotency_key": b.get("idempotency_key"),
            "expires_at": iso(a.expires_at),
            "approvals_required": a.required,
            "approvers": [x.name for x in a.approvers],
            **fields,
        }
        await self.log.append(rec)
        self.stream.publish(rec)

    # ------------------------------------------------------------ binding

    def binding(self, ctx: CallContext) -> dict[str, Any]:
        agent = ctx.need_agent()
        tool = ctx.need_tool()
        call = ctx.call
        return {
            "tenant": agent.tenant,
            "agent": agent.id,
            "on_behalf_of": agent.on_behalf_of,
            "tool": tool.name,
            "protocol": call.protocol,
            "action": call.mcp_method or f"{call.method} {call.path}",
            "args_digest": args_digest(ctx),
            "policy_revision": self._revision(),
            "idempotency_key": call.idempotency_key,
        }

    def ttl_for(self, tool: Tool) -> float:
        return tool.config.approval_ttl_s or self.cfg.ttl_s

    # ------------------------------------------------------------ request

    async def request(self, ctx: CallContext, required: int) -> Approval:
        """Store a pending approval for this call, record it, notify; 429 when too many wait."""
        tool = ctx.need_tool()
        now = time.time()
        decision = ctx.decision
        a = Approval(
            id=new_approval_id(),
            state="pending",
            created_at=now,
            expires_at=now + self.ttl_for(tool),
            required=required,
            binding=self.binding(ctx),
            summary={
                "call_id": ctx.call.call_id,
                "intent": ctx.call.intent,
                "run_id": ctx.call.run_id,
                "mode": ctx.call.mode,
                "args": argument_summary(ctx),  # as the decision log records them: digest + record_fields
                "findings": [f.as_dict() for f in ctx.findings[:MAX_FINDINGS_SHOWN]],
                "reasons": decision.reasons if decision else [],
                "effect": tool.effect,
                "risk": tool.config.risk,
            },
        )
        try:
            created = await self.store.create(a, self.cfg.max_pending, self.cfg.retention_s)
        except StoreUnavailable as e:
            self.metrics.store_errors.labels("approval").inc()
            raise _store_error(e) from e
        if not created:
            self.metrics.approval_outcomes.labels("refused").inc()
            raise TooManyRequests(
                f"{self.cfg.max_pending} approvals are already waiting; try later", code="approval.too_many"
            )
        await self.record("requested", a)  # AuditUnavailable ends the call: 503 audit.unavailable
        self.metrics.approval_outcomes.labels("requested").inc()
        self.metrics.approvals_pending.inc()
        b = a.binding
        who = {k: b.get(k) for k in ("agent", "tenant", "on_behalf_of")}
        why = {"intent": ctx.call.intent, "reasons": a.summary["reasons"]}
        self.notifier.submit({"event": "approval.requested", "approval": {**self.view(a), **who, **why}})
        return a

    # ------------------------------------------------------------ retry

    async def load(self, approval_id: str) -> Approval | None:
        try:
            return await self.store.get(approval_id)
        except StoreUnavailable as e:
            self.metrics.store_errors.labels("approval").inc()
            raise _store_error(e) from e

    async def check(self, ctx: CallContext) -> dict[str, Any]:
        """Verify a retry's approval; return ``input.approval``. Raises the refusal otherwise."""
        agent = ctx.need_agent()
        aid = ctx.call.approval_id or ""
        if not APPROVAL_ID.match(aid):
            raise BadRequest(
                "X-Callgate-Approval must be an approval id (apr_ + 24 hex digits)", code="approval.invalid"
            )
        a = await self.load(aid)
        if a is None or a.agent != agent.id or a.binding.get("tenant") != agent.tenant:
            raise NotFound(f"no approval {aid} for this agent", code="approval.unknown")
        replayable = a.state == "used" and a.binding.get("idempotency_key") is not None
        if a.state == "pending":
            raise Conflict(
                f"approval {aid} is still waiting for a decision ({len(a.approvers)} of {a.required})",
                code="approval.not_granted",
                extra={"approval": self.view(a)},
            )
        if a.state == "denied":
            why = a.denial.reason if a.denial else ""
            raise ApprovalRefused(
                f"approval {aid} was denied: {why}", code="approval.denied", extra={"approval": self.view(a)}
            )
        if a.state == "expired":
            raise ApprovalRefused(f"approval {aid} expired", code="approval.expired", extra={"approval": self.view(a)})
        if a.state == "used" and not replayable:
            raise Conflict(f"approval {aid} was already used", code="approval.used")
        differ = [k for k, v in self.binding(ctx).items() if a.binding.get(k) != v]
        if differ:
            self.metrics.approval_outcomes.labels("mismatch").inc()
            raise ApprovalRefused(
                f"this call is not the one approved in {aid}: {', '.join(differ)} differ",
                code="approval.mismatch",
                extra={"differs": differ},
            )
        return {
            "id": a.id,
            "approvers": [x.name for x in a.approvers],
            "granted_at": iso(a.decided_at) if a.decided_at else None,
            "approvals_required": a.required,
            "state": a.state,
        }

    async def consume(self, ctx: CallContext) -> None:
        aid = ctx.call.approval_id or ""
        try:
            result, a = await self.store.consume(aid, ctx.call.call_id)
        except StoreUnavailable as e:
            self.metrics.store_errors.labels("approval").inc()
            raise _store_error(e) from e
        if result == "ok" and a is not None:
            self.metrics.approval_outcomes.labels("used").inc()
            try:
                await self.record("used", a, used_by=ctx.call.call_id)
            except AuditUnavailable:
                await self.release(ctx)
                raise
            return
        if result == "expired":
            raise ApprovalRefused(f"approval {aid} expired", code="approval.expired")
        raise Conflict(f"approval {aid} was already used", code="approval.used")

    async def release(self, ctx: CallContext) -> None:
        """Undo ``consume`` of this call: used → granted, when nothing reached the upstream."""
        aid = ctx.call.approval_id or ""
        try:
            a = await self.store.release(aid, ctx.call.call_id)
        except StoreUnavailable as e:
            log.error("approval %s stays used after call %s failed: %s", aid, ctx.call.call_id, e)
            return
        if a is not None:
            with contextlib.suppress(AuditUnavailable):
                await self.record("released", a, released_by=ctx.call.call_id)

    # ------------------------------------------------------------ decide

    async def decide(self, approval_id: str, approver: str, approve: bool, reason: str, operator: str) -> Approval:
        if not APPROVAL_ID.match(approval_id):
            raise NotFound(f"no approval {approval_id!r}", code="approval.unknown")
        if not self.log.writable:
            raise AuditUnavailable("the decision log is not writable; no decision taken")
        try:
            result, a = await self.store.decide(approval_id, approver, approve, reason[:MAX_REASON])
        except StoreUnavailable as e:
            raise _store_error(e) from e
        if result == "unknown" or a is None:
            raise NotFound(f"no approval {approval_id}", code="approval.unknown")
        if result == "self":
            self.metrics.approval_outcomes.labels("refused").inc()
            raise ApprovalRefused(
                f"{approver} cannot decide approval {approval_id}: it is their own call (separation of duties)",
                code="approval.self",
            )
        if result == "duplicate":
            raise Conflict(f"{approver} has already approved {approval_id}", code="approval.duplicate")
        if result == "expired":
            raise Conflict(f"approval {approval_id} expired", code="approval.expired")
        if result == "not_pending":
            raise Conflict(f"approval {approval_id} is {a.state}, not pending", code="approval.not_pending")
        fields = {"operator": operator, "approver": approver, "reason": reason[:MAX_REASON]}
        if a.state == "pending":
            await self._record_decision("approved", a, fields)
            return a
        outcome = "granted" if a.state == "granted" else "denied"
        self.metrics.approval_outcomes.labels(outcome).inc()
        self.metrics.approvals_pending.dec()
        if a.decided_at is not None:
            self.metrics.approval_decision_seconds.labels(outcome).observe(max(0.0, a.decided_at - a.created_at))
        await self._record_decision(outcome, a, fields)
        return a

    async def _record_decision(self, event: str, a: Approval, fields: dict[str, Any]) -> None:
        try:
            await self.record(event, a, **fields)
        except AuditUnavailable as e:
            # the decision stands in the store; say so, not only that the log failed
            raise AuditUnavailable(
                e.detail, answer=f"approval {a.id} is {a.state}, but the decision log cannot be written"
            ) from e

    async def wait_decision(self, approval_id: str, wait_s: float) -> Approval | None:
        """Poll until the approval leaves pending or ``wait_s`` passes (bounded: at most 4 polls a second)."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            await asyncio.sleep(min(0.25, max(0.0, deadline - time.monotonic())))
            a = await self.load(approval_id)
            if a is None or a.state != "pending":
                return a
        return None

    # ------------------------------------------------------------ views

    @staticmethod
    def view(a: Approval, *, full: bool = False) -> dict[str, Any]:
        """The agent's view (``full``: the operators' view, with binding and summary)."""
        out: dict[str, Any] = {
            "id": a.id,
            "state": a.state,
            "created_at": iso(a.created_at),
            "expires_at": iso(a.expires_at),
            "approvals_required": a.required,
            "approvers": [x.name for x in a.approvers],
            "tool": a.binding.get("tool"),
            "action": a.binding.get("action"),
            "call_id": a.summary.get("call_id"),
            "location": f"/approvals/{a.id}",
        }
        if a.denial is not None:
            out["denial"] = {"by": a.denial.name, "reason": a.denial.reason}
        if a.decided_at is not None:
            out["decided_at"] = iso(a.decided_at)
        if a.used_by is not None:
            out["used_by"] = a.used_by
        if full:
            out["binding"] = a.binding
            out["summary"] = a.summary
            out["approvers"] = [{"name": x.name, "at": iso(x.at), "reason": x.reason} for x in a.approvers]
        return out


def pending_error(ctx: CallContext, a: Approval) -> GatewayError:
    from gateway.errors import ApprovalPending

    view = ApprovalService.view(a)
    retry = (
        f"A person must approve this call (approval {a.id}, {a.required} approver(s)) before "
        f"{view['expires_at']}. Then repeat exactly the same call with the header "
        f"'X-Callgate-Approval: {a.id}' (MCP: params._meta.callgate.approval = \"{a.id}\"). "
        f"Poll GET /approvals/{a.id} for its state."
    )
    reasons = hold_reasons(ctx.decision)
    return ApprovalPending(
        f"this call awaits approval {a.id}; once a person approves it, repeat it unchanged with "
        f"X-Callgate-Approval: {a.id} (MCP: params._meta.callgate.approval) before {view['expires_at']}",
        approval=view,
        retry=retry,
        reasons=reasons,
        headers={"Location": f"/approvals/{a.id}"},
        extra={"id": a.id, "expires_at": view["expires_at"], "approval": view, "retry": retry},
    )
