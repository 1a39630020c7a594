"""Pinned MCP tool definitions: rug-pull and tool-poisoning protection.

Each tool's definition (name, title, description, input schema, annotations) is hashed
canonically. The first hash seen — or the one from ``mcp_servers.<s>.pinned`` — is
pinned. A definition that later hashes differently, or whose description or schema
the injection screen flags, is *held*: hidden from ``tools/list`` and refused on
``tools/call`` until an operator approves it (``/admin/mcp/tools``, ``callgate mcp``).
Pins and holds live in the state store (``McpStateStore``): memory, or Redis shared by
every worker and replica.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from gateway.mcp.screen import screen
from gateway.model import Finding
from gateway.store.base import McpStateStore

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
    pinned: str | None = None  # the approved hash it departs from, when one is known

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
    findings = screen(str(tool.get("description") or ""), "description")
    schema = tool.get("inputSchema")
    if schema is not None:
        findings += screen(json.dumps(schema, ensure_ascii=False), "inputSchema", json_text=True)
    return findings


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(
        detector=d["detector"],
        surface=d["surface"],
        severity=d["severity"],
        owasp=tuple(d.get("owasp", ())),
        path=d.get("path", ""),
        evidence=d.get("evidence", ""),
        confidence=d.get("confidence", 1.0),
        kind=d.get("kind", ""),
    )


def held_from(doc: dict[str, Any]) -> Held:
    return Held(
        doc["tool"],
        doc["definition_hash"],
        doc["reason"],
        doc.get("definition") or {},
        [_finding(f) for f in doc.get("findings", [])],
        doc.get("pinned"),
    )


class DefinitionPins:
    """Pins and holds kept in the state store (memory or Redis), so every worker and
    replica sees the same ones; configured pins are the starting point."""

    def __init__(self, store: McpStateStore, pinned: dict[str, str] | None = None) -> None:
        self.store = store
        self.configured: dict[str, str] = dict(pinned or {})

    async def pinned(self, full_name: str) -> str | None:
        pins, _ = await self.store.pin_states([full_name])
        return pins.get(full_name) or self.configured.get(full_name)

    async def observe(self, tools: list[tuple[str, dict[str, Any]]]) -> list[tuple[Held, bool]]:
        """Check listed definitions (``{server}.{name}``, definition); pin the new clean ones.

        One store read for the whole list and at most one write, whatever its length.
        Returns the holds, each with whether it is new (so the caller records it once).
        """
        pins, holds = await self.store.pin_states(list(dict.fromkeys(n for n, _ in tools)))
        new_pins: dict[str, str] = {}
        changed: dict[str, dict[str, Any] | None] = {}
        out: list[tuple[Held, bool]] = []
        for i, (full_name, tool) in enumerate(tools):
            if i % 32 == 31:
                await asyncio.sleep(0)  # hashing and screening a long list never holds the event loop
            digest = definition_hash(tool)
            pinned = pins.get(full_name) or self.configured.get(full_name)
            if pinned == digest:
                if holds.pop(full_name, None) is not None:
                    changed[full_name] = None
                continue
            findings = screen_definition(tool)
            if pinned is None and not findings:
                pins[full_name] = new_pins[full_name] = digest
                continue
            reason = "definition.changed" if pinned is not None else "definition.poisoned"
            held = Held(full_name, digest, reason, tool, findings, pinned)
            before = holds.get(full_name)
            new = before is None or before.get("definition_hash") != digest
            if new:
                holds[full_name] = changed[full_name] = held.as_dict(pinned)
            out.append((held, new))
        await self.store.update_pins(new_pins, changed)
        return out

    async def status(self, full_name: str) -> Held | None:
        doc = await self.store.hold(full_name)
        return held_from(doc) if doc is not None else None

    async def approve(self, full_name: str, digest: str | None = None) -> str:
        """Pin the held definition (optionally only if it still hashes to ``digest``); return the new pin."""
        held = await self.status(full_name)
        if held is None:
            raise KeyError(full_name)
        if digest is not None and digest != held.hash:
            raise ValueError(f"the held definition of {full_name} hashes to {held.hash}, not {digest}")
        await self.store.set_pin(full_name, held.hash)
        await self.store.set_hold(full_name, None)
        return held.hash

    async def as_dict(self) -> dict[str, Any]:
        pins = {**self.configured, **await self.store.pins()}
        holds = await self.store.holds()
        return {
            "pinned": dict(sorted(pins.items())),
            "held": [holds[n] for n in sorted(holds)],
        }
