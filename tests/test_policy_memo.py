"""The policy stage's decision memo (gateway/policy/memo.py): a remembered decision is
always the one the engine gives for the same call."""

from __future__ import annotations

import copy
import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest

from gateway.config import ToolConfig
from gateway.model import Agent, CallContext, Finding, ToolCall
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.input import build_input, parse_decision
from gateway.policy.memo import MEMO_FINDINGS, DecisionMemo, decide, plan_for
from gateway.tools import Tool, compile_tool
from tests.test_policy_cache import EXTRA_RULES, PACK, load

RULE = "data.callgate.decision"


def _tools() -> dict[str, Tool]:
    return {
        name: compile_tool(name, ToolConfig.model_validate({"upstream": "http://127.0.0.1:9/", "effect": effect}))
        for name, effect in (("echo", "read"), ("notes", "write"), ("pay", "payment"), ("rm", "delete"))
    }


def _agents(rng: random.Random) -> list[Agent]:
    scopes = ["tool:echo", "tool:notes:write", "tool:*", "tool:pay:payment", "tool:rm:*"]
    return [
        Agent(
            id=rng.choice(["a1", "a2", "stranger"]),
            tenant=rng.choice(["acme", "other", None]),
            scopes=tuple(rng.sample(scopes, 2)),
            on_behalf_of=None,
            claims={"role": rng.choice(["guest", "staff"])},
        )
        for _ in range(6)
    ]


_LOW = Finding("pii", "request_arg", "low", ("LLM02",), "/q", "x", kind="email")
_HIGH = Finding("injection", "request_arg", "high", ("LLM01",), "/r", "y", kind="override")
_FINDING_SETS = ((_LOW,), (_HIGH,), (_LOW, _HIGH))


def _ctx(rng: random.Random, agents: list[Agent], tools: dict[str, Tool]) -> CallContext:
    call = ToolCall(
        call_id="c",
        protocol=rng.choice(["http", "mcp"]),
        tool_name="t",
        method=rng.choice(["POST", "DELETE"]),
        path=rng.choice(["/", "/admin/x", "/items"]),
        mcp_method=rng.choice([None, "tools/call"]),
        arguments={"q": rng.random()},
        idempotency_key=rng.choice([None, "k1"]),
    )
    ctx = CallContext(call=call, agent=rng.choice(agents), tool=rng.choice(list(tools.values())))
    if rng.random() < 0.4:
        ctx.findings = list(rng.choice(_FINDING_SETS))
    if rng.random() < 0.1:
        ctx.approval = {"id": "ap1", "approvers": ["bob"], "granted_at": "2026-11-29T00:00:00Z"}
    return ctx


def _reference(engine: EmbeddedEngine, ctx: CallContext) -> dict[str, Any]:
    return parse_decision(engine.evaluate_sync(RULE, build_input(ctx))).as_dict()


@pytest.mark.parametrize("extra", [False, True])
async def test_remembered_decisions_equal_the_engines_on_random_calls(tmp_path: Path, extra: bool) -> None:
    """With the extra rules the policy reads ``call.path``, ``call.method`` and a claim:
    a memo whose key left any of them out would hand one call another's decision."""
    texts = (PACK, EXTRA_RULES) if extra else (PACK,)
    engine, fresh = load(tmp_path, *texts), load(tmp_path, *texts)
    rng = random.Random(7)
    agents, tools = _agents(rng), _tools()
    memo = DecisionMemo()
    with_findings = 0
    for _ in range(1000):
        ctx = _ctx(rng, agents, tools)
        with_findings += bool(ctx.findings) and memo.key(engine, RULE, ctx) in memo._entries
        got = await decide(engine, RULE, ctx, memo)
        assert got.as_dict() == _reference(fresh, ctx)
    assert memo.hits > 150  # the memo answered a good share of them
    assert with_findings > 30  # calls with findings among them
    assert {"path", "method"} <= set(memo._plan.call_fields if memo._plan else ()) or not extra


async def test_calls_differing_only_in_a_read_field_are_not_confused(tmp_path: Path) -> None:
    engine = load(tmp_path, PACK, EXTRA_RULES)
    rng = random.Random(1)
    tools = _tools()
    agent = Agent(id="a1", tenant="acme", scopes=("tool:*",), on_behalf_of=None, claims={"role": "staff"})
    memo = DecisionMemo()

    def ctx(path: str) -> CallContext:
        return CallContext(
            call=ToolCall(call_id="c", protocol="http", tool_name="echo", method="POST", path=path),
            agent=agent,
            tool=tools["echo"],
        )

    assert (await decide(engine, RULE, ctx("/items"), memo)).allow
    denied = await decide(engine, RULE, ctx("/admin/x"), memo)
    assert not denied.allow and denied.reasons[0]["code"] == "test.admin_path"
    assert (await decide(engine, RULE, ctx("/items"), memo)).allow and memo.hits == 1
    del rng


