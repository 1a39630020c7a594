"""What flows through the pipeline: one ``ToolCall`` inside one ``CallContext``.

Adapters (HTTP, MCP) build the ``ToolCall``; stages fill in ``agent``, ``findings``,
``decision``, ``upstream`` and timings; the record stage turns the whole context into
one decision record.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from gateway.jsondoc import canonical

if TYPE_CHECKING:
    from gateway.errors import GatewayError
    from gateway.mcp.mediator import Exchange
    from gateway.pipeline import Adapter
    from gateway.runs import RunContext
    from gateway.tools import Tool

WireProtocol = Literal["http", "mcp"]  # how the agent reached the gateway (not typing.Protocol)
INPUT_VERSION = 1
Surface = Literal["request_arg", "tool_output", "tool_definition"]
"""Where a finding was made: a call's arguments, a tool's answer, an MCP tool's definition."""


_ID_POOL = bytearray()


def _drop_id_pool() -> None:
    _ID_POOL.clear()  # a forked worker must not hand out its parent's ids


os.register_at_fork(after_in_child=_drop_id_pool)


def new_call_id() -> str:
    """128 random bits (hex) from the OS generator, read 4 KiB at a time (one syscall per 256 ids)."""
    if len(_ID_POOL) < 16:
        _ID_POOL[:] = os.urandom(4096)
    raw = _ID_POOL[-16:]
    del _ID_POOL[-16:]
    return raw.hex()


@dataclass(slots=True)
class Agent:
    id: str
    tenant: str | None
    scopes: tuple[str, ...]
    on_behalf_of: str | None
    claims: dict[str, Any]

    def as_input(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant": self.tenant,
            "scopes": list(self.scopes),
            "on_behalf_of": self.on_behalf_of,
            "claims": self.claims,
        }


@dataclass(slots=True)
class Finding:
    # (``inspect.base.finding`` passes these by position, in this order)
    detector: str
    surface: Surface
    severity: Literal["info", "low", "medium", "high", "critical"]
    owasp: tuple[str, ...]
    path: str
    evidence: str
    confidence: float = 1.0
    kind: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "kind": self.kind,
            "surface": self.surface,
            "severity": self.severity,
            "confidence": self.confidence,
            "owasp": list(self.owasp),
            "path": self.path,
            "evidence": self.evidence,
        }


@dataclass(slots=True)
class Decision:
    allow: bool
    reasons: list[dict[str, Any]]
    require_approval: bool = False
    credential: str | None = None
    redact: list[Any] = field(default_factory=list)
    cost: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "allow": self.allow,
            "reasons": self.reasons,
            "require_approval": self.require_approval,
            "credential": self.credential,
        }
        if self.redact:
            d["redact"] = self.redact
        if self.cost is not None:
            d["cost"] = self.cost
        return d


@dataclass(slots=True)
class ToolCall:
    call_id: str
    protocol: WireProtocol
    tool_name: str
    method: str
    path: str
    query: str = ""
    mcp_method: str | None = None
    arguments: Any = None
    body: bytes = b""
    content_type: str = ""
    intent: str | None = None
    run_id: str | None = None
    idempotency_key: str | None = None
    approval_id: str | None = None  # X-Callgate-Approval / _meta.callgate.approval: a retry of an approved call
    mode: str = "live"  # "live" | "draft" (checked by the approval stage): X-Callgate-Mode / _meta.callgate.mode
    preloaded: bool = False  # body and arguments already read (a held call run again once approved)

    def canonical_body(self) -> bytes:
        """The body as hashed for idempotency and approvals.

        JSON arguments re-serialised canonically (sorted keys), else the raw bytes.
        """
        if isinstance(self.arguments, dict | list):
            return canonical(self.arguments)
        return self.body

    def as_input(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "mcp_method": self.mcp_method,
            "arguments": self.arguments,
            "intent": self.intent,
            "idempotency_key": self.idempotency_key,
            "run_id": self.run_id,
            "mode": self.mode,
        }


@dataclass(slots=True)
class UpstreamResult:
    """What the tool answered. ``body`` is set when buffered; otherwise ``stream`` is."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | None = None
    stream: Any = None  # aiohttp.StreamReader while the upstream response is open
    bytes_sent: int = 0


MAX_OUTPUT_FINDINGS = 256
"""Output findings one call's record keeps; the rest are counted (``output_findings_dropped``)."""


@dataclass(slots=True)
class CallContext:
    call: ToolCall
    request: Any = None  # the adapter's request object (aiohttp.web.Request for HTTP)
    agent: Agent | None = None
    tool: Tool | None = None
    findings: list[Finding] = field(default_factory=list)
    output_findings: list[Finding] = field(default_factory=list)  # at most MAX_OUTPUT_FINDINGS kept
    output_findings_dropped: int = 0  # past that (a long MCP stream screens message after message)
    decision: Decision | None = None
    output_decision: Decision | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    credential: str | None = None
    upstream: UpstreamResult | None = None
    response: Any = None  # what the adapter returns to the agent
    error: GatewayError | None = None
    replay: bool = False
    forwarded: bool = False
    fail_open: list[str] = field(default_factory=list)
    shadow: list[dict[str, Any]] = field(default_factory=list)  # would-be denials of checks in shadow mode
    timings: dict[str, float] = field(default_factory=dict)
    run: RunContext | None = None  # the agent run this call belongs to (gateway/runs.py); None outside any run
    # What adapters and stages hand each other (typed fields, no string-keyed bag):
    adapter: Adapter | None = None  # the adapter running this call (set by Pipeline.run; load and emit)
    target_error: GatewayError | None = None  # HTTP: the refused request target, raised by load after identity
    forward_headers: list[tuple[str, str]] | None = None  # set by the credentials stage: what goes upstream
    idempotency: dict[str, str | None] | None = None  # the record's {key, takeover_of} (admission stage)
    mcp: Exchange | None = None  # MCP: the exchange (message, session, server) this call runs for
    approval: dict[str, Any] | None = None  # input.approval: {id, approvers, granted_at} of a verified retry
    pending_approval: dict[str, Any] | None = None  # the approval this call created (draft mode, or 202)
    draft: dict[str, Any] | None = None  # draft mode: what would have been sent, instead of forwarding
    # MCP: the session the call belongs to (Mcp-Session-Id); a run id when X-Agent-Run is absent.
    mcp_session: str | None = None
    body_digest: str | None = None  # the records' "sha256:<hex>" of call.body, made once (record.argument_summary)
    wall_time: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)

    @property
    def tool_name(self) -> str:
        return self.call.tool_name

    # Stages after identity/request rely on these; a missing one is a wiring bug and
    # ends the call as an internal error (fail closed), never as an AttributeError.
    def need_agent(self) -> Agent:
        if self.agent is None:
            raise _internal("no agent at this stage")
        return self.agent

    def need_tool(self) -> Tool:
        if self.tool is None:
            raise _internal("no tool at this stage")
        return self.tool

    def need_adapter(self) -> Adapter:
        if self.adapter is None:
            raise _internal("no adapter at this stage")
        return self.adapter

    def need_forward_headers(self) -> list[tuple[str, str]]:
        if self.forward_headers is None:
            raise _internal("no forward headers at this stage")
        return self.forward_headers

    def need_mcp(self) -> Exchange:
        if self.mcp is None:
            raise _internal("no MCP exchange at this stage")
        return self.mcp

    def need_upstream(self) -> UpstreamResult:
        if self.upstream is None:
            raise _internal("no upstream result at this stage")
        return self.upstream


def _internal(msg: str) -> GatewayError:
    from gateway.errors import GatewayError

    return GatewayError(msg, code="internal.error")
