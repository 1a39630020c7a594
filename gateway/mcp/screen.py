"""A small injection screen for MCP tool definitions and tool results.

This is a stand-in for the inspection package (issue 4): one function, ``screen``,
returns ``Finding``s for text that tries to steer the model (instruction overrides,
hidden-instruction tags, requests to exfiltrate secrets). When the inspection
package lands, ``screen`` is the one call to replace with its detectors.
"""

from __future__ import annotations

import re
from typing import Literal

from gateway.model import Finding

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "instruction_override",
        re.compile(
            r"\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|all)\b.{0,20}"
            r"\b(instructions?|prompts?|rules)\b",
            re.I | re.S,
        ),
    ),
    ("hidden_instruction", re.compile(r"<\s*(important|system|secret|instructions?)\s*>", re.I)),
    (
        "concealment",
        re.compile(r"\b(do not|don't|never)\s+(tell|inform|mention|reveal)\b.{0,20}\b(user|human)\b", re.I),
    ),
    (
        "secret_exfiltration",
        re.compile(
            r"(~/\.ssh|id_rsa|\.env\b|api[ _-]?keys?|private key|passwords?)"
            r".{0,80}\b(send|pass|post|upload|include|forward)\b|"
            r"\b(send|pass|post|upload|include|forward)\b.{0,80}"
            r"(~/\.ssh|id_rsa|api[ _-]?keys?|private key|passwords?)",
            re.I | re.S,
        ),
    ),
]

Surface = Literal["request_arg", "tool_output", "tool_definition"]


def screen(text: str, surface: Surface, path: str) -> list[Finding]:
    findings: list[Finding] = []
    for kind, pattern in _PATTERNS:
        m = pattern.search(text)
        if m is not None:
            findings.append(
                Finding(
                    detector="mcp.injection",
                    surface=surface,
                    severity="high",
                    owasp=("LLM01", "ASI01") if surface == "tool_output" else ("LLM01", "ASI04"),
                    path=path,
                    evidence=m.group(0)[:120],
                    kind=kind,
                )
            )
    return findings
