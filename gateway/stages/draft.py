"""Draft: ``X-Callgate-Mode: draft`` runs everything up to forwarding, then answers with what would be sent.

It sits after the credentials stage and before the intent record, so a draft has
passed identity, the kill switch, inspection, policy, admission (rate limits and
quotas are taken, then refunded: nothing was forwarded) and credential selection.
The answer (``ctx.draft``) holds the decision, the findings, the upstream request
that would be sent — credential headers masked as ``***`` — and, where policy
requires one, the pending approval that the draft created. Nothing is forwarded;
the call record has ``outcome: draft``.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING

from gateway.config import ServerConfig
from gateway.model import CallContext
from gateway.stages.forward import forwarded_headers

if TYPE_CHECKING:
    from gateway.pipeline import Next

MASK = "***"
BODY_SHOWN = 64 << 10


class DraftStage:
    name = "draft"

    def __init__(self, server: ServerConfig) -> None:
        self.public_host = server.public_host

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        if ctx.call.mode != "draft":
            await nxt(ctx)
            return
        tool = ctx.need_tool()
        call = ctx.call
        secrets = {c.value for c in tool.credentials.values()}
        headers = [
            (k, MASK if k.lower() in tool.credential_headers or v in secrets else v)
            for k, v in [*(ctx.forward_headers or []), *forwarded_headers(ctx, self.public_host)]
        ]
        body: dict[str, object] = {"bytes": len(call.body), "sha256": hashlib.sha256(call.body).hexdigest()}
        if len(call.body) <= BODY_SHOWN:
            with contextlib.suppress(UnicodeDecodeError):
                body["text"] = call.body.decode("utf-8")
        ctx.draft = {
            "mode": "draft",
            "call_id": call.call_id,
            "tool": tool.name,
            "forwarded": False,
            "decision": ctx.decision.as_dict() if ctx.decision else None,
            "findings": [f.as_dict() for f in ctx.findings],
            "credential": ctx.credential,
            "approval": ctx.pending_approval or ctx.approval,
            "upstream_request": {
                "method": call.method,
                "url": str(tool.upstream_url(call.path, call.query)),
                "headers": [[k, v] for k, v in headers],
                "body": body,
            },
        }
