"""The event-loop lag histogram (``gateway/looplag.py``): it counts how often the loop ran
its timer late, and a real stall of the loop shows in the buckets past 10 ms."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Gateway, GatewayFactory


async def lag(gw: Gateway) -> dict[str, float]:
    r = await gw.admin.get("/metrics")
    out: dict[str, float] = {}
    for fam in text_string_to_metric_families(await r.text()):
        if fam.name == "callgate_event_loop_lag_seconds":
            for s in fam.samples:
                if s.name.endswith("_bucket"):
                    out[s.labels["le"]] = s.value
                elif s.name.endswith("_count"):
                    out["count"] = s.value
    return out


async def test_a_stalled_loop_shows_in_the_lag_histogram(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    await asyncio.sleep(0.1)
    before = await lag(gw)
    assert before["count"] >= 2  # the watch runs from the gateway's start
    time.sleep(0.06)  # noqa: ASYNC251 - holding the loop 60 ms is the point
    await asyncio.sleep(0.05)
    after = await lag(gw)
    assert after["count"] > before["count"]
    over_10ms = (after["count"] - after["0.01"]) - (before["count"] - before["0.01"])
    over_25ms = (after["count"] - after["0.025"]) - (before["count"] - before["0.025"])
    assert over_10ms >= 1 and over_25ms >= 1
