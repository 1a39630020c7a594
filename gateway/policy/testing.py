"""``callgate policy test [DIR]``: run Rego unit tests the way ``opa test`` does.

Every ``.rego`` file (tests included) and ``data.json`` under the paths is loaded
into one embedded engine. Tests are the rules named ``test_*`` in ``*_test.rego``
files (``todo_test_*`` are reported as skipped); they are found by reading each
file's ``package`` line and the rule heads that start a line, so ``test_x if {``,
``test_x {``, ``test_x contains ...`` and ``test_x := ...`` all count, and a rule
defined several times in one package (OPA's incremental definitions) is one test.

After the tests, ``smoke_decisions`` evaluates ``data.callgate.decision`` (and
``output_decision``) on sample inputs the gateway really sends — an HTTP call, an MCP
``tools/call`` and the per-tool check that filters an MCP ``tools/list`` — and
reports a rule that raises as an ERROR: at run time such an error denies every call it
touches and silently empties ``tools/list``.

Each test evaluates on its own with no ``input``: ``true`` passes; ``false``, any
other value, or undefined fails; an evaluation error is an error. ``run`` keeps only
tests whose full name (``data.pkg.test_x``) matches the regular expression, like
``opa test --run``. Load errors raise ``PolicyLoadError``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.engine import PolicyError

Outcome = Literal["pass", "fail", "error", "skip"]

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][A-Za-z0-9_.]*)", re.MULTILINE)
_TEST_RULE = re.compile(r"^((?:todo_)?test_[A-Za-z0-9_]*)(?=\s*(?:if\b|\{|contains\b|:=|=|\[|#|$))", re.MULTILINE)
_LABELS: dict[Outcome, str] = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIPPED"}
_RULE_LINE = "-" * 80


@dataclass(slots=True)
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    file: str
    outcome: Outcome
    message: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class _Case:
    name: str
    file: str
    todo: bool


def discover_tests(text: str) -> tuple[str | None, list[str]]:
    """The package and the test rule names (first occurrence order, no repeats) of one file."""
    pkg = _PACKAGE.search(text)
    names: list[str] = []
    for m in _TEST_RULE.finditer(text):
        if m[1] not in names:
            names.append(m[1])
    return (pkg[1] if pkg else None), names


def _cases(engine: EmbeddedEngine, run: re.Pattern[str] | None) -> list[_Case]:
    cases: dict[str, _Case] = {}
    for src in engine.sources:
        if src.kind != "rego" or not src.path.endswith("_test.rego"):
            continue
        package, names = discover_tests(src.text)
        if package is None:
            continue
        for rule in names:
            name = f"data.{package}.{rule}"
            if name in cases or (run is not None and not run.search(name)):
                continue
            cases[name] = _Case(name, src.path, rule.startswith("todo_"))
    return list(cases.values())


def _run_one(engine: EmbeddedEngine, case: _Case) -> TestResult:
    if case.todo:
        return TestResult(case.name, case.file, "skip", "", 0.0)
    start = time.perf_counter()
    outcome: Outcome
    try:
        value: Any = engine.evaluate_sync(case.name, None)
    except PolicyError as e:
        outcome, message = "error", str(e)
    else:
        if value is True:
            outcome, message = "pass", ""
        elif value is None:
            outcome, message = "fail", "undefined"
        else:
            outcome, message = "fail", f"result: {json.dumps(value)}"
    duration = time.perf_counter() - start
    prints = engine.take_prints()
    if prints:
        message = "\n".join([message, *prints]) if message else "\n".join(prints)
    return TestResult(case.name, case.file, outcome, message, duration)


def run_policy_tests(
    paths: Sequence[Path], data: Mapping[str, Any] | None = None, *, run: str | None = None
) -> list[TestResult]:
    """Load policies, tests and data under ``paths`` and run every test; see the module docstring."""
    try:
        pattern = re.compile(run) if run is not None else None
    except re.error as e:
        raise ValueError(f"invalid --run pattern {run!r}: {e}") from e
    engine = EmbeddedEngine.load(paths, data or {}, include_tests=True, gather_prints=True)
    return [_run_one(engine, case) for case in _cases(engine, pattern)]


SMOKE_FILE = "(sample inputs the gateway sends)"


def sample_inputs() -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, rule, input)`` for ``smoke_decisions``: shaped like ``build_input`` and the
    ``tools/list`` check in the MCP adapter."""
    agent: dict[str, Any] = {
        "id": "sample-agent",
        "tenant": "sample-tenant",
        "scopes": ["tool:*"],
        "on_behalf_of": None,
        "claims": {},
    }
    tool: dict[str, Any] = {
        "name": "sample",
        "effect": "read",
        "risk": "low",
        "tags": [],
        "upstream": "http://127.0.0.1:1/",
        "credentials": [],
        "default_credential": None,
        "inspect": {"arguments": True, "output": True, "injection_action": "block"},
    }
    mcp_tool = {**tool, "name": "server.sample", "mcp_server": "server", "mcp_tool": "sample"}

    def doc(t: dict[str, Any], protocol: str, method: str, mcp_method: str | None, args: Any) -> dict[str, Any]:
        call = {
            "protocol": protocol,
            "method": method,
            "path": "/" if protocol == "http" else "",
            "query": "",
            "mcp_method": mcp_method,
            "arguments": args,
            "intent": None,
            "idempotency_key": None,
            "run_id": None,
        }
        return {
            "version": 1,
            "agent": agent,
            "tool": t,
            "call": call,
            "findings": [],
            "usage": {},
            "approval": None,
            "now": "2026-01-01T00:00:00Z",
        }

    finding = {
        "detector": "secrets",
        "kind": "aws_access_key",
        "surface": "tool_output",
        "severity": "high",
        "confidence": 1.0,
        "owasp": ["LLM02"],
        "path": "",
        "evidence": "AKIA…",
    }
    output = doc(tool, "http", "GET", None, None) | {"output": {"status": 200, "findings": [finding]}}
    return [
        ("HTTP call", "data.callgate.decision", doc(tool, "http", "POST", None, {"q": "x"})),
        ("MCP tools/call", "data.callgate.decision", doc(mcp_tool, "mcp", "POST", "tools/call", {"q": "x"})),
        ("MCP tools/list check", "data.callgate.decision", doc(mcp_tool, "mcp", "POST", "tools/list", None)),
        ("output with a finding", "data.callgate.output_decision", output),
    ]


