"""Policy: ask Rego for a decision on the whole call.

The input document follows the versioned contract in ARCHITECTURE.md (``input.version``).
A decision that is missing, malformed, or that names a credential the tool does not
list is a denial: the gateway never falls back to allow. Engine failures answer 503
``policy.unavailable``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gateway.config import Settings
from gateway.errors import Forbidden, GatewayError, Reason, Unavailable
from gateway.metrics import Metrics
from gateway.model import INPUT_VERSION, CallContext, Decision
from gateway.policy.engine import PolicyEngine, PolicyError
from gateway.runs import no_run
from gateway.tools import Tool

if TYPE_CHECKING:
    from gateway.pipeline import Next


class PolicyRef:
    """The live policy engine; hot reload swaps ``engine`` in one assignment."""

    def __init__(self, engine: PolicyEngine, decision_rule: str, output_rule: str, enforce: bool = True) -> None:
        self.engine = engine
        self.decision_rule = decision_rule
        self.output_rule = output_rule
        self.enforce = enforce  # false: shadow mode for the input and the output decision

    @property
    def revision(self) -> str:
        return self.engine.revision


def gateway_data(
    settings: Settings, tools: Mapping[str, Tool], mcp_servers: Mapping[str, Tool] | None = None
) -> dict[str, Any]:
    """``data.gateway``: what policy knows of the configuration."""
    return {
        "gateway": {
            "agents": (
                {name: {"tenants": list(a.tenants)} for name, a in settings.agents.items()}
                if settings.agents is not None
                else None
            ),
            "tools": {name: t.policy_doc for name, t in tools.items()},
            "mcp_servers": {name: t.policy_doc for name, t in (mcp_servers or {}).items()},
            "extra": settings.policy.data,
        }
    }


_NOW: list[Any] = [-1, ""]  # the last whole second and its text: formatted once per second


def iso_now() -> str:
    whole = int(time.time())
    if whole != _NOW[0]:
        _NOW[1] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(whole))
        _NOW[0] = whole
    return str(_NOW[1])


def build_input(ctx: CallContext) -> dict[str, Any]:
    return {
        "version": INPUT_VERSION,
        "agent": ctx.need_agent().as_input(),
        "tool": ctx.need_tool().policy_doc,
        "call": ctx.call.as_input(),
        "findings": [f.as_dict() for f in ctx.findings],
        "usage": ctx.usage,
        "approval": None,
        "now": iso_now(),
        "run": ctx.run.as_input() if ctx.run is not None else no_run(),
    }


def parse_decision(raw: Any) -> Decision:
    """Validate the decision document; anything off raises ``PolicyError`` (fail closed)."""
    if not isinstance(raw, Mapping):
        raise PolicyError("the policy produced no decision document")
    allow = raw.get("allow")
    if not isinstance(allow, bool):
        raise PolicyError("decision.allow must be a boolean")
    reasons = raw.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, Mapping) and "code" in r for r in reasons):
        raise PolicyError("decision.reasons must be a list of objects with a code")
    credential = raw.get("credential")
    if credential is not None and not isinstance(credential, str):
        raise PolicyError("decision.credential must be a string or null")
    cost = raw.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0):
        raise PolicyError("decision.cost must be a non-negative number or null")
    redact = raw.get("redact") or []
    if not isinstance(redact, list):
        raise PolicyError("decision.redact must be a list")
    return Decision(
        allow=allow,
        reasons=[dict(r) for r in reasons],
        require_approval=bool(raw.get("require_approval", False)),
        credential=credential,
        redact=redact,
        cost=float(cost) if cost is not None else None,
        extra={k: v for k, v in raw.items() if k not in _KNOWN},
    )


_KNOWN = frozenset({"allow", "reasons", "require_approval", "credential", "redact", "cost"})


class PolicyStage:
    name = "policy"

    def __init__(self, policy: PolicyRef, metrics: Metrics, settings: Settings) -> None:
        self.policy = policy
        self.metrics = metrics
        self.latency = metrics.stage_latency.labels("policy")
        self.enforce = policy.enforce
        for check in ("policy", "output_policy"):
            metrics.shadow_mode.labels(check).set(0 if self.enforce else 1)
            metrics.fail_open.labels(check).set(0 if self.enforce else 1)

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        t0 = time.perf_counter()
        try:
            raw = await self.policy.engine.evaluate(self.policy.decision_rule, build_input(ctx))
            decision = parse_decision(raw)
        except PolicyError as e:
            self.metrics.policy_errors.inc()
            err = Unavailable(f"policy could not be evaluated: {e}", code="policy.unavailable")
            if self.enforce:
                raise err from e
            # Shadow mode: the check could not run and is not enforced — let it through, visibly.
            self._shadow(ctx, err)
            ctx.fail_open.append("policy")
            self.metrics.fail_open_calls.labels("policy").inc()
            decision = None
        finally:
            dt = time.perf_counter() - t0
            ctx.timings["policy"] = dt
            self.latency.observe(dt)
        if decision is not None:
            ctx.decision = decision
            denial = self._denial(decision)
            if denial is not None:
                if self.enforce:
                    raise denial
                self._shadow(ctx, denial)
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
    def _denial(decision: Decision) -> Forbidden | None:
        # A hard denial outranks a request for approval: approving cannot fix a missing scope.
        hard = [r for r in decision.reasons if r.get("code") != "approval.required"]
        if not decision.allow and (hard or not decision.require_approval):
            reasons = decision.reasons or [Reason.of("policy.denied", "denied by policy")]
            return Forbidden("denied by policy", code="policy.denied", reasons=reasons)
        if decision.require_approval:
            reasons = decision.reasons or [Reason.of("approval.required", "this call needs a human approval")]
            return Forbidden("this call needs approval", code="approval.required", reasons=reasons)
        return None

    def _shadow(self, ctx: CallContext, err: GatewayError) -> None:
        ctx.shadow.append({"check": "policy", "status": err.status, "code": err.code, "reasons": err.reasons})
        self.metrics.shadow_denials.labels("policy", err.code).inc()
