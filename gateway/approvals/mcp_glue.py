"""How approvals and drafts look over MCP, kept apart from the MCP adapter so any MCP front end can use them.

* ``callgate_meta``: ``params._meta.callgate = {approval, mode}`` → ``(approval_id, mode)``
  for the ``ToolCall`` (HTTP uses ``X-Callgate-Approval`` / ``X-Callgate-Mode``).
* A held ``tools/call`` is rendered by the mediator (``gateway/mcp/mediator.py``,
  ``denied_result``) like any refusal: ``isError: true``, text telling the model how to
  retry, and ``_meta.callgate = {code, reasons, call_id, approval, retry}`` (the
  ``ApprovalPending`` error carries approval and retry in its ``extra``).
* ``draft_result``: a draft as an ``isError`` result (the tool produced nothing; a success
  would need ``structuredContent`` valid under the tool's output schema) with the draft in
  ``_meta.callgate.draft``.

The draft result carries ``resultType: "complete"`` so they validate under every protocol
version the SDK speaks.
"""

from __future__ import annotations

import json
from typing import Any


def callgate_meta(meta: dict[str, Any]) -> tuple[str | None, str]:
    """``params._meta.callgate``: ``{approval: <id>, mode: "draft"|"live"}`` (HTTP: X-Callgate-Approval/-Mode)."""
    cg = meta.get("callgate")
    cg = cg if isinstance(cg, dict) else {}
    approval = cg.get("approval")
    mode = cg.get("mode", "live")
    return (approval if isinstance(approval, str) else None), (mode if isinstance(mode, str) else "invalid")


def draft_result(msg_id: Any, draft: dict[str, Any]) -> dict[str, Any]:
    text = "callgate draft: nothing was sent to the tool. " + json.dumps(draft)
    # isError: the tool produced no output (nothing was sent). A success result would have to
    # carry structuredContent valid under the tool's outputSchema, which a draft cannot.
    result = {
        "content": [{"type": "text", "text": text}],
        "isError": True,
        "resultType": "complete",
        "_meta": {"callgate": {"mode": "draft", "call_id": draft.get("call_id"), "draft": draft}},
    }
    return {"jsonrpc": "2.0", "id": msg_id, "result": result}
