"""Approval: check a retry's approval before policy; hold or consume after admission.

``ApprovalCheckStage`` (just before policy) validates ``X-Callgate-Mode`` and, when
the call carries ``X-Callgate-Approval`` (MCP: ``_meta.callgate.approval``), verifies
that approval — granted, unexpired, unused, this agent's, bound to exactly this call
— and puts ``{id, approvers, granted_at}`` into ``input.approval`` for policy.

``ApprovalGateStage`` (right after admission) either

* consumes the verified approval (granted → used, atomically: one winner among any
  number of concurrent retries on any number of replicas) and runs the call, putting
  the approval back to granted if the call fails before anything reached the
  upstream; or
* when the decision says ``require_approval`` (and policy denied nothing else, which
  the policy stage has already refused), stores a pending approval and answers
  ``202 approval.pending`` — in draft mode it passes the pending approval on to the
  draft answer instead.

Why after admission: a retry refused by a rate limit or quota, or answered from an
``Idempotency-Key`` replay, must not burn the approval, and a flood of held calls
is rate limited like any other call. Shadow mode (``policy.enforce: false``) holds
nothing: the would-be hold is recorded as a shadow denial by the policy stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.approvals.service import ApprovalService, approvals_required, pending_error
from gateway.errors import BadRequest
from gateway.model import CallContext
from gateway.stages.admission import may_have_executed

if TYPE_CHECKING:
    from gateway.pipeline import Next
    from gateway.policy.input import PolicyRef

MODES = frozenset({"live", "draft"})


class ApprovalCheckStage:
    name = "approval.check"

    def __init__(self, service: ApprovalService) -> None:
        self.service = service

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        if ctx.call.mode not in MODES:
            raise BadRequest(
                f"X-Callgate-Mode must be 'draft' or 'live', not {ctx.call.mode[:32]!r}", code="request.invalid_mode"
            )
        if ctx.call.approval_id is not None:
            ctx.approval = await self.service.check(ctx)
        await nxt(ctx)


class ApprovalGateStage:
    name = "approval.gate"

    def __init__(self, service: ApprovalService, policy: PolicyRef) -> None:
        self.service = service
        self.policy = policy

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        draft = ctx.call.mode == "draft"
        if ctx.approval is not None:
            if draft:  # a draft shows what the approved call would send; it uses nothing
                await nxt(ctx)
                return
            await self.service.consume(ctx)
            try:
                await nxt(ctx)
            except BaseException as e:
                if not may_have_executed(ctx, e):
                    await self.service.release(ctx)
                raise
            return
        decision = ctx.decision
        if decision is not None and decision.require_approval and self.policy.enforce:
            a = await self.service.request(ctx, approvals_required(ctx))
            ctx.pending_approval = self.service.view(a)
            if not draft:
                raise pending_error(ctx, a)
        await nxt(ctx)
