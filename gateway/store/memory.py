"""In-memory state stores: embedded mode, one process."""

from __future__ import annotations

import time

from gateway.store.base import KillSwitchEntry, match_entry, validate_scope


class MemoryKillSwitch:
    def __init__(self) -> None:
        self._entries: dict[str, KillSwitchEntry] = {}

    async def engage(self, scope: str, reason: str, operator: str) -> KillSwitchEntry:
        entry = KillSwitchEntry(validate_scope(scope), reason, operator, time.time())
        self._entries[scope] = entry
        return entry

    async def release(self, scope: str) -> KillSwitchEntry | None:
        return self._entries.pop(validate_scope(scope), None)

    async def entries(self) -> list[KillSwitchEntry]:
        return sorted(self._entries.values(), key=lambda e: e.scope)

    def match(self, tenant: str | None, agent: str | None, tool: str) -> KillSwitchEntry | None:
        return match_entry(self._entries, tenant, agent, tool)
