"""``callgate policy eval`` and ``callgate policy replay``: decide offline with a policy set.

``eval`` decides one policy input document (the ``input`` contract in ARCHITECTURE.md).

``replay`` re-decides recorded ``kind: call`` records under a candidate policy set
and reports which decisions change. A record does not hold the whole call, so the
input is *reconstructed*:

==================  ==========================================================
``agent``           ``id``, ``tenant``, ``on_behalf_of``, ``scopes`` from the record;
                    ``claims`` is ``{}`` (claims are not recorded)
``tool``            the tool's document from the configuration given now (not as
                    it was at the time); a record of a tool no longer configured
                    is skipped
``call``            ``protocol``, ``intent``, ``run_id``, ``idempotency_key`` from the
                    record; ``method`` and ``path`` from ``action`` (``"GET /x"``)
                    for HTTP, ``mcp_method`` from ``action`` otherwise;
                    ``query`` is ``""`` (not recorded); ``arguments`` is the
                    recorded ``args.fields`` (only the tool's ``record_fields``)
                    or ``{}``
``findings``        as recorded; ``usage`` as recorded; ``approval`` the
                    recorded ``approval_input`` (a retry of an approved call), else null
``now``             the record's ``time``
``run``             ``id`` and ``tainted`` from the record's ``run`` (as policy saw
                    them); ``sources``, ``findings``, ``destinations`` and
                    ``argument_destinations`` are empty (only counts are recorded)
``data.gateway``    built from the configuration given now
==================  ==========================================================

Limits: a policy reading arguments outside ``record_fields``, the query string,
JWT claims, or the time of day at microsecond precision sees different values
than the original decision did, so such a change may be an artefact of replay.
Records without a policy decision (denied before policy: identity, kill switch,
unknown tool, policy errors) are not re-decided and are counted as skipped.
"Allowed" means ``allow`` and no ``require_approval``, as the policy stage treats
it; the credential check after policy is not replayed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.model import INPUT_VERSION
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.engine import PolicyError
from gateway.policy.input import classify, parse_decision
from gateway.runs import no_run


def allowed(decision: Mapping[str, Any]) -> bool:
    """Does this decision (as ``decide`` returns it) let the call run without a person?"""
    return classify(parse_decision(decision)) == "allow"


def codes(decision: Mapping[str, Any]) -> list[str]:
    reasons = decision.get("reasons") or []
    return [str(r.get("code")) for r in reasons if isinstance(r, Mapping)] or ["(none)"]


def decide(engine: EmbeddedEngine, rule: str, input_doc: Mapping[str, Any]) -> dict[str, Any]:
    """The validated decision as a dict (``allow``, ``reasons``, ...); raises ``PolicyError``."""
    d = parse_decision(engine.evaluate_sync(rule, input_doc))
    out = d.as_dict()
    out.update(d.extra)
    return out


def standalone_data(input_doc: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``data.gateway`` without a configuration: the input's tool is the only tool, no agent registry."""
    tool = input_doc.get("tool")
    tools = {tool["name"]: dict(tool)} if isinstance(tool, Mapping) and isinstance(tool.get("name"), str) else {}
    return {"gateway": {"agents": None, "tools": tools, "extra": dict(extra or {})}}


class ToolDocs(Mapping[str, Mapping[str, Any]]):
    """``input.tool`` documents by name: the configured HTTP tools, plus MCP tools
    ``{server}.{name}`` and servers ``{server}`` resolved like the gateway does."""

    def __init__(self, tools: Mapping[str, Mapping[str, Any]], mcp: Any = None) -> None:
        self.tools = dict(tools)
        self.mcp = mcp  # gateway.adapters.mcp.McpTools-like: resolve(name) -> Tool | None

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        doc = self.tools.get(name)
        if doc is None and self.mcp is not None:
            tool = self.mcp.resolve(name)
            doc = tool.policy_doc if tool is not None else None
        if doc is None:
            raise KeyError(name)
        return doc

    def __iter__(self) -> Any:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)