def smoke_decisions(paths: Sequence[Path], data: Mapping[str, Any] | None = None) -> list[TestResult]:
    """One ERROR result per sample input on which a decision rule raises (see the module docstring)."""
    engine = EmbeddedEngine.load(paths, data or {}, include_tests=True, gather_prints=True)
    results: list[TestResult] = []
    for label, rule, input_doc in sample_inputs():
        start = time.perf_counter()
        try:
            engine.evaluate_sync(rule, input_doc)
        except PolicyError as e:
            engine.take_prints()
            results.append(
                TestResult(f"{rule} on a sample {label}", SMOKE_FILE, "error", str(e), time.perf_counter() - start)
            )
    return results


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f}µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds:.2f}s"


def format_results(results: list[TestResult], *, verbose: bool) -> str:
    """``opa test``-style report: the failures (every test when ``verbose``), then the counts."""
    if not results:
        return "no tests found"
    shown = [r for r in results if verbose or r.outcome in ("fail", "error")]
    lines: list[str] = []
    file: str | None = None
    for r in shown:
        if r.file != file:
            if file is not None:
                lines.append("")
            file = r.file
            lines.append(f"{r.file}:")
        timing = f" ({_duration(r.duration_s)})" if r.outcome != "skip" else ""
        lines.append(f"{r.name}: {_LABELS[r.outcome]}{timing}")
        lines.extend(f"  {line}" for line in r.message.splitlines())
    if lines:
        lines.append(_RULE_LINE)
    total = len(results)
    for outcome, label in _LABELS.items():
        n = sum(1 for r in results if r.outcome == outcome)
        if n:
            lines.append(f"{label}: {n}/{total}")
    return "\n".join(lines)
