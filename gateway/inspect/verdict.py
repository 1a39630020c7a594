"""What the policy pack would do with one argument payload or one tool output.

Used by ``callgate inspect`` and the evaluation set. A record is judged as a call by
an agent holding the tool's scopes (so only what inspection found decides), against
the embedded engine loaded with the given policy paths (the default pack by
default). Tool names not in the given tools are inspected with no tags and no
schema, as a read tool; the pack's ``tool.unknown`` reason is ignored for them.

Verdicts: ``allow``, ``deny``, ``require_approval`` (arguments); ``allow``,
``redact``, ``block`` (outputs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gateway.inspect.runner import InspectOptions, Inspector
from gateway.model import INPUT_VERSION
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.input import classify, parse_decision
from gateway.tools import Tool

DECISION = "data.callgate.decision"
OUTPUT_DECISION = "data.callgate.output_decision"
SURFACES = ("request_arg", "tool_output")
VERDICTS = {"allow": "allow", "approval": "require_approval", "deny": "deny"}


class RecordError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ToolSpec:
    doc: dict[str, Any]
    options: InspectOptions
    known: bool


def _unknown_doc(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "effect": "read",
        "risk": "low",
        "tags": [],
        "upstream": "",
        "credentials": [],
        "default_credential": None,
        "inspect": {"arguments": True, "output": True, "injection_action": "block", "redact": []},
    }


class Judge:
    def __init__(self, policy_paths: Sequence[Path], tools: Mapping[str, Tool] | None = None) -> None:
        self.tools = dict(tools or {})
        data = {"gateway": {"agents": None, "tools": {n: t.policy_doc for n, t in self.tools.items()}, "extra": {}}}
        self.engine = EmbeddedEngine.load(list(policy_paths), data)
        self.inspector = Inspector()

    def spec(self, name: str) -> ToolSpec:
        t = self.tools.get(name)
        if t is not None:
            return ToolSpec(t.policy_doc, t.inspect_options, True)
        return ToolSpec(_unknown_doc(name), InspectOptions(), False)

    def _input(self, spec: ToolSpec, arguments: Any, findings: list[dict[str, Any]]) -> dict[str, Any]:
        name = spec.doc["name"]
        effect = spec.doc["effect"]
        scopes = [f"tool:{name}"] + ([f"tool:{name}:{effect}"] if effect != "read" else [])
        return {
            "version": INPUT_VERSION,
            "agent": {"id": "inspect", "tenant": None, "scopes": scopes, "on_behalf_of": None, "claims": {}},
            "tool": spec.doc,
            "call": {
                "protocol": "http",
                "method": "POST",
                "path": "/",
                "query": "",
                "mcp_method": None,
                "arguments": arguments,
                "intent": None,
                "idempotency_key": None,
                "run_id": None,
            },
            "findings": findings,
            "usage": {},
            "approval": None,
            "now": "1970-01-01T00:00:00Z",
        }

    def judge(self, record: Any) -> dict[str, Any]:
        if not isinstance(record, Mapping):
            raise RecordError("a record must be a JSON object")
        surface, tool, text = record.get("surface"), record.get("tool"), record.get("text")
        if surface not in SURFACES:
            raise RecordError(f"surface must be one of {', '.join(SURFACES)}")
        if not isinstance(tool, str) or not isinstance(text, str):
            raise RecordError("tool and text must be strings")
        spec = self.spec(tool)
        if surface == "request_arg":
            try:
                arguments = json.loads(text)
            except ValueError:
                arguments = text  # not JSON: the body is the text itself, as the HTTP adapter does
            findings = [f.as_dict() for f in self.inspector.arguments(arguments, spec.options)]
            d = parse_decision(self.engine.evaluate_sync(DECISION, self._input(spec, arguments, findings)))
            # a tool not in the configuration is judged as if it were one (its arguments are the question)
            reasons = [r for r in d.reasons if spec.known or r["code"] != "tool.unknown"]
            judged = replace(d, allow=d.allow or not reasons, reasons=reasons)  # less tool.unknown, if that was all
            verdict = VERDICTS[classify(judged)]  # the policy stage's reading of a decision
            return {"verdict": verdict, "findings": findings, "reasons": reasons}
        found, _ = self.inspector.output(text.encode(), spec.options)
        findings = [f.as_dict() for f in found]
        if not findings:
            return {"verdict": "allow", "findings": [], "reasons": [], "redact": []}
        doc = self._input(spec, None, [])
        doc["output"] = {"status": 200, "findings": findings}
        d = self.engine.evaluate_sync(OUTPUT_DECISION, doc)
        verdict = "block" if not d["allow"] else ("redact" if d["redact"] else "allow")
        return {"verdict": verdict, "findings": findings, "reasons": d["reasons"], "redact": d["redact"]}
