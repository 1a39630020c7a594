"""Large inspections in a process of their own, so the event loop never waits for them.

A thread does not keep the loop free: the detectors are Python and regexes, which hold
the interpreter lock, and the loop waits for it at every hand-over (measured: holds of
5-25 ms per hand-over on this 2-core machine under load, with 1 MiB inputs). A separate
process shares no lock with the loop; what the loop pays is sending the input (a copy)
and reading back the findings and spans (bounded: ``runner.MAX_FINDINGS`` findings,
``runner.MAX_SPANS_PER_KIND`` spans per kind, which share their findings).

One process per gateway process and detector configuration (``Spec``), started on first
use (``warm`` starts it at gateway start) from a fork server that has imported the
detectors once, so a new one starts in milliseconds. It serves one inspection at a time:
large inspections queue there, as they did on the single inspection thread. When the
process dies (killed, out of memory), the calls waiting on it fail with 503
``inspection.unavailable`` (fail closed) and the next call starts a new one; one that
cannot start (the fork server needs a writable temporary directory) fails the call so
too.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from array import array
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway.errors import Reason, Unavailable

if TYPE_CHECKING:
    from gateway.inspect.base import Hit
    from gateway.inspect.prefilter import Engine
    from gateway.inspect.runner import InspectOptions, Inspector
    from gateway.model import Finding

log = logging.getLogger("callgate.inspect")


@dataclass(frozen=True, slots=True)
class Spec:
    """What the inspection process builds its inspector from (the default detectors)."""

    prefilter: bool
    engine: Engine | None


_ctx = multiprocessing.get_context("forkserver")
_ctx.set_forkserver_preload(["gateway.inspect.runner"])
_lock = threading.Lock()
# The longest one inspection may take, waiting in the queue included (a 1 MiB hostile body
# takes about 2 s of CPU here).
TIMEOUT_S = 30.0
_pools: dict[tuple[int, Spec], ProcessPoolExecutor] = {}  # keyed by pid too: a forked worker makes its own

# ------------------------------------------------------------------ in the inspection process

_inspectors: dict[Spec, Inspector] = {}


def _inspector(spec: Spec) -> Inspector:
    ins = _inspectors.get(spec)
    if ins is None:
        from gateway.inspect.runner import Inspector

        ins = _inspectors[spec] = Inspector(prefilter=spec.prefilter, engine=spec.engine, process=False)
    return ins


# What crosses between the processes is plain tuples and arrays: pickling the dataclasses
# themselves goes through a Python-level ``__setstate__`` per object (8,192 hits took
# 43 ms to read back, on the gateway's interpreter lock).
_Packed = tuple[tuple[Any, ...], ...]
_HITS_PER_STEP = 1024


def _pack(findings: list[Finding]) -> _Packed:
    return tuple(
        (f.detector, f.surface, f.severity, f.owasp, f.path, f.evidence, f.confidence, f.kind) for f in findings
    )


def _unpack(packed: _Packed) -> list[Finding]:
    from gateway.model import Finding

    return [Finding(*t) for t in packed]


def _output(spec: Spec, body: bytes, opts: InspectOptions) -> tuple[_Packed, _Packed, array[int], array[int]]:
    findings, hits = _inspector(spec).output(body, opts)
    index: dict[int, int] = {id(f): i for i, f in enumerate(findings)}
    extra: list[Finding] = []  # findings of hits that the capped list does not hold
    which, spans = array("i"), array("q")
    for h in hits:
        i = index.get(id(h.finding))
        if i is None:
            i = index[id(h.finding)] = len(findings) + len(extra)
            extra.append(h.finding)
        which.append(i)
        spans.extend(h.span if h.span is not None else (-1, -1))
    return _pack(findings), _pack(extra), which, spans


def _arguments(spec: Spec, args: Any, opts: InspectOptions, root: str, schema: bool) -> _Packed:
    return _pack(_inspector(spec).arguments(args, opts, root=root, schema=schema))


WATCH_S = 1.0  # how often the inspection process looks for the gateway process that started it


def _watch(gateway_pid: int) -> None:
    """In the inspection process: exit once the gateway process is gone.

    A gateway that dies without shutting its pool down (SIGKILL, the OOM killer, a crash)
    left its inspection process blocked for ever on its task queue — it holds both ends of
    that pipe, so it never reads an end-of-file — and with it the fork server, which
    lives while a process it started holds its "alive" pipe: two processes (~80 MB) per
    gateway death (thirteen pairs accumulated over a day of test runs here)."""

    def watch() -> None:
        while True:
            time.sleep(WATCH_S)
            try:
                os.kill(gateway_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # pragma: no cover - a pid reused by another user's process
                os._exit(0)

    threading.Thread(target=watch, name="callgate-gateway-watch", daemon=True).start()


def _ready(spec: Spec) -> int:
    ins = _inspector(spec)
    if ins.prefilter is not None:
        from gateway.inspect.prefilter import GROUPS

        for group in GROUPS:
            group.seal_now()  # here, not in the first large call the process serves
    return os.getpid()


# ------------------------------------------------------------------ in the gateway process


def _pool(spec: Spec) -> ProcessPoolExecutor:
    key = (os.getpid(), spec)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ProcessPoolExecutor(
                max_workers=1, mp_context=_ctx, initializer=_watch, initargs=(os.getpid(),)
            )
        return pool


def _processes(pool: ProcessPoolExecutor) -> dict[int, Any]:
    """The pool's worker processes by pid (``ProcessPoolExecutor`` keeps them in ``_processes``)."""
    procs: dict[int, Any] | None = getattr(pool, "_processes", None)
    return procs or {}


