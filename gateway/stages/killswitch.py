"""Kill switch: refuse calls covered by an engaged global/tenant/agent/tool switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import Reason, Unavailable
from gateway.model import CallContext
from gateway.store.base import KillSwitchStore

if TYPE_CHECKING:
    from gateway.pipeline import Next


class KillSwitchStage:
    name = "killswitch"

    def __init__(self, store: KillSwitchStore) -> None:
        self.store = store

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        agent = ctx.agent
        entry = self.store.match(agent.tenant if agent else None, agent.id if agent else None, ctx.call.tool_name)
        if entry is not None:
            msg = f"kill switch engaged for {entry.scope}: {entry.reason}"
            raise Unavailable(
                msg,
                code="killswitch.engaged",
                reasons=[Reason.of("killswitch.engaged", msg) | {"scope": entry.scope}],
            )
        await nxt(ctx)
