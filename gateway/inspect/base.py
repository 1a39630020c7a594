"""The ``Detector`` protocol and what a detector sees of one string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from gateway.model import Finding

Surface = Literal["request_arg", "tool_output"]
Severity = Literal["info", "low", "medium", "high", "critical"]


@dataclass(slots=True)
class Target:
    """One string to inspect, with where it came from."""

    raw: str
    norm_: str | None  # normalize.fold(raw), computed on first use when None
    surface: Surface
    path: str  # JSON pointer into the arguments ("" for a whole output)
    key: str = ""  # the field name holding the string, lower-case ("" when none)
    tags: frozenset[str] = frozenset()
    allowed_roots: tuple[str, ...] = ()
    commands: frozenset[str] | None = None  # shell tools: the commands allowed (None: any)
    verbs: frozenset[str] | None = None  # sql tools: the statement verbs allowed, lower-case (None: any)

    @property
    def norm(self) -> str:
        if self.norm_ is None:
            from gateway.inspect.normalize import fold

            self.norm_ = fold(self.raw)
        return self.norm_


@dataclass(slots=True)
class Hit:
    """A finding plus the span of ``Target.raw`` it covers (for redaction), when known."""

    finding: Finding
    span: tuple[int, int] | None = None


class Detector(Protocol):
    name: str

    def scan(self, t: Target) -> list[Hit]: ...


def excerpt(text: str, start: int, end: int, *, redact: bool = False, width: int = 40) -> str:
    """A short excerpt for the record; secrets show only their first 4 characters."""
    s = text[start:end]
    if redact:
        return s[:4] + "…" + f"[{len(s)} chars]"
    if len(s) > width:
        s = s[:width] + "…"
    return s


def finding(
    detector: str,
    t: Target,
    kind: str,
    severity: Severity,
    owasp: tuple[str, ...],
    evidence: str,
    confidence: float = 0.9,
) -> Finding:
    return Finding(
        detector=detector,
        surface=t.surface,
        severity=severity,
        owasp=owasp,
        path=t.path,
        evidence=evidence,
        confidence=confidence,
        kind=kind,
    )
