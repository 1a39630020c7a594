"""JSON-RPC 2.0 messages as MCP carries them: parse (bounded), classify, build errors.

``parse`` never raises anything but ``Malformed``: a body that is not JSON, nested
deeper than ``MAX_DEPTH`` (a 1,000-deep document would otherwise exhaust the
recursion limit) or a batch longer than ``MAX_BATCH``. The ``*_async`` forms do the
same for the event loop, in steps when a message is over ``LARGE``. ``classify`` names what a
message is — request, notification, response or invalid — so every message meets a
named rule.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

from gateway import jsondoc

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
DENIED = -32001  # every callgate refusal that is not a tool result

MAX_DEPTH = 64  # the embedded policy engine caps input nesting at 127 levels
MAX_BATCH = 64
# A message over LARGE bytes is parsed and encoded in steps, the event loop running others
# between them (``*_async``): a 1 MiB message takes 3-5 ms to parse and as long to encode.
LARGE = jsondoc.LARGE  # 64 KiB
STEP = 64 << 10  # characters encoded in one step
DEPTH_STEP = jsondoc.DEPTH_STEP  # containers looked into in one step of the nesting check (~1 ms)

Kind = Literal["request", "notification", "response", "invalid"]


class Malformed(ValueError):
    def __init__(self, message: str, code: str = "mcp.parse_error", rpc_code: int = PARSE_ERROR) -> None:
        super().__init__(message)
        self.code = code
        self.rpc_code = rpc_code


def loads(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    return jsondoc.run(loads_steps(raw, limit))


async def loads_async(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """``loads`` for the event loop: a message over ``LARGE`` lets the loop run between the
    parse and the nesting check, and between steps of the check."""
    if len(raw) <= LARGE:
        return loads(raw, limit)
    return await jsondoc.run_async(loads_steps(raw, limit))


def loads_steps(raw: bytes | str, limit: int = MAX_DEPTH) -> Generator[None, None, Any]:
    """``loads`` yielding after the parse and every ``DEPTH_STEP`` containers of the nesting
    check, for a message over ``LARGE``."""
    try:
        doc = json.loads(raw)
    except RecursionError as e:
        raise Malformed(f"JSON nested deeper than {limit} levels", "request.too_deep", INVALID_REQUEST) from e
    except (ValueError, UnicodeDecodeError) as e:
        raise Malformed(f"parse error: {e}") from e
    if len(raw) <= LARGE:
        opens = raw.count(b"{") + raw.count(b"[") if isinstance(raw, bytes) else raw.count("{") + raw.count("[")
        # nesting needs an opening bracket per level: only a document with more of them is walked
        deep = opens > limit and jsondoc.depth(doc, limit) > limit
    else:
        # (counting brackets in 1 MiB takes ~1 ms; walking a document with few containers, none)
        yield
        deep = (yield from jsondoc.depth_steps(doc, limit, DEPTH_STEP)) > limit
    if deep:
        raise Malformed(f"JSON nested deeper than {limit} levels", "request.too_deep", INVALID_REQUEST)
    return doc


def parse(raw: bytes) -> tuple[list[Any], bool]:
    """The messages in a POST body and whether it was a batch."""
    return _batch(loads(raw))


async def parse_async(raw: bytes) -> tuple[list[Any], bool]:
    """``parse`` for the event loop (``loads_async``)."""
    return _batch(await loads_async(raw))


def _batch(doc: Any) -> tuple[list[Any], bool]:
    if isinstance(doc, list):
        if not doc:
            raise Malformed("an empty batch", "mcp.batch_invalid", INVALID_REQUEST)
        if len(doc) > MAX_BATCH:
            raise Malformed(f"a batch holds at most {MAX_BATCH} messages", "mcp.batch_too_large", INVALID_REQUEST)
        return doc, True
    return [doc], False


@dataclass(slots=True)
class Message:
    kind: Kind
    body: dict[str, Any]
    id: Any = None
    method: str | None = None

    @property
    def params(self) -> Any:
        return self.body.get("params")


def valid_id(v: Any) -> bool:
    return (isinstance(v, str) and len(v) <= 256) or (isinstance(v, int) and not isinstance(v, bool))


def classify(doc: Any) -> Message:
    if not isinstance(doc, dict) or doc.get("jsonrpc") != "2.0":
        return Message("invalid", doc if isinstance(doc, dict) else {})
    method = doc.get("method")
    if isinstance(method, str):
        if "id" in doc:
            return Message("request", doc, doc["id"], method) if valid_id(doc["id"]) else Message("invalid", doc)
        return Message("notification", doc, None, method)
    if "id" in doc and ("result" in doc) != ("error" in doc):
        return Message("response", doc, doc["id"])
    return Message("invalid", doc)


def error(msg_id: Any, code: int, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": msg_id, "error": err}


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


async def dumps_async(doc: Any, size: int) -> bytes:
    """``dumps`` for the event loop: the same bytes; when ``size`` (the message it came from,
    or a bound on its length) is over ``LARGE``, in pieces with the loop running between
    (``jsondoc.compact_steps``)."""
    if size <= LARGE:
        return dumps(doc)
    await asyncio.sleep(0)  # (whatever ran before in this step, e.g. a policy decision, was its own hold)
    return await jsondoc.run_async(jsondoc.compact_steps(doc, STEP))