def _drop(spec: Spec, pool: ProcessPoolExecutor) -> None:
    with _lock:
        if _pools.get((os.getpid(), spec)) is pool:
            del _pools[(os.getpid(), spec)]
    pool.shutdown(wait=False, cancel_futures=True)


async def run(spec: Spec, fn: Any, *args: Any) -> Any:
    """``fn(spec, *args)`` in the inspection process; 503 ``inspection.unavailable`` if it died."""
    loop = asyncio.get_running_loop()
    for _ in range(2):
        pool = _pool(spec)
        try:
            pending = loop.run_in_executor(pool, fn, spec, *args)
        except BrokenProcessPool:  # it died while idle: nothing of this call ran, a new one takes it
            _drop(spec, pool)
            continue
        except (OSError, RuntimeError) as e:  # it cannot start (no writable temp dir, no processes left)
            _drop(spec, pool)
            log.error("the inspection process cannot start: %s", e)
            raise _unavailable("the inspection process cannot start") from e
        try:
            return await asyncio.wait_for(pending, TIMEOUT_S)
        except BrokenProcessPool as e:
            _drop(spec, pool)
            log.error("the inspection process died during an inspection; the next one starts a new process")
            raise _unavailable() from e
        except TimeoutError as e:
            # Stuck (or a queue that long): kill it; the calls waiting on it fail closed too.
            for proc in list(_processes(pool).values()):
                proc.kill()
            _drop(spec, pool)
            log.error("an inspection took over %s s; the inspection process was killed", TIMEOUT_S)
            raise _unavailable(f"the inspection did not finish in {TIMEOUT_S:g} s") from e
    raise _unavailable()


def _unavailable(why: str = "the inspection process died") -> Unavailable:
    return Unavailable(
        f"inspection could not run: {why}",
        code="inspection.unavailable",
        reasons=[Reason.of("inspection.unavailable", why)],
    )


async def output(spec: Spec, body: bytes, opts: InspectOptions) -> tuple[list[Finding], list[Hit]]:
    from gateway.inspect.base import Hit

    packed, extra, which, spans = await run(spec, _output, body, opts)
    findings = _unpack(packed)
    every = findings + _unpack(extra)  # a hit's finding is the same object as in the list, as in-process
    hits: list[Hit] = []
    for lo in range(0, len(which), _HITS_PER_STEP):  # thousands of spans: built in steps, the loop runs between
        if lo:
            await asyncio.sleep(0)
        for n in range(lo, min(len(which), lo + _HITS_PER_STEP)):
            a, b = spans[2 * n], spans[2 * n + 1]
            hits.append(Hit(every[which[n]], (a, b) if a >= 0 else None))
    return findings, hits


async def arguments(spec: Spec, args: Any, opts: InspectOptions, root: str, schema: bool) -> list[Finding]:
    return _unpack(await run(spec, _arguments, args, opts, root, schema))


async def warm(spec: Spec) -> int:
    """Start the inspection process and build its inspector; its pid."""
    pid: int = await run(spec, _ready)
    return pid


def pids() -> list[int]:
    """The inspection processes of this gateway process (tests kill them)."""
    with _lock:
        pools = [p for (pid, _), p in _pools.items() if pid == os.getpid()]
    return [pid for p in pools for pid in list(_processes(p))]
