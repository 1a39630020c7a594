"""State-store interfaces shared by every replica.

Two implementations follow each interface: in-memory (embedded mode, one process)
and Redis (replicas share it). Hot-path reads that must not cost a round trip (the
kill switch) are answered from a local snapshot that the store keeps fresh.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

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


# ---------------------------------------------------------------- admission


class StoreUnavailable(Exception):
    """The store did not answer in time or at all."""


@dataclass(frozen=True, slots=True)
class RateCheck:
    """One GCRA bucket: ``interval`` seconds per token, ``tau`` seconds of burst tolerance."""

    name: str
    key: str
    interval: float
    tau: float
    tokens: float


@dataclass(frozen=True, slots=True)
class QuotaCheck:
    """Reserve ``amount`` against ``limit`` in a window counter that expires after ``ttl_s``."""

    name: str
    key: str
    limit: float
    amount: float
    ttl_s: int


@dataclass(frozen=True, slots=True)
class IdemCheck:
    key: str
    fingerprint: str
    call_id: str
    lease_s: float
    ttl_s: float  # the in-flight marker outlives its lease, so a retry can tell it took over


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(slots=True)
class Admission:
    """What one call asks of the store, answered in one atomic step."""

    rates: list[RateCheck]
    quotas: list[QuotaCheck]
    idem: IdemCheck | None = None


Verdict = Literal["ok", "replay", "in_flight", "mismatch", "not_replayable", "rate_limited", "quota_exhausted"]


@dataclass(slots=True)
class AdmitResult:
    verdict: Verdict
    retry_after: float = 0.0  # seconds, for rate_limited
    rule: str | None = None  # the rate or quota rule that refused
    spent: list[float] | None = None  # per quota check, after the reservation (or as found on refusal)
    remaining: list[int] | None = None  # per rate check, tokens left after this call
    response: StoredResponse | None = None  # for replay
    takeover: str | None = None  # call id of an expired in-flight call this one replaces


@dataclass(slots=True)
class Settlement:
    """After the call: quota deltas (actual - reserved, or -reserved to refund) and the idempotency outcome."""

    quotas: list[tuple[str, float]]
    idem_key: str | None = None
    call_id: str = ""  # only the call holding the in-flight marker may finish it
    response: StoredResponse | None = None  # None with idem_key: release the key (nothing to replay)
    replayable: bool = True  # False: keep the key finished but not replayable (e.g. streamed body)
    ttl_s: float = 0.0


class AdmissionStore(Protocol):
    async def admit(self, req: Admission) -> AdmitResult: ...
    async def settle(self, s: Settlement) -> None: ...


# ---------------------------------------------------------------- MCP sessions and definitions


class McpStateStore(Protocol):
    """MCP session bindings and tool-definition pins/holds, shared by every worker and replica.

    A session (``Mcp-Session-Id`` of server ``server``) is bound to the agent that opened
    it (``owner`` = ``tenant/agent``) for ``ttl_s`` since its last use. Pins map a tool
    ``{server}.{name}`` to the hash of its approved definition; a hold is a definition
    refused until an operator approves it (a JSON document).
    """

    async def bind_session(self, server: str, session: str, owner: str, ttl_s: float) -> None: ...
    async def session_owner(self, server: str, session: str) -> str | None: ...
    async def drop_session(self, server: str, session: str) -> None: ...
    async def pins(self) -> dict[str, str]: ...
    async def set_pin(self, tool: str, digest: str) -> None: ...
    async def holds(self) -> dict[str, dict[str, Any]]: ...
    async def hold(self, tool: str) -> dict[str, Any] | None: ...
    async def set_hold(self, tool: str, held: dict[str, Any] | None) -> None: ...

    async def pin_states(self, tools: Sequence[str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        """The pins and the holds of ``tools`` (those that have one), in one round trip."""
        ...

    async def update_pins(self, pins: dict[str, str], holds: dict[str, dict[str, Any] | None]) -> None:
        """Set these pins and holds (``None``: the hold is lifted), in one round trip."""
        ...

    # A session's working state, kept per tenant (Redis: keys under the tenant's hash tag)
    # so any worker can carry on a session another worker started. ``session`` is ``None``
    # for sessionless exchanges (then the state is shared by the tenant's sessionless calls).

    async def mark_listed(
        self, tenant: str | None, server: str, session: str | None, names: Sequence[str], ttl_s: float
    ) -> None:
        """Tools ``names`` of ``server`` were listed (and pinned) in this session; good for ``ttl_s``."""
        ...

    async def listed(self, tenant: str | None, server: str, session: str | None, name: str) -> bool:
        """Was tool ``name`` listed in this session within its ``ttl_s``?"""
        ...

    async def add_server_request(
        self, tenant: str | None, server: str, session: str | None, gid: str, server_id: str, limit: int, ttl_s: float
    ) -> bool:
        """Remember a server request forwarded to the agent under the gateway's id ``gid``
        (``server_id``: the server's own id, as JSON). ``False`` when ``limit`` are outstanding."""
        ...

    async def take_server_request(self, tenant: str | None, server: str, session: str | None, gid: str) -> str | None:
        """The server's id (JSON) of the outstanding request ``gid``, removed atomically (exactly one
        answer is delivered, whichever worker gets it); ``None`` when there is none."""
        ...

    async def forget_listed(self, tenant: str | None, server: str, session: str | None) -> None:
        """The session's tools must be listed again (the server said they changed)."""
        ...

    async def call_state(
        self, tenant: str | None, server: str, session: str | None, name: str, tool: str
    ) -> tuple[str | None, bool, dict[str, Any] | None]:
        """What a ``tools/call`` checks, in one round trip: the owner of ``session`` (``None``
        without one), whether tool ``name`` is listed in it (``listed``), and ``tool``'s hold."""
        ...

    async def forget_session(self, tenant: str | None, server: str, session: str | None) -> None:
        """The session ended: drop its listed tools and outstanding server requests."""
        ...


# ---------------------------------------------------------------- run context


@dataclass(slots=True)
class RunState:
    """What one agent run has read (``gateway/runs.py``), as stored.

    ``tainted`` is sticky: set by the first untrusted output (or injection finding)
    and never cleared, even when the lists below are full. ``truncated`` names the
    lists that reached their bound and dropped a value.
    """

    tainted: bool = False
    sources: dict[str, str] = field(default_factory=dict)  # tool -> trust
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)  # "tool|detector|kind|severity" -> finding
    destinations: dict[str, dict[str, str]] = field(default_factory=dict)  # value -> {kind, tool}
    truncated: set[str] = field(default_factory=set)  # of "sources", "findings", "destinations"


