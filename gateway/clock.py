"""Wall-clock timestamps as the records and the policy input write them: RFC 3339, UTC.

One helper for every record time (decision, admin, approval, audit, checkpoint) and
one for the policy's ``now``. Hot path: the seconds are formatted once per second.
"""

from __future__ import annotations

import time

_SECOND: list[int | str] = [-1, ""]  # the last whole second formatted, and its text


def _seconds(whole: int) -> str:
    if whole != _SECOND[0]:
        _SECOND[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _SECOND[0] = whole
    return str(_SECOND[1])


def iso(ts: float) -> str:
    """``ts`` with microseconds, e.g. ``2026-11-23T20:00:00.123456Z``."""
    whole = int(ts)
    return f"{_seconds(whole)}.{int((ts - whole) * 1e6):06d}Z"


def iso_now() -> str:
    """Now, to the second, e.g. ``2026-11-23T20:00:00Z`` (the policy input's ``now``)."""
    return _seconds(int(time.time())) + "Z"
