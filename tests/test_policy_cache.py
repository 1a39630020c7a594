"""The embedded engine's decision cache: on only when the Rego text provably reads fixed,
per-call-stable input paths, and then never a different decision than without it."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.readset import input_reads, prune

ROOT = Path(__file__).resolve().parent.parent
PACK = (ROOT / "policies" / "callgate.rego").read_text()


def tool_doc(name: str, effect: str) -> dict[str, Any]:
    return {
        "name": name,
        "effect": effect,
        "risk": "low",
        "tags": [],
        "upstream": "http://127.0.0.1:9/",
        "credentials": ["k"],
        "default_credential": "k",
        "inspect": {"injection_action": "block"},
    }


TOOLS = {n: tool_doc(n, e) for n, e in (("echo", "read"), ("notes", "write"), ("pay", "payment"), ("rm", "delete"))}
DATA = {
    "gateway": {
        "agents": {"a1": {"tenants": ["acme"]}, "a2": {"tenants": []}},
        "tools": TOOLS,
        "mcp_servers": {"demo": tool_doc("demo", "read")},
        "extra": {},
    }
}
EXTRA_RULES = """package callgate

import rego.v1

deny contains reason("test.admin_path", "no admin paths", []) if startswith(input.call.path, "/admin")

deny contains reason("test.guest", "guests may not write", []) if {
	input.agent.claims.role == "guest"
	input.tool.effect != "read"
}

deny contains reason("test.method", "no DELETE", []) if input["call"]["method"] == "DELETE"
"""


def load(tmp: Path, *texts: str) -> EmbeddedEngine:
    d = tmp / f"p{len(list(tmp.iterdir()))}"
    d.mkdir()
    for i, text in enumerate(texts):
        (d / f"r{i}.rego").write_text(text)
    return EmbeddedEngine.load([d], DATA)


def random_input(rng: random.Random) -> dict[str, Any]:
    severities = ["info", "low", "medium", "high"]
    findings = [
        {
            "detector": rng.choice(["pii", "ssrf", "injection"]),
            "kind": rng.choice(["email", "loopback_address", "instruction_override"]),
            "surface": "request_arg",
            "severity": rng.choice(severities),
            "confidence": 0.9,
            "owasp": ["LLM01"],
            "path": rng.choice(["/q", "/a/0"]),
            "evidence": rng.choice(["x", "y"]),
        }
        for _ in range(rng.choice([0, 0, 1, 2]))
    ]
    tool = rng.choice([*TOOLS, "unknown"])
    return {
        "version": rng.choice([1, 1, 1, 2]),
        "agent": {
            "id": rng.choice(["a1", "a2", "stranger"]),
            "tenant": rng.choice(["acme", "other", None]),
            "scopes": rng.sample(["tool:echo", "tool:notes:write", "tool:*", "tool:pay:payment", "tool:rm:*"], 2),
            "on_behalf_of": None,
            "claims": {"role": rng.choice(["guest", "staff"]), "iat": rng.randint(0, 3)},
        },
        "tool": TOOLS.get(tool, tool_doc(tool, "read")),
        "call": {
            "protocol": rng.choice(["http", "mcp"]),
            "method": rng.choice(["POST", "DELETE"]),
            "path": rng.choice(["/", "/admin/x", "/items"]),
            "query": "",
            "mcp_method": None,
            "arguments": {"q": rng.choice(["a", "b", float("nan")])},  # not read: never encoded
            "intent": None,
            "idempotency_key": rng.choice([None, "k1"]),
            "run_id": None,
        },
        "findings": findings,
        "usage": {"rate": rng.randint(0, 5)},
        "approval": None,
        "now": f"2026-11-28T21:00:0{rng.randint(0, 9)}Z",
    }


def uncached(engine: EmbeddedEngine) -> EmbeddedEngine:
    """The same engine without its cache: the whole input goes to regorus on every call."""
    engine.cache_paths = None
    return engine


@pytest.mark.parametrize("extra", [False, True])
def test_cached_decisions_equal_uncached_ones_on_random_inputs(tmp_path: Path, extra: bool) -> None:
    texts = (PACK, EXTRA_RULES) if extra else (PACK,)
    cached = load(tmp_path, *texts)
    plain = uncached(load(tmp_path, *texts))
    assert cached.cache_off_reason is None and cached.cache_paths
    rng = random.Random(1234)
    inputs = [random_input(rng) for _ in range(120)]
    for doc in inputs + inputs:  # the second pass is served from the cache
        if doc["call"]["arguments"]["q"] != doc["call"]["arguments"]["q"]:  # NaN: the full input is not JSON
            assert cached.evaluate_sync("data.callgate.decision", doc) is not None
            continue
        for rule in ("data.callgate.decision", "data.callgate.output_decision"):
            assert cached.evaluate_sync(rule, doc) == plain.evaluate_sync(rule, doc), (rule, doc)
    assert cached.cache_hits >= len(inputs)
    if extra:  # the extra rules' paths are in the key
        assert ("call", "path") in cached.cache_paths and ("call", "method") in cached.cache_paths
        assert ("agent",) in cached.cache_paths


def test_the_equivalence_check_catches_a_key_missing_a_path(tmp_path: Path) -> None:
    """Drop one path the rules read from the cache key: the comparison above must fail."""
    cached = load(tmp_path, PACK, EXTRA_RULES)
    plain = uncached(load(tmp_path, PACK, EXTRA_RULES))
    assert cached.cache_paths is not None
    cached.cache_paths = tuple(p for p in cached.cache_paths if p != ("call", "path"))
    rng = random.Random(7)
    mismatches = 0
    for _ in range(200):
        doc = random_input(rng)
        doc["call"]["arguments"] = {}
        if cached.evaluate_sync("data.callgate.decision", doc) != plain.evaluate_sync("data.callgate.decision", doc):
            mismatches += 1
    assert mismatches > 0


UNCACHEABLE = {
    "arguments": 'deny contains "x" if input.call.arguments.q == "x"',
    "arguments via call": "deny contains x if { c := input.call; x := c.arguments.q }",
    "now": 'deny contains "x" if input.now > "2027"',
    "usage": 'deny contains "x" if input.usage.rate.remaining < 1',
    "computed root key": 'deny contains "x" if { some k; input[k] == 1 }',
    "whole input": 'deny contains "x" if { x := input; x.version == 2 }',
    "object.get with a variable": 'deny contains "x" if { k := "now"; object.get(input, k, 0) == 1 }',
    "walk": 'deny contains "x" if { walk(input, [p, v]); v == "x" }',
    "with": 'deny contains "x" if { allow with input as {} }',
    "time": 'deny contains "x" if time.now_ns() > 0',
    "random": 'deny contains "x" if rand.intn("k", 10) == 1',
    "http": 'deny contains "x" if http.send({"method": "get", "url": "http://x"}).status_code == 200',
    "print": 'deny contains "x" if print("hi")',
}


@pytest.mark.parametrize("name", sorted(UNCACHEABLE))
def test_rules_that_read_per_call_or_unknown_input_turn_the_cache_off(name: str) -> None:
    reads, why = input_reads([PACK, "package callgate\nimport rego.v1\n" + UNCACHEABLE[name]])
    assert why is not None and not reads, name


def test_comments_and_strings_do_not_count_as_reads() -> None:
    text = 'package x\n# input.call.arguments and time.now_ns( here\nm := "input.now with print("\n'
    assert input_reads([text]) == (frozenset(), None)


def test_the_default_pack_is_cacheable_and_reads_no_arguments() -> None:
    reads, why = input_reads([PACK])
    assert why is None
    assert ("call", "protocol") in reads and ("agent",) in reads and ("findings",) in reads
    assert not any(p[:1] in (("now",), ("usage",)) or p[:2] == ("call", "arguments") for p in reads)


def test_prune_keeps_only_the_read_paths() -> None:
    doc = {"a": {"b": 1, "c": 2}, "d": [1], "e": "x", "f": 3}
    assert prune(doc, [("a", "b"), ("d",), ("e", "z"), ("g",)]) == {"a": {"b": 1}, "d": [1], "e": "x"}


def test_a_reload_starts_with_an_empty_cache(tmp_path: Path) -> None:
    e1 = load(tmp_path, PACK)
    doc = random_input(random.Random(3))
    doc["call"]["arguments"] = {}
    e1.evaluate_sync("data.callgate.decision", doc)
    e2 = load(tmp_path, PACK)
    e2.evaluate_sync("data.callgate.decision", doc)
    assert e2.cache_misses == 1 and e2.cache_hits == 0


def test_the_real_pack_files_in_a_copy_are_what_is_analysed(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    engine = EmbeddedEngine.load([tmp_path / "policies"], DATA)
    assert engine.cache_off_reason is None


SCOPE_CHECK = """package scopecheck