@dataclass(frozen=True, slots=True)
class RunObservation:
    """What one tool output adds to a run."""

    tool: str
    trust: str
    taints: bool
    findings: dict[str, dict[str, Any]]
    destinations: dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class RunLimits:
    ttl_s: float
    max_sources: int
    max_findings: int
    max_destinations: int


class RunStore(Protocol):
    """Run state keyed by ``runs.run_key`` (tenant + agent + run id); expires ``ttl_s`` after last use."""

    async def load(self, key: str, limits: RunLimits) -> RunState:
        """The run's state (empty when unknown); refreshes its expiry. One round trip."""
        ...

    async def observe(self, key: str, obs: RunObservation, limits: RunLimits) -> None:
        """Merge ``obs`` atomically within the limits; first sighting of a destination wins. One round trip."""
        ...


# Field names of a run's hash: "t" (tainted), "s:<tool>" -> trust, "f:<key>" -> finding JSON,
# "d:<value>" -> "<kind> <tool>", "#s" / "#f" / "#d" counts, "!s" / "!f" / "!d" truncation marks.
def run_state_of(fields: dict[str, str]) -> RunState:
    st = RunState(tainted=fields.get("t") == "1")
    for k, v in fields.items():
        if k.startswith("s:"):
            st.sources[k[2:]] = v
        elif k.startswith("f:"):
            st.findings[k[2:]] = json.loads(v)
        elif k.startswith("d:"):
            kind, _, tool = v.partition(" ")
            st.destinations[k[2:]] = {"kind": kind, "tool": tool}
        elif k.startswith("!"):
            st.truncated.add({"s": "sources", "f": "findings", "d": "destinations"}.get(k[1:], k[1:]))
    return st


def run_fields_of(obs: RunObservation) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """``obs`` as hash fields: sources, findings, destinations."""
    return (
        [("s:" + obs.tool, obs.trust)],
        [("f:" + k, json.dumps(v, separators=(",", ":"), sort_keys=True)) for k, v in obs.findings.items()],
        [("d:" + k, f"{v['kind']} {v['tool']}") for k, v in obs.destinations.items()],  # neither has a space
    )
