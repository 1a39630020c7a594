"""Credentials: strip what the agent sent, inject the tool's scoped credential.

The outgoing header list is built here, once: hop-by-hop headers, the agent's
``Authorization`` and cookies, any header the tool's credentials use, and
client-supplied forwarding headers are dropped; the credential the decision chose
(or the tool's default) is added. The upstream receives only that one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gateway.model import CallContext

if TYPE_CHECKING:
    from gateway.pipeline import Next

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Never passed on from the agent: its own credentials, framing we recompute, forwarding we set.
AGENT_ONLY = frozenset(
    {
        "authorization",
        "cookie",
        "host",
        "content-length",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "expect",
        "x-callgate-approval",  # the gateway's own call controls: never the tool's business
        "x-callgate-mode",
    }
)


def filter_headers(
    headers: Iterable[tuple[str, str]], extra_drop: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers, those named in ``Connection``, and ``extra_drop`` (lower-case names)."""
    pairs = list(headers)
    named: set[str] = set()
    for k, v in pairs:
        if k.lower() == "connection":
            named.update(t.strip().lower() for t in v.split(","))
    return [
        (k, v) for k, v in pairs if (lk := k.lower()) not in HOP_BY_HOP and lk not in named and lk not in extra_drop
    ]


class CredentialsStage:
    name = "credentials"

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = ctx.need_tool()
        drop = AGENT_ONLY | tool.credential_headers if tool.credential_headers else AGENT_ONLY
        headers = filter_headers(ctx.request.headers.items(), drop)
        if ctx.credential is not None:
            cred = tool.credentials[ctx.credential]
            headers.append((cred.header, cred.value))
        ctx.extra["forward_headers"] = headers
        await nxt(ctx)