async def test_what_a_call_does_to_its_decision_does_not_reach_the_next(tmp_path: Path) -> None:
    engine = load(tmp_path, PACK, EXTRA_RULES)
    tools = _tools()
    agent = Agent(id="a1", tenant="acme", scopes=("tool:*",), on_behalf_of=None, claims={"role": "staff"})
    memo = DecisionMemo()
    c = CallContext(
        call=ToolCall(call_id="c", protocol="http", tool_name="echo", method="DELETE", path="/x"),
        agent=agent,
        tool=tools["echo"],
    )
    first = await decide(engine, RULE, c, memo)
    want = copy.deepcopy(first.as_dict())
    first.reasons[0]["code"] = "changed"
    first.reasons.append({"code": "more"})
    second = await decide(engine, RULE, c, memo)
    assert memo.hits == 1 and second.as_dict() == want


async def test_no_memo_where_the_key_cannot_cover_the_input(tmp_path: Path) -> None:
    engine = load(tmp_path, PACK)
    tools = _tools()
    agent = Agent(id="a1", tenant="acme", scopes=("tool:*",), on_behalf_of=None, claims={})
    memo = DecisionMemo()
    c = CallContext(call=ToolCall(call_id="c", protocol="http", tool_name="echo", method="POST", path="/"))
    c.agent, c.tool = agent, tools["echo"]
    c.findings = [Finding("pii", "request_arg", "low", ("LLM02",), "/q", "x")] * (MEMO_FINDINGS + 1)
    assert memo.key(engine, RULE, c) is None  # findings are read, and more than a key holds
    c.findings = []
    assert memo.key(engine, RULE, c) is not None
    # read sets the key cannot cover; an engine without one (OPA, or the cache off) gets no memo
    assert plan_for(None) is None
    assert plan_for((("usage", "rate"),)) is None
    assert plan_for((("call", "arguments"),)) is None
    assert plan_for(((),)) is None
    plan = plan_for((("agent", "claims", "role"), ("output",), ("call", "path"), ("version",)))
    assert plan is not None and plan.agent and not plan.tool and plan.call_fields == ["path"]
    uncached = load(tmp_path, PACK)
    uncached.cache_paths = None
    assert memo.key(uncached, RULE, c) is None


async def test_the_memo_is_bounded_and_emptied_by_a_new_engine(tmp_path: Path) -> None:
    engine = load(tmp_path, PACK)
    tools = _tools()
    memo = DecisionMemo(limit=8)
    for i in range(50):
        agent = Agent(id=f"a{i}", tenant="acme", scopes=("tool:*",), on_behalf_of=None, claims={})
        c = CallContext(
            call=ToolCall(call_id="c", protocol="http", tool_name="echo", method="POST", path="/"),
            agent=agent,
            tool=tools["echo"],
        )
        await decide(engine, RULE, c, memo)
        assert len(memo._entries) <= 8
    reloaded: EmbeddedEngine = EmbeddedEngine.load([tmp_path / "p0"], {})
    assert memo.key(reloaded, RULE, c) is not None
    assert memo._entries == {}  # the reload's engine starts with no remembered decisions


async def test_calls_differing_in_any_field_of_a_finding_are_not_confused(tmp_path: Path) -> None:
    """The key holds every field a finding brings into the input: change any one of them (the
    confidence 1 for 1.0 too, which encodes otherwise) and the call has another key; the same
    findings again are the same key, and the decision is the engine's."""
    engine, fresh = load(tmp_path, PACK), load(tmp_path, PACK)
    tools = _tools()
    agent = Agent(id="a1", tenant="acme", scopes=("tool:*",), on_behalf_of=None, claims={})
    memo = DecisionMemo()
    base = Finding("pii", "request_arg", "low", ("LLM02",), "/q", "x", 0.5, "email")
    other: dict[str, Any] = {"detector": "secrets", "surface": "tool_output", "severity": "high", "owasp": ("LLM01",),
                             "path": "/r", "evidence": "y", "confidence": 0.6, "kind": "phone"}  # fmt: skip
    assert set(other) == set(base.as_dict())  # a field the policy input gains must be in the key too
    changed = [dataclasses.replace(base, **{name: value}) for name, value in other.items()]
    one, one_float = (Finding("pii", "request_arg", "low", ("LLM02",), "/q", "x", c, "email") for c in (1, 1.0))

    def ctx(findings: list[Finding]) -> CallContext:
        c = CallContext(
            call=ToolCall(call_id="c", protocol="http", tool_name="echo", method="POST", path="/"),
            agent=agent,
            tool=tools["echo"],
        )
        c.findings = findings
        return c

    key = memo.key(engine, RULE, ctx([base]))
    assert key is not None and memo.key(engine, RULE, ctx([copy.copy(base)])) == key
    keys = {memo.key(engine, RULE, ctx([f])) for f in [*changed, one, one_float]}
    assert len(keys) == len(changed) + 2 and key not in keys
    assert memo.key(engine, RULE, ctx([base, changed[0]])) != memo.key(engine, RULE, ctx([changed[0], base]))
    for findings in ([base], [changed[2]], [base], [changed[2]], [changed[3]]):
        c = ctx(findings)
        assert (await decide(engine, RULE, c, memo)).as_dict() == _reference(fresh, c)
    assert memo.hits == 2
