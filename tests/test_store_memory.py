"""The in-memory store forgets expired entries, as Redis expires keys."""

from __future__ import annotations

import asyncio

from gateway.store.base import Admission, IdemCheck, QuotaCheck, RateCheck
from gateway.store.memory import MemoryAdmission


async def test_expired_entries_are_swept() -> None:
    store = MemoryAdmission()
    store.SWEEP_EVERY = 10
    for i in range(9):
        res = await store.admit(
            Admission(
                [RateCheck("r", f"rate:{i}", 0.01, 0.01, 1.0)],
                [QuotaCheck("q", f"quota:{i}", 10, 1, 0)],
                IdemCheck(f"idem:{i}", "fp", f"call-{i}", 0.01, 0.01),
            )
        )
        assert res.verdict == "ok"
    assert len(store) == 27
    await asyncio.sleep(0.05)
    res = await store.admit(Admission([RateCheck("r", "rate:last", 10.0, 10.0, 1.0)], []))
    assert res.verdict == "ok"
    assert len(store) == 1  # only the bucket just taken
