"""Credentials: strip what the agent sent, inject the tool's scoped credential.

The outgoing header list is built here, once: hop-by-hop headers, the agent's
``Authorization`` and cookies, any header the tool's credentials use, and
client-supplied forwarding, client-address and method-override headers and the
gateway's own ``X-Callgate-*`` headers are dropped (``gateway/headers.py``); the credential the decision chose
(or the tool's default) is added. The upstream receives only that one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.headers import AGENT_ONLY, HOP_BY_HOP, filter_headers
from gateway.model import CallContext

if TYPE_CHECKING:
    from gateway.pipeline import Next

__all__ = ["AGENT_ONLY", "HOP_BY_HOP", "CredentialsStage", "filter_headers"]


class CredentialsStage:
    name = "credentials"

    def __init__(self) -> None:
        # One drop set per distinct set of credential headers, built on first use (a handful).
        self._drop: dict[frozenset[str], frozenset[str]] = {frozenset(): AGENT_ONLY}

    def drop_set(self, credential_headers: frozenset[str]) -> frozenset[str]:
        drop = self._drop.get(credential_headers)
        if drop is None:
            drop = self._drop[credential_headers] = AGENT_ONLY | credential_headers
        return drop

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = ctx.need_tool()
        headers = filter_headers(ctx.request.headers.items(), self.drop_set(tool.credential_headers))
        if ctx.credential is not None:
            cred = tool.credentials[ctx.credential]
            headers.append((cred.header, cred.value))
            # The scrub stage must be able to read the answer: no compressed bodies back.
            headers = [(k, v) for k, v in headers if k.lower() != "accept-encoding"]
            headers.append(("Accept-Encoding", "identity"))
        ctx.forward_headers = headers
        await nxt(ctx)
