"""The pipeline: stages in one declared order, composed once at start-up.

Each stage is an async callable ``stage(ctx, next)``; it may act before calling
``next`` (admission checks), after it (settlement, output inspection) or around it
(recording, timing). Composition happens once in ``Pipeline.__init__`` so the hot
path is a chain of plain awaits.

``default_stages`` is the one place the order is written down, like mitmproxy's
``default_addons()``. The record stage is outermost: whatever ends a call, it writes
exactly one decision record. The adapters (HTTP, MCP) build the ``ToolCall`` before
the pipeline runs; they supply ``load`` — reading the body and arguments into it, called
by ``RequestStage`` once identity has passed (no unauthenticated body is read) — and
``emit``, how the tool's answer goes back to the agent, called by the terminal handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Protocol

from gateway.model import CallContext

if TYPE_CHECKING:
    from gateway.runtime import Runtime

Next = Callable[[CallContext], Awaitable[None]]


class Stage(Protocol):
    name: str

    async def __call__(self, ctx: CallContext, nxt: Next) -> None: ...


class Adapter(Protocol):
    """Protocol-specific edges of the pipeline."""

    async def load(self, ctx: CallContext) -> None:
        """Fill ``ctx.call`` (arguments, body) for ``ctx.tool``; raise BadRequest / PayloadTooLarge."""

    async def emit(self, ctx: CallContext) -> None:
        """Send ``ctx.upstream`` back to the agent, setting ``ctx.response``."""


async def emit(ctx: CallContext) -> None:
    await ctx.need_adapter().emit(ctx)


def _link(stage: Stage, nxt: Next) -> Next:
    """``stage`` with its ``next`` bound: calling it returns the stage's own coroutine, so a
    call's await chain is one frame per stage, not two (every resume walks the chain)."""
    return partial(stage, nxt=nxt)


class Pipeline:
    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = tuple(stages)
        handler: Next = emit
        for stage in reversed(self.stages):
            handler = _link(stage, handler)
        self._entry = handler

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    async def run(self, ctx: CallContext, adapter: Adapter) -> None:
        """Run one call. Never raises a ``GatewayError``: it lands in ``ctx.error``."""
        ctx.adapter = adapter
        await self._entry(ctx)


def default_stages(rt: Runtime) -> list[Stage]:
    """The pipeline order — the only place it is written."""
    from gateway.stages.admission import AdmissionStage
    from gateway.stages.approval import ApprovalCheckStage, ApprovalGateStage
    from gateway.stages.credentials import CredentialsStage
    from gateway.stages.draft import DraftStage
    from gateway.stages.forward import ForwardStage
    from gateway.stages.identity import IdentityStage
    from gateway.stages.inspect_args import InspectArgsStage
    from gateway.stages.inspect_output import InspectOutputStage
    from gateway.stages.killswitch import KillSwitchStage
    from gateway.stages.policy import PolicyStage
    from gateway.stages.record import IntentStage, RecordStage
    from gateway.stages.request import RequestStage
    from gateway.stages.run import RunIngestStage, RunStage
    from gateway.stages.scrub import ScrubStage
    from gateway.stages.usage import UsageStage

    return [
        RecordStage(rt.log, rt.metrics, rt.policy, rt.stream),  # outermost: one record for every call
        IdentityStage(rt.verifier, rt.metrics),  # 401 before we read a body or reveal tools
        RequestStage(rt.tools, rt.mcp_tools.resolve),  # tool lookup (404), body (413), JSON (400)
        KillSwitchStage(rt.killswitch),  # 503 killswitch.engaged
        InspectArgsStage(rt.inspector, rt.metrics, rt.classifier),  # findings on the arguments, for policy
        UsageStage(rt.usage),  # input.usage: this replica's last admission for the agent and tool
        ApprovalCheckStage(rt.approvals),  # X-Callgate-Approval: verify the binding -> input.approval
        RunStage(rt.runs, rt.settings.runs, rt.key_prefix, rt.metrics),  # input.run: what the run has read (400)
        PolicyStage(rt.policy, rt.metrics, rt.settings),  # 403 / 503 policy.unavailable
        # idempotency replay / 409 / 422, rate limits and quota reservation in one store call;
        # settles the actual cost (or refunds) and keeps the response after the call
        AdmissionStage(rt.admission, rt.settings.limits, rt.metrics, rt.key_prefix, rt.usage),
        # 202 approval.pending (stores a pending approval), or consumes the retry's approval exactly once
        ApprovalGateStage(rt.approvals, rt.policy),
        CredentialsStage(),  # strip agent credentials, inject the tool's
        DraftStage(rt.settings.server),  # X-Callgate-Mode: draft answers here with what would be sent
        IntentStage(rt.log, rt.metrics),  # durable intent before anything reaches the upstream
        ForwardStage(rt.http, rt.metrics, rt.settings.server),  # 502 / 504, streams back via emit
        ScrubStage(rt.metrics),  # the injected credential never goes back to the agent
        InspectOutputStage(rt.inspector, rt.policy, rt.metrics, rt.classifier),  # 502 output.blocked, or redacts
        RunIngestStage(rt.runs, rt.settings.runs, rt.metrics),  # the run records what it read, before the agent sees it
    ]


def server_request_stages(rt: Runtime) -> list[Stage]:
    """A request an MCP server sends the agent (sampling, elicitation, roots): decided, recorded."""
    from gateway.stages.inspect_args import InspectArgsStage
    from gateway.stages.killswitch import KillSwitchStage
    from gateway.stages.policy import PolicyStage
    from gateway.stages.record import RecordStage

    return [
        RecordStage(rt.log, rt.metrics, rt.policy),
        KillSwitchStage(rt.killswitch),
        InspectArgsStage(rt.inspector, rt.metrics),
        PolicyStage(rt.policy, rt.metrics, rt.settings),
    ]
