"""State-store interfaces shared by every replica.

Two implementations follow each interface: in-memory (embedded mode, one process)
and Redis (replicas share it). Hot-path reads that must not cost a round trip (the
kill switch) are answered from a local snapshot that the store keeps fresh.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import asdict, dataclass
from typing import Any, Protocol

SCOPE = re.compile(r"^(global|(tenant|agent):[^\s*]+|tool:[^\s]+)$")


def validate_scope(scope: str) -> str:
    """A kill-switch scope: ``global``, ``tenant:<id>``, ``agent:<id>`` or ``tool:<name>`` (glob allowed)."""
    if not SCOPE.match(scope):
        raise ValueError("scope must be 'global', 'tenant:<id>', 'agent:<id>' or 'tool:<name>'")
    return scope


@dataclass(frozen=True, slots=True)
class KillSwitchEntry:
    scope: str
    reason: str
    operator: str
    since: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def match_entry(
    entries: dict[str, KillSwitchEntry], tenant: str | None, agent: str | None, tool: str
) -> KillSwitchEntry | None:
    """The engaged entry that covers a call, most general first; ``None`` when none does."""
    if not entries:
        return None
    for key in ("global", f"tenant:{tenant}" if tenant else None, f"agent:{agent}" if agent else None):
        if key and key in entries:
            return entries[key]
    for scope, entry in entries.items():
        if scope.startswith("tool:") and fnmatch.fnmatchcase(tool, scope[5:]):
            return entry
    return None


class KillSwitchStore(Protocol):
    async def engage(self, scope: str, reason: str, operator: str) -> KillSwitchEntry: ...
    async def release(self, scope: str) -> KillSwitchEntry | None: ...
    async def entries(self) -> list[KillSwitchEntry]: ...
    def match(self, tenant: str | None, agent: str | None, tool: str) -> KillSwitchEntry | None: ...
