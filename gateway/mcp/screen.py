"""The injection screen for MCP tool definitions (``pins.py``: a definition that
trips it is held).

One function, ``screen``, returns ``Finding``s for text that tries to steer the model
(instruction overrides, hidden-instruction tags, requests to exfiltrate secrets).
Tool results are not screened here: they go through the inspection package like any
tool's output.
"""

from __future__ import annotations

import re

from gateway.inspect.bidi import deceptive_control
from gateway.inspect.terminal import first_control
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


def _finding(kind: str, path: str, evidence: str) -> Finding:
    return Finding(
        detector="mcp.injection",
        surface="tool_definition",
        severity="high",
        owasp=("LLM01", "ASI04"),
        path=path,
        evidence=evidence,
        kind=kind,
    )


def screen(text: str, path: str, *, json_text: bool = False) -> list[Finding]:
    """Findings (surface ``tool_definition``) for ``text`` found at ``path`` of a tool's definition
    (``json_text``: ``text`` is JSON, its control characters spelled as escapes).

    Terminal control sequences of any kind are a finding too: a definition is text for the
    model, and a terminal client showing it to its user runs them (cursor moves that erase a
    line, concealed or same-colour text hide an instruction from the person approving it); so
    are bidi controls in text without right-to-left letters (they reorder what is shown)."""
    findings: list[Finding] = []
    at = first_control(text, json_text=json_text)
    if at is not None:
        evidence = text[at : at + 24].encode("unicode_escape").decode("ascii")[:60]
        findings.append(_finding("terminal_control", path, evidence))
    at = deceptive_control(text)
    if at is not None:
        findings.append(
            _finding("bidi_control", path, text[max(0, at - 12) : at + 12].encode("unicode_escape").decode())
        )
    for kind, pattern in _PATTERNS:
        m = pattern.search(text)
        if m is not None:
            findings.append(_finding(kind, path, m.group(0)[:120]))
    return findings
