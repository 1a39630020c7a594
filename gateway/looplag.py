"""Event-loop lag: how late the loop runs a periodic timer.

Every ``INTERVAL_S`` a task asks to be woken; how much later than asked it runs is the
time the loop was held by other work (a long computation, a large JSON parse, the
interpreter lock held by another thread) or the process was not given a CPU. It goes
to ``callgate_event_loop_lag_seconds``: its ``le="0.01"`` bucket against the count says
how often a call stalled every other call on the worker for more than 10 ms (issue 13's
bound); ``make bench`` reports that per case.
"""

from __future__ import annotations

import asyncio

from prometheus_client import Histogram

INTERVAL_S = 0.02  # 50 wake-ups a second: about 1 ms of CPU a second
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


async def watch(histogram: Histogram) -> None:
    """Observe the loop's lateness forever (cancel to stop)."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + INTERVAL_S
        await asyncio.sleep(INTERVAL_S)
        histogram.observe(max(0.0, loop.time() - asked))
