"""``callgate serve --workers N``: N processes sharing the listeners' ports (SO_REUSEPORT).

The parent validates, then starts N ``callgate serve --worker-index i`` processes and
supervises them: a signal is passed on to all; a worker that exits takes the others
down (the parent exits non-zero, for the process manager to restart).

What N > 1 needs:
- a shared store (``store: {url: ...}``): rate limits, quotas, idempotency keys and
  kill switches live in one place for all workers; the memory store is refused;
- MCP session bindings, definition pins and holds live in that store too, so a session
  opened on one worker is served by any other (and survives a restart);
- Prometheus multiprocess mode: the parent points ``PROMETHEUS_MULTIPROC_DIR`` at a
  fresh directory before any worker imports prometheus_client, and any worker's
  ``/metrics`` aggregates all workers;
- one decision log per worker (a log has one writer): worker ``i`` writes
  ``<stem>.w<i><suffix>``, each its own hash chain for ``callgate audit verify``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gateway.config import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def refusal(settings: Settings, workers: int) -> str | None:
    """Why ``settings`` cannot run with ``workers`` processes, or ``None``."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    if settings.store == "memory":
        return (
            f"--workers {workers} needs a shared store: the memory store is per process, so limits, quotas, "
            "idempotency keys and kill switches would not hold across workers. Set store: {url: redis://...}."
        )
    return None


def worker_log_path(path: Path, index: int) -> Path:
    return path.with_name(f"{path.stem}.w{index}{path.suffix}")


def for_worker(settings: Settings, index: int) -> Settings:
    log = settings.decision_log.model_copy(update={"path": worker_log_path(settings.decision_log.path, index)})
    return settings.model_copy(update={"decision_log": log})


def supervise(argv: list[str], workers: int) -> int:
    """Start ``workers`` copies of ``callgate serve`` (``argv`` less ``--workers``) and wait."""
    own_dir = MULTIPROC_ENV not in os.environ
    mp_dir = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="callgate-metrics-")
    env = {**os.environ, MULTIPROC_ENV: mp_dir}
    # Workers inherit an ignored SIGHUP until they install their reload handler: a reload
    # asked for while one still starts must not kill it (and with it the whole group).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    procs = [
        subprocess.Popen([sys.executable, "-m", "gateway", *argv, "--worker-index", str(i)], env=env)  # noqa: S603 - our own command
        for i in range(workers)
    ]
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = stopping or signum in (signal.SIGINT, signal.SIGTERM)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    code = 0
    try:
        while True:
            exited = [p for p in procs if p.poll() is not None]
            if exited:
                if not stopping:
                    code = 1  # a worker died on its own: take the rest down, let the supervisor restart us
                    forward(signal.SIGTERM, None)
                break
            time.sleep(0.2)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    finally:
        if own_dir:
            shutil.rmtree(mp_dir, ignore_errors=True)
    return code
