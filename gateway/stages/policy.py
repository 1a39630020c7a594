"""Policy: ask Rego for a decision on the whole call.

The input document follows the versioned contract in ARCHITECTURE.md (``input.version``).
A decision that is missing, malformed, or that names a credential the tool does not
list is a denial: the gateway never falls back to allow. Engine failures answer 503
``policy.unavailable``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gateway.clock import iso_now
from gateway.config import Settings
from gateway.errors import ApprovalRefused, Forbidden, Reason, Unavailable
from gateway.metrics import Metrics
from gateway.model import CallContext, Decision
from gateway.policy.engine import PolicyError
from gateway.policy.input import (
    APPROVAL_REQUIRED,
    PolicyRef,
    build_input,
    classify,
    gateway_data,
    hold_reasons,
    parse_decision,
    record_shadow,
)
from gateway.policy.memo import DecisionMemo, decide

__all__ = ["PolicyRef", "PolicyStage", "build_input", "gateway_data", "iso_now", "parse_decision"]

if TYPE_CHECKING:
    from gateway.pipeline import Next


class PolicyStage:
    name = "policy"

    def __init__(self, policy: PolicyRef, metrics: Metrics, settings: Settings) -> None:
        self.policy = policy
        self.metrics = metrics
        self.latency = metrics.stage("policy")
        self.enforce = policy.enforce
        self.memo = DecisionMemo()  # repeated calls skip input, key and parse (gateway/policy/memo.py)
        for check in ("policy", "output_policy"):
            metrics.shadow_mode.labels(check).set(0 if self.enforce else 1)
            metrics.fail_open.labels(check).set(0 if self.enforce else 1)

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        t0 = time.perf_counter()
        try:
            decision = await decide(self.policy.engine, self.policy.decision_rule, ctx, self.memo)
        except PolicyError as e:
            self.metrics.policy_errors.inc()
            err = Unavailable(f"policy could not be evaluated: {e}", code="policy.unavailable")
            if self.enforce:
                raise err from e
            # Shadow mode: the check could not run and is not enforced — let it through, visibly.
            record_shadow(ctx, self.metrics, "policy", err)
            ctx.fail_open.append("policy")
            self.metrics.fail_open_calls.labels("policy").inc()
            decision = None
        finally:
            dt = time.perf_counter() - t0
            ctx.timings["policy"] = dt
            self.latency.observe(dt)
        if decision is not None:
            ctx.decision = decision
            denial = self._denial(decision, approved=ctx.approval is not None)
            if denial is not None:
                if self.enforce:
                    raise denial
                record_shadow(ctx, self.metrics, "policy", denial)
            elif decision.require_approval and not self.enforce:
                # Shadow mode holds nothing: record the hold that enforcing would have made.
                held = Forbidden("this call needs approval", code=APPROVAL_REQUIRED, reasons=hold_reasons(decision))
                record_shadow(ctx, self.metrics, "policy", held)
        tool = ctx.need_tool()
        name = (decision.credential if decision is not None else None) or tool.default_credential
        if name is not None and name not in tool.credentials:
            raise Forbidden(
                f"the decision chose credential {name!r}, which tool {tool.name!r} does not list",
                code="credential.not_allowed",
            )
        ctx.credential = name
        await nxt(ctx)

    @staticmethod
    def _denial(decision: Decision, approved: bool = False) -> Forbidden | None:
        """The refusal a decision makes, if any. Approval alone is no refusal: the approval
        stage holds the call (202). With a verified approval (``input.approval``) that policy
        still finds wanting, the call is refused ``approval.insufficient``."""
        verdict = classify(decision)  # a hard denial outranks a request for approval
        if verdict == "deny":
            reasons = decision.reasons or [Reason.of("policy.denied", "denied by policy")]
            return Forbidden("denied by policy", code="policy.denied", reasons=reasons)
        if verdict == "approval" and approved:
            reasons = decision.reasons or [Reason.of("approval.insufficient", "policy needs more approval")]
            return ApprovalRefused(
                "the approval does not satisfy policy for this call", code="approval.insufficient", reasons=reasons
            )
        return None