def input_from_record(rec: Mapping[str, Any], tools: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | str:
    """The reconstructed policy input, or why the record cannot be replayed."""
    if rec.get("decision") is None:
        return "no policy decision recorded"
    tool = tools.get(str(rec.get("tool")))
    if tool is None:
        return "tool not in the configuration"
    protocol = rec.get("protocol") or "http"
    action = str(rec.get("action") or "")
    method, path, mcp_method = "", "", None
    if protocol == "http" and " " in action:
        method, path = action.split(" ", 1)
    else:
        mcp_method = action or None
    args = rec.get("args") if isinstance(rec.get("args"), Mapping) else {}
    fields = args.get("fields") if isinstance(args, Mapping) else None
    return {
        "version": INPUT_VERSION,
        "agent": {
            "id": rec.get("agent"),
            "tenant": rec.get("tenant"),
            "scopes": list(rec.get("scopes") or []),
            "on_behalf_of": rec.get("on_behalf_of"),
            "claims": {},
        },
        "tool": dict(tool),
        "call": {
            "protocol": protocol,
            "method": method,
            "path": path,
            "query": "",
            "mcp_method": mcp_method,
            "arguments": dict(fields) if isinstance(fields, Mapping) else {},
            "intent": rec.get("intent"),
            "idempotency_key": rec.get("idempotency_key"),
            "run_id": rec.get("run_id"),
            "mode": rec.get("mode", "live"),
        },
        "findings": list(rec.get("findings") or []),
        "usage": rec.get("usage") or {},
        "approval": rec.get("approval_input"),
        "now": rec.get("time"),
        "run": _run_of(rec.get("run")),
    }


def _run_of(run: Any) -> dict[str, Any]:
    """``input.run`` from the record's summary: id and taint as policy saw them; the lists are not recorded."""
    out = no_run()
    if isinstance(run, Mapping):
        out["id"] = run.get("id")
        out["tainted"] = run.get("tainted") is True
    return out


@dataclass
class Change:
    id: str
    tool: str
    agent: str
    before: list[str]
    after: list[str]


@dataclass
class ReplayReport:
    records: int = 0
    replayed: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)
    allow_to_deny: list[Change] = field(default_factory=list)
    deny_to_allow: list[Change] = field(default_factory=list)

    def by_code(self, changes: Iterable[Change], *, new: bool) -> Counter[str]:
        out: Counter[str] = Counter()
        for c in changes:
            out.update(set(c.after if new else c.before))
        return out

    def as_dict(self, examples: int = 5) -> dict[str, Any]:
        def ex(cs: list[Change]) -> list[dict[str, Any]]:
            return [c.__dict__ for c in cs[:examples]]

        return {
            "records": self.records,
            "replayed": self.replayed,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
            "errors": len(self.errors),
            "allow_to_deny": {
                "count": len(self.allow_to_deny),
                "by_reason": dict(self.by_code(self.allow_to_deny, new=True)),
                "examples": ex(self.allow_to_deny),
            },
            "deny_to_allow": {
                "count": len(self.deny_to_allow),
                "by_reason": dict(self.by_code(self.deny_to_allow, new=False)),
                "examples": ex(self.deny_to_allow),
            },
        }


def read_call_records(path: Path) -> Iterable[dict[str, Any]]:
    """``kind: call`` records of a decision log; a line that is not JSON raises ``ValueError`` naming it."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not a JSON record: {e}") from e
            if isinstance(rec, dict) and rec.get("kind") == "call":
                yield rec


def replay(
    records: Iterable[Mapping[str, Any]],
    engine: EmbeddedEngine,
    rule: str,
    tools: Mapping[str, Mapping[str, Any]],
) -> ReplayReport:
    report = ReplayReport()
    for rec in records:
        report.records += 1
        doc = input_from_record(rec, tools)
        if isinstance(doc, str):
            report.skipped[doc] += 1
            continue
        before = rec["decision"]
        try:
            after = decide(engine, rule, doc)
            was, now = allowed(before), allowed(after)  # a recorded decision that does not parse: an error too
        except PolicyError as e:
            report.errors.append((str(rec.get("id")), str(e)))
            continue
        report.replayed += 1
        change = Change(str(rec.get("id")), str(rec.get("tool")), str(rec.get("agent")), codes(before), codes(after))
        if was and not now:
            report.allow_to_deny.append(change)
        elif now and not was:
            report.deny_to_allow.append(change)
        else:
            report.unchanged += 1
    return report


def format_decision(decision: Mapping[str, Any], revision: str) -> str:
    verdict = {"allow": "allow", "approval": "approval required", "deny": "deny"}[classify(parse_decision(decision))]
    lines = [f"decision: {verdict}  (policy {revision})"]
    for r in decision.get("reasons") or []:
        msg = r.get("message", "") if isinstance(r, Mapping) else ""
        lines.append(f"  - {r.get('code') if isinstance(r, Mapping) else r}: {msg}".rstrip(": "))
    if decision.get("credential"):
        lines.append(f"  credential: {decision['credential']}")
    return "\n".join(lines)


def format_report(report: ReplayReport, examples: int = 5) -> str:
    lines = [
        f"{report.records} call records, {report.replayed} re-decided, {report.unchanged} unchanged, "
        f"{sum(report.skipped.values())} skipped, {len(report.errors)} errors",
    ]
    for why, n in sorted(report.skipped.items()):
        lines.append(f"  skipped {n}: {why}")
    for rid, err in report.errors[:examples]:
        lines.append(f"  error {rid}: {err}")
    for title, changes, new in (
        ("allow -> deny", report.allow_to_deny, True),
        ("deny -> allow", report.deny_to_allow, False),
    ):
        lines.append(f"{title}: {len(changes)}")
        for code, n in sorted(report.by_code(changes, new=new).items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {code}: {n}")
        for c in changes[:examples]:
            lines.append(
                f"  e.g. {c.id} tool={c.tool} agent={c.agent} before={','.join(c.before)} after={','.join(c.after)}"
            )
    return "\n".join(lines)
