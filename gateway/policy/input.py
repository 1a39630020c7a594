"""The policy input and the decision, in one place for every caller.

The policy stage, the output decision, ``tools/list`` filtering (MCP), ``callgate
inspect``'s verdict, ``policy replay`` and hot reload all build ``input`` and read
decisions with these functions, so none of them can drift from the others:

- ``PolicyRef``: the live engine (hot reload swaps it) and shadow mode;
- ``gateway_data``: ``data.gateway`` — tools *and* MCP servers;
- ``build_input``: the versioned ``input`` document for one call;
- ``parse_decision``: validate a decision document (anything off: ``PolicyError``);
- ``classify``: ``allow`` | ``approval`` | ``deny`` — a hard denial outranks a request
  for approval (approving cannot fix a missing scope);
- ``hold_reasons``: the reasons a call held for approval shows (202, shadow record).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from gateway.clock import iso_now
from gateway.model import INPUT_VERSION, CallContext, Decision
from gateway.policy.engine import PolicyEngine, PolicyError
from gateway.runs import no_run

if TYPE_CHECKING:
    from gateway.config import Settings
    from gateway.errors import GatewayError
    from gateway.metrics import Metrics
    from gateway.tools import Tool


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


def build_input(ctx: CallContext) -> dict[str, Any]:
    return {
        "version": INPUT_VERSION,
        "agent": ctx.need_agent().as_input(),
        "tool": ctx.need_tool().policy_doc,
        "call": ctx.call.as_input(),
        "findings": [f.as_dict() for f in ctx.findings],
        "usage": ctx.usage,
        "approval": ctx.approval,
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


Verdict = Literal["allow", "approval", "deny"]


def classify(decision: Decision) -> Verdict:
    """What a decision means: a hard denial outranks a request for approval."""
    hard = [r for r in decision.reasons if r.get("code") != APPROVAL_REQUIRED]
    if not decision.allow and (hard or not decision.require_approval):
        return "deny"
    if decision.require_approval:
        return "approval"
    return "allow"


APPROVAL_REQUIRED = "approval.required"


def hold_reasons(decision: Decision | None) -> list[dict[str, Any]]:
    """The reasons shown for a call held for approval: the decision's, or ``approval.required``."""
    if decision is not None and decision.reasons:
        return decision.reasons
    return [{"code": APPROVAL_REQUIRED, "message": "this call needs a human approval"}]


def record_shadow(ctx: CallContext, metrics: Metrics, check: str, err: GatewayError) -> None:
    """Shadow mode: put the refusal ``check`` would have made on the record and count it; nothing is refused."""
    ctx.shadow.append({"check": check, "status": err.status, "code": err.code, "reasons": err.reasons})
    metrics.shadow_denials.labels(check, err.code).inc()
