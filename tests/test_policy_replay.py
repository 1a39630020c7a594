"""``callgate policy eval`` and ``callgate policy replay`` on a decision log written by a real gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.cli import main
from gateway.policy.replay import input_from_record
from tests.conftest import POLICIES, GatewayFactory, Upstream, settings_dict

STRICT = """package callgate

import rego.v1

deny contains reason("args.forbidden", "q may not be 'secret'", []) if input.call.arguments.q == "secret"
"""

FROZEN = """package callgate

import rego.v1

deny contains reason("tool.frozen", "writer is frozen", []) if input.tool.name == "writer"
"""


def rego_dir(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / f"{name}.rego").write_text(text)
    return d


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> Any:
    assert main(argv) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


async def test_replay_reports_changed_decisions(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = rego_dir(tmp_path, "strict", STRICT)
    gw = await make_gateway(policy={"paths": [str(POLICIES), str(strict)]})
    calls = [
        ("echo", {"q": "hello"}, ["tool:echo"], 200),
        ("echo", {"q": "hello again"}, ["tool:echo"], 200),
        ("echo", {"q": "secret"}, ["tool:echo"], 403),
        ("echo", {"q": "no scope"}, [], 403),
        ("writer", {"v": 1}, ["tool:writer:write"], 200),
    ]
    for tool, args, scopes, status in calls:
        r = await gw.agent.post(f"/tools/{tool}/x", json=args, headers=gw.auth(scopes=scopes))
        assert r.status == status, await r.text()
    r = await gw.agent.post("/tools/echo/x", json={}, headers={"Authorization": "Bearer not-a-jwt"})
    assert r.status == 401
    recs = gw.records()
    assert len(recs) == 6
    secret_id = next(x["id"] for x in recs if x["args"].get("fields") == {"q": "secret"})
    writer_id = next(x["id"] for x in recs if x["tool"] == "writer")

    cfg = tmp_path / "callgate.yaml"
    cfg.write_text(yaml.safe_dump(settings_dict(tmp_path, upstream.url)))
    log = str(gw.settings.decision_log.path)
    base = ["policy", "replay", "--log", log, "--config", str(cfg), "--json"]

    # The policy that wrote the log decides every record the same way.
    same = run_json(capsys, [*base, "--policies", str(POLICIES), "--policies", str(strict)])
    assert same["records"] == 6 and same["replayed"] == 5 and same["unchanged"] == 5
    assert same["skipped"] == {"no policy decision recorded": 1}
    assert same["allow_to_deny"]["count"] == 0 and same["deny_to_allow"]["count"] == 0

    # Dropping the strict rule allows the 'secret' call; freezing writer denies the writer call.
    frozen = rego_dir(tmp_path, "frozen", FROZEN)
    out = run_json(capsys, [*base, "--policies", str(POLICIES), "--policies", str(frozen)])
    assert out["replayed"] == 5 and out["unchanged"] == 3 and out["errors"] == 0
    assert out["deny_to_allow"]["count"] == 1
    assert out["deny_to_allow"]["by_reason"] == {"args.forbidden": 1}
    assert out["deny_to_allow"]["examples"][0]["id"] == secret_id
    assert out["allow_to_deny"]["count"] == 1
    assert out["allow_to_deny"]["by_reason"] == {"tool.frozen": 1}
    assert out["allow_to_deny"]["examples"][0] == {
        "id": writer_id,
        "tool": "writer",
        "agent": "demo",
        "before": ["(none)"],
        "after": ["tool.frozen"],
    }

    # The text report says the same.
    assert main(["policy", "replay", "--log", log, "--config", str(cfg), "--policies", str(POLICIES)]) == 0
    text = capsys.readouterr().out
    assert "deny -> allow: 1" in text and "args.forbidden: 1" in text and secret_id in text
    assert "allow -> deny: 0" in text


def test_replay_reconstructs_the_input(tmp_path: Path) -> None:
    rec = {
        "kind": "call",
        "id": "c1",
        "time": "2026-11-23T20:00:00.000000Z",
        "protocol": "http",
        "agent": "demo",
        "tenant": "acme",
        "on_behalf_of": "u1",
        "tool": "echo",
        "action": "POST /a/b",
        "args": {"digest": "sha256:00", "bytes": 9, "fields": {"q": "x"}},
        "intent": "look",
        "run_id": "r1",
        "idempotency_key": "k1",
        "scopes": ["tool:echo"],
        "findings": [{"detector": "d"}],
        "usage": {},
        "decision": {"allow": True, "reasons": []},
    }
    doc = input_from_record(rec, {"echo": {"name": "echo", "effect": "read"}})
    assert isinstance(doc, dict)
    assert doc["agent"] == {"id": "demo", "tenant": "acme", "scopes": ["tool:echo"], "on_behalf_of": "u1", "claims": {}}
    assert doc["call"]["method"] == "POST" and doc["call"]["path"] == "/a/b"
    assert doc["call"]["arguments"] == {"q": "x"} and doc["call"]["query"] == ""
    assert (doc["call"]["intent"], doc["call"]["run_id"], doc["call"]["idempotency_key"]) == ("look", "r1", "k1")
    assert doc["findings"] == [{"detector": "d"}] and doc["now"] == rec["time"]
    assert doc["tool"] == {"name": "echo", "effect": "read"}
    assert input_from_record(rec, {}) == "tool not in the configuration"
    assert input_from_record({**rec, "decision": None}, {"echo": {}}) == "no policy decision recorded"


def call_input(scopes: list[str], agent: str = "demo") -> dict[str, Any]:
    return {
        "version": 1,
        "agent": {"id": agent, "tenant": "acme", "scopes": scopes, "on_behalf_of": None, "claims": {}},
        "tool": {
            "name": "echo",
            "effect": "read",
            "risk": "low",
            "tags": [],
            "upstream": "http://x/echo",
            "credentials": ["echo-key"],
            "default_credential": "echo-key",
        },
        "call": {
            "protocol": "http",
            "method": "GET",
            "path": "/x",
            "query": "",
            "mcp_method": None,
            "arguments": None,
            "intent": None,
            "idempotency_key": None,
            "run_id": None,
        },
        "findings": [],
        "usage": {},
        "approval": None,
        "now": "2026-11-23T20:00:00Z",
    }


def test_policy_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "call.json"
    f.write_text(json.dumps(call_input(["tool:echo"])))
    assert main(["policy", "eval", "--input", str(f), "--policies", str(POLICIES)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("decision: allow  (policy sha256:")
    assert "credential: echo-key" in out

    f.write_text(json.dumps(call_input([])))
    assert main(["policy", "eval", "--input", str(f), "--policies", str(POLICIES)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("decision: deny") and "- scope.missing: no scope grants tool 'echo'" in out

    # With a configuration, data.gateway lists the agents: an unlisted agent is unknown.
    cfg = tmp_path / "callgate.yaml"
    cfg.write_text(yaml.safe_dump(settings_dict(tmp_path, "http://127.0.0.1:1")))
    f.write_text(json.dumps(call_input(["tool:echo"], agent="ghost")))
    decision = run_json(
        capsys, ["policy", "eval", "--input", str(f), "--config", str(cfg), "--policies", str(POLICIES), "--json"], 1
    )
    assert decision["allow"] is False and "agent.unknown" in {r["code"] for r in decision["reasons"]}

    f.write_text("[1]")
    assert main(["policy", "eval", "--input", str(f)]) == 2
    assert "must be a JSON object" in capsys.readouterr().err


async def test_replay_of_an_approved_call_sees_its_approval(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    """A retry ran because of input.approval; replay gives policy the same approval, so nothing changes."""
    from tests.conftest import ADMIN_TOKEN

    gw = await make_gateway()
    pay = gw.auth(scopes=["tool:transfer:payment"])
    r = await gw.agent.post("/tools/transfer/x", json={"a": 1}, headers=pay)
    aid = (await r.json())["id"]
    r = await gw.admin.post(
        f"/admin/approvals/{aid}/approve",
        json={},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "al"},
    )
    assert r.status == 200
    r = await gw.agent.post("/tools/transfer/x", json={"a": 1}, headers={**pay, "X-Callgate-Approval": aid})
    assert r.status == 200
    ran = gw.records()[-1]
    assert ran["approval_input"]["id"] == aid and ran["approval_input"]["approvers"] == ["al"]
    cfg = tmp_path / "callgate.yaml"
    cfg.write_text(yaml.safe_dump(settings_dict(tmp_path, upstream.url)))
    log = str(gw.settings.decision_log.path)
    out = run_json(
        capsys, ["policy", "replay", "--log", log, "--config", str(cfg), "--json", "--policies", str(POLICIES)]
    )
    assert out["replayed"] == 2 and out["unchanged"] == 2
