"""The default policy pack (policies/): its own Rego tests, and decisions checked against the input contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.config import ToolConfig
from gateway.model import INPUT_VERSION, Agent, ToolCall
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.testing import format_results, run_policy_tests
from gateway.tools import compile_tool

POLICIES = Path(__file__).resolve().parent.parent / "policies"
DECISION = "data.callgate.decision"
OUTPUT_DECISION = "data.callgate.output_decision"
DECISION_KEYS = {"allow", "reasons", "require_approval", "approvals_required", "credential", "redact", "cost"}


def tool_doc(name: str, effect: str) -> dict[str, Any]:
    """``input.tool`` exactly as the gateway builds it from configuration."""
    cfg = ToolConfig.model_validate({"upstream": "http://127.0.0.1:9000/api", "effect": effect, "tags": ["demo"]})
    return compile_tool(name, cfg).policy_doc


TOOLS = {
    "echo": tool_doc("echo", "read"),
    "notes": tool_doc("notes", "write"),
    "pay": tool_doc("pay", "payment"),
    "demo.search": tool_doc("demo.search", "read"),
}


def gateway_data(agents: dict[str, Any] | None) -> dict[str, Any]:
    return {"gateway": {"agents": agents, "tools": TOOLS, "extra": {}}}


def policy_input(
    tool: str, scopes: list[str], *, agent: str = "agent-1", tenant: str | None = "acme"
) -> dict[str, Any]:
    call = ToolCall(
        call_id="c1",
        protocol="mcp",
        tool_name=tool,
        method="POST",
        path="/mcp",
        mcp_method="tools/call",
        arguments={"query": "x" * 2048},
        intent="look something up",
    )
    return {
        "version": INPUT_VERSION,
        "agent": Agent(agent, tenant, tuple(scopes), None, {"sub": agent}).as_input(),
        "tool": TOOLS.get(tool, tool_doc(tool, "read")),
        "call": call.as_input(),
        "findings": [],
        "usage": {},
        "approval": None,
        "now": "2026-11-23T20:00:00Z",
    }


@pytest.fixture
def engine() -> EmbeddedEngine:
    return EmbeddedEngine.load([POLICIES], gateway_data({"agent-1": {"tenants": ["acme"]}}))


def assert_decision_shape(d: Any) -> None:
    assert isinstance(d, dict)
    assert set(d) == DECISION_KEYS
    assert isinstance(d["allow"], bool)
    assert isinstance(d["require_approval"], bool)
    assert d["credential"] is None or isinstance(d["credential"], str)
    assert d["redact"] == []
    assert d["cost"] is None
    assert isinstance(d["reasons"], list)
    for r in d["reasons"]:
        assert set(r) == {"code", "message", "owasp"}
        assert isinstance(r["code"], str)
        assert "." in r["code"]
        assert isinstance(r["message"], str)
        assert r["message"]
        assert isinstance(r["owasp"], list)
    assert d["reasons"] == sorted(d["reasons"], key=lambda r: (r["code"], r["message"]))


def test_pack_rego_tests_pass() -> None:
    results = run_policy_tests([POLICIES])
    assert len(results) > 0
    failed = [r for r in results if r.outcome != "pass"]
    assert not failed, format_results(results, verbose=False)


def test_pack_loads_without_its_tests(engine: EmbeddedEngine) -> None:
    assert all(not s.rel.endswith("_test.rego") for s in engine.sources)
    assert any(s.rel == "callgate.rego" for s in engine.sources)


async def test_allowed_decision(engine: EmbeddedEngine) -> None:
    d = await engine.evaluate(DECISION, policy_input("echo", ["tool:echo"]))
    assert_decision_shape(d)
    assert d["allow"] is True
    assert d["reasons"] == []
    assert d["require_approval"] is False
    assert d["credential"] is None  # the tool has no credentials configured


async def test_mcp_tool_glob_scope(engine: EmbeddedEngine) -> None:
    d = await engine.evaluate(DECISION, policy_input("demo.search", ["tool:demo.*"]))
    assert d["allow"] is True


async def test_denied_decision_lists_sorted_reasons(engine: EmbeddedEngine) -> None:
    inp = policy_input("notes", ["tool:notes"], agent="mallory", tenant=None)
    d = await engine.evaluate(DECISION, inp)
    assert_decision_shape(d)
    assert d["allow"] is False
    assert [r["code"] for r in d["reasons"]] == ["agent.unknown", "scope.effect_missing"]
    effect = d["reasons"][1]
    assert effect["owasp"] == ["LLM06", "ASI02"]
    assert "write" in effect["message"]
    assert await engine.evaluate(DECISION, inp) == d  # reproducible


async def test_scope_missing_reason(engine: EmbeddedEngine) -> None:
    d = await engine.evaluate(DECISION, policy_input("echo", ["openid", "tool:notes:write"]))
    assert d["reasons"] == [
        {
            "code": "scope.missing",
            "message": "no scope grants tool 'echo' (needs scope tool:echo)",
            "owasp": ["LLM06", "ASI03"],
        }
    ]


async def test_payment_needs_approval(engine: EmbeddedEngine) -> None:
    d = await engine.evaluate(DECISION, policy_input("pay", ["tool:pay:payment"]))
    assert_decision_shape(d)
    assert (d["allow"], d["require_approval"]) == (False, True)
    assert [r["code"] for r in d["reasons"]] == ["approval.required"]


async def test_tenant_and_unlisted_agents() -> None:
    listed = EmbeddedEngine.load([POLICIES], gateway_data({"agent-1": {"tenants": ["acme"]}}))
    d = await listed.evaluate(DECISION, policy_input("echo", ["tool:echo"], tenant="globex"))
    assert [r["code"] for r in d["reasons"]] == ["agent.tenant_not_allowed"]

    open_ = EmbeddedEngine.load([POLICIES], gateway_data(None))
    d = await open_.evaluate(DECISION, policy_input("echo", ["tool:echo"], agent="anyone", tenant="globex"))
    assert d["allow"] is True


async def test_unknown_tool(engine: EmbeddedEngine) -> None:
    d = await engine.evaluate(DECISION, policy_input("nope", ["tool:*"]))
    assert [r["code"] for r in d["reasons"]] == ["tool.unknown"]


async def test_malformed_input_is_denied_not_undefined(engine: EmbeddedEngine) -> None:
    d = await engine.evaluate(DECISION, {})
    assert_decision_shape(d)
    assert d["allow"] is False


async def test_output_decision(engine: EmbeddedEngine) -> None:
    inp = policy_input("echo", ["tool:echo"]) | {"output": {"status": 200, "findings": []}}
    assert await engine.evaluate(OUTPUT_DECISION, inp) == {"allow": True, "reasons": [], "redact": []}
