"""Identity: verify the agent's bearer JWT and fix who is calling."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gateway.identity import Verifier, extract_bearer
from gateway.metrics import Metrics
from gateway.model import CallContext

if TYPE_CHECKING:
    from gateway.pipeline import Next


class IdentityStage:
    name = "identity"

    def __init__(self, verifier: Verifier, metrics: Metrics) -> None:
        self.verifier = verifier
        self.latency = metrics.stage("identity")

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        t0 = time.perf_counter()
        try:
            token = extract_bearer(ctx.request.headers.get("Authorization"))
            ctx.agent = await self.verifier.verify(token)
        finally:
            dt = time.perf_counter() - t0
            ctx.timings["identity"] = dt
            self.latency.observe(dt)
        await nxt(ctx)
