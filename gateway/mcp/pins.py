"""Pinned MCP tool definitions: rug-pull and tool-poisoning protection.

Each tool's definition (name, title, description, input schema, annotations) is hashed
canonically. The first hash seen — or the one from ``mcp_servers.<s>.pinned`` — is
pinned. A definition that later hashes differently, or whose description or schema
the injection screen flags, is *held*: hidden from ``tools/list`` and refused on
``tools/call`` until an operator approves it (``/admin/mcp/tools``, ``callgate mcp``).
State is in memory (one process), like the other embedded-mode stores.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from gateway.mcp.screen import screen
from gateway.model import Finding

DEFINITION_FIELDS = ("name", "title", "description", "inputSchema", "outputSchema", "annotations")


def definition_hash(tool: dict[str, Any]) -> str:
    doc = {k: tool.get(k) for k in DEFINITION_FIELDS}
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canon.encode()).hexdigest()


@dataclass(slots=True)
class Held:
    tool: str  # "{server}.{name}"
    hash: str
    reason: str  # "definition.changed" | "definition.poisoned"
    definition: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self, pinned: str | None) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "reason": self.reason,
            "definition_hash": self.hash,
            "pinned": pinned,
            "definition": self.definition,
            "findings": [f.as_dict() for f in self.findings],
        }


def screen_definition(tool: dict[str, Any]) -> list[Finding]:
    findings = screen(str(tool.get("description") or ""), "tool_definition", "description")
    schema = tool.get("inputSchema")
    if schema is not None:
        findings += screen(json.dumps(schema, ensure_ascii=False), "tool_definition", "inputSchema")
    return findings


class DefinitionPins:
    def __init__(self, pinned: dict[str, str] | None = None) -> None:
        self.pinned: dict[str, str] = dict(pinned or {})
        self.held: dict[str, Held] = {}

    def observe(self, full_name: str, tool: dict[str, Any]) -> Held | None:
        """Check one listed definition; pin it if new and clean; return the hold if it is held."""
        digest = definition_hash(tool)
        pinned = self.pinned.get(full_name)
        if pinned == digest:
            self.held.pop(full_name, None)
            return None
        findings = screen_definition(tool)
        if pinned is None and not findings:
            self.pinned[full_name] = digest
            return None
        reason = "definition.changed" if pinned is not None else "definition.poisoned"
        held = Held(full_name, digest, reason, tool, findings)
        self.held[full_name] = held
        return held

    def status(self, full_name: str) -> Held | None:
        return self.held.get(full_name)

    def approve(self, full_name: str, digest: str | None = None) -> str:
        """Pin the held definition (optionally only if it still hashes to ``digest``); return the new pin."""
        held = self.held.get(full_name)
        if held is None:
            raise KeyError(full_name)
        if digest is not None and digest != held.hash:
            raise ValueError(f"the held definition of {full_name} hashes to {held.hash}, not {digest}")
        self.pinned[full_name] = held.hash
        del self.held[full_name]
        return held.hash

    def as_dict(self) -> dict[str, Any]:
        return {
            "pinned": dict(sorted(self.pinned.items())),
            "held": [h.as_dict(self.pinned.get(n)) for n, h in sorted(self.held.items())],
        }
