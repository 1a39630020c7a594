"""Usage: what policy sees as ``input.usage``, from this replica's last admission.

Admission runs after policy (one store round trip for all checks), so the exact
usage of *this* call is not known when policy decides. This stage gives policy the
state the last admitted call of the same agent and tool left on this replica —
rate tokens remaining and quota spent — with no store round trip. It is at most
one call stale per replica; with several replicas, calls admitted elsewhere since
then are not in it. The record carries the exact values from admission.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from gateway.model import CallContext

if TYPE_CHECKING:
    from gateway.pipeline import Next


class UsageCache:
    """Last known usage per (agent, tool); bounded, cleared when full."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._last: dict[tuple[str, str], dict[str, Any]] = {}

    def put(self, agent: str, tool: str, usage: dict[str, Any]) -> None:
        if len(self._last) >= self.max_entries:
            self._last.clear()
        self._last[(agent, tool)] = usage

    def get(self, agent: str, tool: str) -> dict[str, Any]:
        found = self._last.get((agent, tool))
        return copy.deepcopy(found) if found is not None else {}


class UsageStage:
    name = "usage"

    def __init__(self, cache: UsageCache) -> None:
        self.cache = cache

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        ctx.usage = self.cache.get(ctx.need_agent().id, ctx.need_tool().name)
        await nxt(ctx)
