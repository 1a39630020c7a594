"""In-memory state stores: embedded mode, one process.

Every method runs without an ``await`` between its reads and writes, so on one
event loop it is as atomic as the Redis store's Lua scripts, with the same rules.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.store.base import (
    Admission,
    AdmitResult,
    KillSwitchEntry,
    RunLimits,
    RunObservation,
    RunState,
    Settlement,
    StoredResponse,
    StoreUnavailable,
    match_entry,
    run_fields_of,
    run_state_of,
    validate_scope,
)


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


@dataclass(slots=True)
class _Idem:
    fingerprint: str
    call_id: str
    lease_until: float
    expires: float
    done: bool = False
    response: StoredResponse | None = None


class MemoryAdmission:
    SWEEP_EVERY = 4096  # admissions between sweeps of expired entries (Redis expires keys itself)

    def __init__(self) -> None:
        self._tat: dict[str, tuple[float, float]] = {}  # key -> (tat, expires)
        self._quota: dict[str, tuple[float, float]] = {}  # key -> (spent, expires)
        self._idem: dict[str, _Idem] = {}
        self._admits = 0

    def __len__(self) -> int:
        return len(self._tat) + len(self._quota) + len(self._idem)

    def sweep(self, now: float) -> None:
        self._tat = {k: v for k, v in self._tat.items() if v[1] > now}
        self._quota = {k: v for k, v in self._quota.items() if v[1] > now}
        self._idem = {k: v for k, v in self._idem.items() if v.expires > now}

    def _get(self, d: dict[str, tuple[float, float]], key: str, now: float) -> float | None:
        v = d.get(key)
        if v is None:
            return None
        if v[1] <= now:
            del d[key]
            return None
        return v[0]

    async def admit(self, req: Admission) -> AdmitResult:
        now = time.time()
        self._admits += 1
        if self._admits % self.SWEEP_EVERY == 0:
            self.sweep(now)
        takeover: str | None = None
        idem = req.idem
        if idem is not None:
            entry = self._idem.get(idem.key)
            if entry is not None and entry.expires <= now:
                del self._idem[idem.key]
                entry = None
            if entry is not None:
                if entry.fingerprint != idem.fingerprint:
                    return AdmitResult("mismatch")
                if entry.done:
                    if entry.response is None:
                        return AdmitResult("not_replayable")
                    return AdmitResult("replay", response=entry.response)
                if entry.lease_until > now:
                    return AdmitResult("in_flight")
                takeover = entry.call_id
        tats: list[float] = []
        remaining: list[int] = []
        for r in req.rates:
            tat = self._get(self._tat, r.key, now)
            new_tat = max(tat if tat is not None else now, now) + r.tokens * r.interval
            allow_at = new_tat - r.tau
            if allow_at > now:
                return AdmitResult("rate_limited", retry_after=allow_at - now, rule=r.name)
            tats.append(new_tat)
            remaining.append(max(0, math.floor((now + r.tau - new_tat) / r.interval + 1e-9)))
        spent: list[float] = []
        for q in req.quotas:
            cur = self._get(self._quota, q.key, now) or 0.0
            if cur + q.amount > q.limit + 1e-9:
                found = [self._get(self._quota, x.key, now) or 0.0 for x in req.quotas]
                return AdmitResult("quota_exhausted", rule=q.name, spent=found)
            spent.append(cur + q.amount)
        for r, new_tat in zip(req.rates, tats, strict=True):
            self._tat[r.key] = (new_tat, new_tat)
        for q, s in zip(req.quotas, spent, strict=True):
            old = self._quota.get(q.key)
            self._quota[q.key] = (s, old[1] if old else now + q.ttl_s)
        if idem is not None:
            self._idem[idem.key] = _Idem(idem.fingerprint, idem.call_id, now + idem.lease_s, now + idem.ttl_s)
        return AdmitResult("ok", spent=spent, remaining=remaining, takeover=takeover)

    async def settle(self, s: Settlement) -> None:
        now = time.time()
        for key, delta in s.quotas:
            cur = self._quota.get(key)
            if cur is not None and cur[1] > now and delta:
                self._quota[key] = (cur[0] + delta, cur[1])
        if s.idem_key is None:
            return
        entry = self._idem.get(s.idem_key)
        if entry is None or entry.done or entry.call_id != s.call_id:
            return
        if s.response is None and s.replayable:
            del self._idem[s.idem_key]
            return
        entry.done = True
        entry.response = s.response
        entry.expires = now + s.ttl_s


McpKey = tuple[str | None, str, str | None]  # tenant, server, session


class MemoryMcpState:
    """MCP sessions, pins, holds and per-session state in this process (``McpStateStore``).

    Bounded: ``MAX_SESSIONS`` bindings, and as many sessions' listed tools and outstanding
    server requests (expired entries are swept when full; then the oldest session goes).
    """

    MAX_SESSIONS = 100_000

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], tuple[str, float]] = {}
        self._pins: dict[str, str] = {}
        self._holds: dict[str, dict[str, Any]] = {}
        self._listed: dict[McpKey, dict[str, float]] = {}  # name -> expiry (monotonic)
        self._requests: dict[McpKey, dict[str, tuple[str, float]]] = {}  # gid -> (server id, expiry)

    def _room(self, table: dict[McpKey, Any], key: McpKey) -> None:
        """Make room for one more session in ``table``: expired entries first, then the oldest."""
        if key in table or len(table) < self.MAX_SESSIONS:
            return
        now = time.monotonic()
        for k in [k for k, v in table.items() if all(e <= now for e in _expiries(v))]:
            del table[k]
        if len(table) >= self.MAX_SESSIONS:
            table.pop(next(iter(table)))

    async def mark_listed(
        self, tenant: str | None, server: str, session: str | None, names: Sequence[str], ttl_s: float
    ) -> None:
        key = (tenant, server, session)
        self._room(self._listed, key)
        until = time.monotonic() + ttl_s
        self._listed.setdefault(key, {}).update(dict.fromkeys(names, until))

    async def listed(self, tenant: str | None, server: str, session: str | None, name: str) -> bool:
        until = self._listed.get((tenant, server, session), {}).get(name)
        return until is not None and until > time.monotonic()

    async def forget_listed(self, tenant: str | None, server: str, session: str | None) -> None:
        self._listed.pop((tenant, server, session), None)

    async def add_server_request(
        self, tenant: str | None, server: str, session: str | None, gid: str, server_id: str, limit: int, ttl_s: float
    ) -> bool:
        key = (tenant, server, session)
        self._room(self._requests, key)
        now = time.monotonic()
        reqs = self._requests.setdefault(key, {})
        if len(reqs) >= limit:
            for g in [g for g, (_, until) in reqs.items() if until <= now]:
                del reqs[g]
            if len(reqs) >= limit:
                return False
        reqs[gid] = (server_id, now + ttl_s)
        return True

    async def take_server_request(self, tenant: str | None, server: str, session: str | None, gid: str) -> str | None:
        found = self._requests.get((tenant, server, session), {}).pop(gid, None)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    async def forget_session(self, tenant: str | None, server: str, session: str | None) -> None:
        self._listed.pop((tenant, server, session), None)
        self._requests.pop((tenant, server, session), None)

    async def bind_session(self, server: str, session: str, owner: str, ttl_s: float) -> None:
        if len(self._sessions) >= self.MAX_SESSIONS:
            now = time.monotonic()
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            if len(self._sessions) >= self.MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
        self._sessions[(server, session)] = (owner, time.monotonic() + ttl_s)

    async def session_owner(self, server: str, session: str) -> str | None:
        found = self._sessions.get((server, session))
        if found is None:
            return None
        if found[1] <= time.monotonic():
            del self._sessions[(server, session)]
            return None
        return found[0]

    async def drop_session(self, server: str, session: str) -> None:
        self._sessions.pop((server, session), None)

    async def pins(self) -> dict[str, str]:
        return dict(self._pins)

    async def set_pin(self, tool: str, digest: str) -> None:
        self._pins[tool] = digest

    async def holds(self) -> dict[str, dict[str, Any]]:
        return dict(self._holds)

    async def hold(self, tool: str) -> dict[str, Any] | None:
        return self._holds.get(tool)

    async def set_hold(self, tool: str, held: dict[str, Any] | None) -> None:
        if held is None:
            self._holds.pop(tool, None)
        else:
            self._holds[tool] = held

    async def call_state(
        self, tenant: str | None, server: str, session: str | None, name: str, tool: str
    ) -> tuple[str | None, bool, dict[str, Any] | None]:
        owner = await self.session_owner(server, session) if session is not None else None
        return owner, await self.listed(tenant, server, session, name), self._holds.get(tool)

    async def pin_states(self, tools: Sequence[str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        pins = {t: self._pins[t] for t in tools if t in self._pins}
        return pins, {t: self._holds[t] for t in tools if t in self._holds}

    async def update_pins(self, pins: dict[str, str], holds: dict[str, dict[str, Any] | None]) -> None:
        self._pins.update(pins)
        for tool, held in holds.items():
            await self.set_hold(tool, held)


def _expiries(v: dict[str, Any]) -> list[float]:
    return [e if isinstance(e, float) else e[1] for e in v.values()]


class MemoryRuns:
    """Run state in a dict of hashes, the same fields and rules as ``RedisRuns``' script.

    At most ``MAX_RUNS`` runs are kept: when full, expired runs are swept, and if it is
    still full a new run is refused (``StoreUnavailable``, so 503) rather than an old
    run's taint forgotten.
    """

    MAX_RUNS = 100_000

    def __init__(self) -> None:
        self._runs: dict[str, tuple[dict[str, str], float]] = {}  # key -> (fields, expires)

    def __len__(self) -> int:
        return len(self._runs)

    def sweep(self, now: float) -> None:
        self._runs = {k: v for k, v in self._runs.items() if v[1] > now}

    async def load(self, key: str, limits: RunLimits) -> RunState:
        now = time.time()
        entry = self._runs.get(key)
        if entry is None or entry[1] <= now:
            self._runs.pop(key, None)
            return RunState()
        self._runs[key] = (entry[0], now + limits.ttl_s)
        return run_state_of(entry[0])

    async def observe(self, key: str, obs: RunObservation, limits: RunLimits) -> None:
        now = time.time()
        entry = self._runs.get(key)
        if entry is None or entry[1] <= now:
            if len(self._runs) >= self.MAX_RUNS:
                self.sweep(now)
                if len(self._runs) >= self.MAX_RUNS:
                    raise StoreUnavailable(f"the memory store holds {self.MAX_RUNS} runs")
            fields: dict[str, str] = {}
        else:
            fields = entry[0]
        sources, findings, dests = run_fields_of(obs)
        if obs.taints:
            fields["t"] = "1"
        for name, items, cap in (
            ("s", sources, limits.max_sources),
            ("f", findings, limits.max_findings),
            ("d", dests, limits.max_destinations),
        ):
            for f, v in items:
                if f in fields:
                    if name == "s" and v == "untrusted":
                        fields[f] = v  # a source's trust only ever degrades
                    continue
                n = int(fields.get("#" + name, "0"))
                if n >= cap:
                    fields["!" + name] = "1"
                    continue
                fields[f] = v
                fields["#" + name] = str(n + 1)
        self._runs[key] = (fields, now + limits.ttl_s)
