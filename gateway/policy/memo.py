"""Parsed decisions remembered per call shape: a repeated call skips building, pruning and
encoding its policy input, the cache lookup and parsing the answer.

The embedded engine's decision cache (``embedded.py``) is keyed by the values at the input
paths the policy reads (``readset``); building that key and parsing the cached answer were
most of a cached decision's cost (~50 of ~80 µs in place, small HTTP call). When every path
read from the input ``build_input`` makes is one of these, the key can be made of the
objects the values come from:

- ``agent...``: the ``Agent`` itself, by identity (the verifier hands the same object to
  every call with a cached token; read-only by contract, ``Verifier.verify``);
- ``tool...``: the tool's ``policy_doc``, by identity (built once at start, read-only);
- ``call.<field>``: that field's value (a string or None);
- ``version``: a constant;
- ``findings``: every field of each finding that the input holds (``Finding.as_dict``), in
  order, the confidence by its ``repr`` (1 and 1.0 encode differently), for at most
  ``MEMO_FINDINGS`` findings (a call with more goes to the engine: entries stay small);
- ``run``, ``approval``: only when there are none (``no_run()``, ``None``); a call with
  either goes to the engine;
- a top-level key ``build_input`` does not make (``output``: the output decision's) reads
  nothing of this input.

Anything else read (``usage``, ``now``, ``call`` whole: the engine caches nothing then
either) and every engine without a read set (OPA) gets no memo. Two calls with equal keys
hand the engine equal pruned inputs, hence — the engine cache's own premise, ``data``
fixed per engine — the same decision. Entries hold the objects they are keyed on, so an
``id`` cannot be reused while its entry lives; at most ``MEMO_ENTRIES`` (emptied when
full); one memo per engine object (a reload starts empty). Each call gets its own copy of
the decision: nothing a call does to it reaches another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.model import CallContext, Decision
from gateway.policy.input import build_input, parse_decision

if TYPE_CHECKING:
    from gateway.policy.engine import PolicyEngine

MEMO_ENTRIES = 1024
MEMO_FINDINGS = 16
# ToolCall fields that are a string or None (what ``call.as_input`` copies as is)
_CALL_FIELDS = frozenset(
    {"protocol", "method", "path", "query", "mcp_method", "intent", "idempotency_key", "run_id", "mode"}
)
_INPUT_KEYS = frozenset({"version", "agent", "tool", "call", "findings", "usage", "approval", "now", "run"})


class _Plan:
    """What a decision input's key is made of, for one engine's read set."""

    __slots__ = ("agent", "call_fields", "findings", "no_approval", "no_run", "tool")

    def __init__(self) -> None:
        self.agent = self.tool = False
        self.call_fields: list[str] = []
        self.findings = self.no_run = self.no_approval = False


def plan_for(paths: tuple[tuple[str, ...], ...] | None) -> _Plan | None:
    """The key plan for a read set, or None when a read value is not covered (see the docstring)."""
    if paths is None:
        return None
    plan = _Plan()
    fields: set[str] = set()
    for path in paths:
        top = path[0] if path else None
        if top is None:
            return None  # input whole
        if top not in _INPUT_KEYS or top == "version":
            continue
        if top == "agent":
            plan.agent = True
        elif top == "tool":
            plan.tool = True
        elif top == "call" and len(path) >= 2 and path[1] in _CALL_FIELDS:
            fields.add(path[1])
        elif top == "findings":
            plan.findings = True
        elif top == "run":
            plan.no_run = True
        elif top == "approval":
            plan.no_approval = True
        else:
            return None
    plan.call_fields = sorted(fields)
    return plan


def _thaw(v: Any) -> Any:
    """A copy of a parsed-JSON value (dicts and lists copied all the way down)."""
    if isinstance(v, dict):
        return {k: _thaw(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_thaw(x) for x in v]
    return v


def _copy(d: Decision) -> Decision:
    return Decision(
        allow=d.allow,
        reasons=_thaw(d.reasons) if d.reasons else [],
        require_approval=d.require_approval,
        credential=d.credential,
        redact=_thaw(d.redact) if d.redact else [],
        cost=d.cost,
        extra=_thaw(d.extra) if d.extra else {},
    )


class DecisionMemo:
    """See the module docstring."""

    def __init__(self, limit: int = MEMO_ENTRIES) -> None:
        self.limit = limit
        self._engine: PolicyEngine | None = None
        self._plan: _Plan | None = None
        self._entries: dict[tuple[Any, ...], tuple[Any, Any, Decision]] = {}
        self.hits = self.misses = 0

    def key(self, engine: PolicyEngine, rule: str, ctx: CallContext) -> tuple[Any, ...] | None:
        """The call's key for ``rule`` on ``engine``, or None when it cannot have one."""
        if engine is not self._engine:
            self._engine = engine
            self._plan = plan_for(getattr(engine, "cache_paths", None))
            self._entries.clear()
        plan = self._plan
        if plan is None:
            return None
        if (plan.no_run and ctx.run is not None) or (plan.no_approval and ctx.approval is not None):
            return None
        findings: tuple[Any, ...] = ()
        if plan.findings and ctx.findings:
            if len(ctx.findings) > MEMO_FINDINGS:
                return None
            findings = tuple(
                (f.detector, f.kind, f.surface, f.severity, repr(f.confidence), tuple(f.owasp), f.path, f.evidence)
                for f in ctx.findings
            )
        agent = ctx.agent if plan.agent else None
        tool = ctx.tool.policy_doc if plan.tool and ctx.tool is not None else None
        if (plan.agent and agent is None) or (plan.tool and tool is None):
            return None  # the engine path raises the wiring error
        call = ctx.call
        return (rule, id(agent), id(tool), findings, *[getattr(call, f) for f in plan.call_fields])

    def get(self, key: tuple[Any, ...], ctx: CallContext) -> Decision | None:
        """A copy of the decision remembered for ``key``, if the objects it was made of are this call's."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        agent, tool, decision = entry
        if (agent is not None and agent is not ctx.agent) or (
            tool is not None and (ctx.tool is None or tool is not ctx.tool.policy_doc)
        ):
            self.misses += 1  # cannot happen while the entry holds them; checked all the same
            return None
        self.hits += 1
        return _copy(decision)

    def put(self, key: tuple[Any, ...], ctx: CallContext, decision: Decision) -> None:
        if len(self._entries) >= self.limit:
            self._entries.clear()
        plan = self._plan
        agent = ctx.agent if plan is not None and plan.agent else None
        tool = ctx.tool.policy_doc if plan is not None and plan.tool and ctx.tool is not None else None
        self._entries[key] = (agent, tool, _copy(decision))


async def decide(engine: PolicyEngine, rule: str, ctx: CallContext, memo: DecisionMemo | None) -> Decision:
    """``parse_decision(engine.evaluate(rule, build_input(ctx)))``, through ``memo`` when the call has a key."""
    key = memo.key(engine, rule, ctx) if memo is not None else None
    if key is not None and memo is not None:
        hit = memo.get(key, ctx)
        if hit is not None:
            return hit
    decision = parse_decision(await engine.evaluate(rule, build_input(ctx)))
    if key is not None and memo is not None:
        memo.put(key, ctx, decision)
    return decision