import rego.v1

import data.callgate

old_effect := input.tool.effect in callgate.granted_effects

# what the deny rules ask when the effect is not granted: is read?
default new_any := false

new_any if callgate.effect_granted

new_any if callgate.read_granted

default old_any := false

old_any if old_effect

old_any if "read" in callgate.granted_effects

check := {"effect": [callgate.effect_granted, old_effect], "read_if_denied": [new_any, old_any]}
"""


def test_the_scope_else_chains_answer_as_the_granted_effects_set(tmp_path: Path) -> None:
    """The decision's short-circuit scope checks agree with the set of granted effects."""
    engine = load(tmp_path, PACK, SCOPE_CHECK)
    rng = random.Random(99)
    names = ["echo", "notes", "pay", "rm", "demo.search", "demo.write", "a:b"]
    effects = ["read", "write", "payment", "delete"]
    pieces = [*names, "*", "demo.*", "e*", "ec?o", "[x]", ""]
    for _ in range(400):
        scopes = [
            ":".join(["tool", rng.choice(pieces), *([rng.choice([*effects, "*", "w*"])] if rng.random() < 0.5 else [])])
            for _ in range(rng.randint(0, 3))
        ]
        doc = {"tool": {"name": rng.choice(names), "effect": rng.choice(effects)}, "agent": {"scopes": scopes}}
        out = engine.evaluate_sync("data.scopecheck.check", doc)
        assert out["effect"][0] == out["effect"][1], (doc, out)
        assert out["read_if_denied"][0] == out["read_if_denied"][1], (doc, out)


def test_the_cache_is_bounded_in_entries_and_size(tmp_path: Path) -> None:
    from gateway.policy import embedded

    engine = load(tmp_path, PACK)
    rng = random.Random(5)
    big = random_input(rng)
    big["call"]["arguments"] = {}
    big["findings"] = [
        {"detector": "pii", "kind": "email", "severity": "low", "owasp": [], "path": "/x", "evidence": "e" * 10_000}
    ]
    engine.evaluate_sync("data.callgate.decision", big)
    assert not engine._cache  # too large to keep
    for i in range(embedded.CACHE_ENTRIES + 10):
        doc = random_input(rng)
        doc["call"]["arguments"] = {}
        doc["agent"]["claims"]["iat"] = i  # a distinct key each time
        engine.evaluate_sync("data.callgate.decision", doc)
        assert len(engine._cache) <= embedded.CACHE_ENTRIES
