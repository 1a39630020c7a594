"""Server-sent events as MCP uses them: one JSON-RPC message per event.

``iter_events`` reads a stream chunk by chunk (never line by line: aiohttp refuses
lines over 128 KiB) and yields whole events; an event longer than ``limit`` raises
``EventTooLarge`` — the buffer is bounded. ``data`` joins an event's ``data:``
lines; ``encode`` writes a message back into an event, keeping its ``id:`` and
``event:`` lines (``frame``: the same for a message already encoded).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any


class EventTooLarge(ValueError):
    pass


async def _chunks(stream: Any, idle_s: float | None) -> AsyncIterator[bytes]:
    """The stream's chunks; with ``idle_s``, an empty chunk after that long without data."""
    if idle_s is None:
        async for chunk in stream.iter_any():
            yield chunk
        return
    while True:
        try:
            chunk = await asyncio.wait_for(stream.readany(), idle_s)
        except TimeoutError:
            yield b""
            continue
        if not chunk:
            return
        yield chunk


async def iter_events(stream: Any, limit: int, idle_s: float | None = None) -> AsyncIterator[bytes]:
    """Whole events; with ``idle_s``, ``b""`` after that long without one (the caller's keepalive)."""
    buf = bytearray()
    scanned = 0  # buf[:scanned] holds no separator: each byte is searched once (small chunks stay linear)
    pending_cr = False
    async for chunk in _chunks(stream, idle_s):
        if not chunk:
            yield b""
            continue
        if pending_cr:
            chunk = b"\r" + chunk
            pending_cr = False
        if chunk.endswith(b"\r"):
            chunk, pending_cr = chunk[:-1], True
        buf += chunk.replace(b"\r\n", b"\n")
        while True:
            end = buf.find(b"\n\n", max(scanned - 1, 0))  # a separator may straddle the old end
            if end < 0:
                scanned = len(buf)
                break
            if end > limit:
                raise EventTooLarge(f"an event longer than {limit} bytes")
            event = bytes(buf[: end + 2])
            del buf[: end + 2]
            scanned = 0
            if event.strip():
                yield event
        if len(buf) > limit:
            raise EventTooLarge(f"an event longer than {limit} bytes")
    if bytes(buf).strip():
        if len(buf) > limit:
            raise EventTooLarge(f"an event longer than {limit} bytes")
        yield bytes(buf) + b"\n\n"


def split(body: bytes) -> list[bytes]:
    events = body.replace(b"\r\n", b"\n").split(b"\n\n")
    return [e + b"\n\n" for e in events if e.strip()]


def data(event: bytes) -> str | None:
    lines = [
        line[5:].removeprefix(b" ").decode("utf-8", errors="replace")
        for line in event.splitlines()
        if line.startswith(b"data:")
    ]
    return "\n".join(lines) if lines else None


def encode(message: Any, event: bytes = b"event: message\n") -> bytes:
    return frame(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode(), event)


def frame(payload: bytes, event: bytes = b"event: message\n") -> bytes:
    """An encoded message (``payload``: JSON, one line) as an event, with ``event``'s own lines."""
    kept = [line for line in event.splitlines() if line and not line.startswith(b"data:")]
    return b"\n".join([*kept, b"data: " + payload]) + b"\n\n"
