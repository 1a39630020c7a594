"""The live decision stream: decision records, summarised, fanned out to console subscribers.

``publish`` never waits: each subscriber has a bounded queue (``QUEUE``); an event
that does not fit is dropped for that subscriber and counted
(``callgate_console_events_dropped_total``), and the subscriber sees a ``dropped``
count on its next event. At most ``MAX_SUBSCRIBERS`` subscribe at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.metrics import Metrics

QUEUE = 256
MAX_SUBSCRIBERS = 32
_FIELDS = ("kind", "id", "time", "agent", "tenant", "tool", "action", "outcome", "status", "code", "approval")


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    """What the console shows of a record: no arguments, no findings' evidence."""
    out = {k: record[k] for k in _FIELDS if k in record}
    if record.get("kind") == "approval":
        out["event"] = record.get("event")
        out["call_id"] = record.get("call_id")
    return out


class Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE)
        self.dropped = 0


class DecisionStream:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.subscribers: set[Subscriber] = set()

    def subscribe(self) -> Subscriber | None:
        if len(self.subscribers) >= MAX_SUBSCRIBERS:
            return None
        sub = Subscriber()
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def close_all(self) -> None:
        """Tell every subscriber to end (server shutdown): an empty event, room made if need be."""
        for sub in self.subscribers:
            if sub.queue.full():
                sub.queue.get_nowait()
            sub.queue.put_nowait({})

    def publish(self, record: dict[str, Any]) -> None:
        if not self.subscribers:
            return
        event = summarize(record)
        for sub in self.subscribers:
            if sub.dropped:
                event = {**event, "dropped": sub.dropped}
            try:
                sub.queue.put_nowait(event)
                sub.dropped = 0
            except asyncio.QueueFull:
                sub.dropped += 1
                self.metrics.console_events_dropped.inc()
