"""``Memo``: a remembered pure function's results, bounded.

Per-call work that is a pure function of a short key that repeats (a request target, an
upstream URL, the Forwarded headers of a client address, a URL path's findings) is
remembered in a ``Memo``: a ``dict`` (lookups are ``dict.get``, at C speed) that holds at
most ``size`` entries and drops the oldest to take a new one. Callers decide what may be
remembered (short keys only, never a refusal) and copy what they hand out when a caller
may change it.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

MEMO_SIZE = 4096  # entries per memo
MEMO_CHARS = 256  # longer keys are worked out every time (a memo of long keys would hold MBs)


class Memo(dict[K, V]):
    __slots__ = ("size",)

    def __init__(self, size: int = MEMO_SIZE) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` (dropping the oldest entry when full); return it."""
        if key not in self and len(self) >= self.size:
            del self[next(iter(self))]
        self[key] = value
        return value
