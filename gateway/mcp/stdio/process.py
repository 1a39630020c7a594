"""One stdio MCP server as a supervised child process: spawn, frame, log, restart.

- **Spawn.** ``argv`` with a small inherited environment (``INHERITED_ENV``) plus the
  configured ``env``: the gateway's own secrets never reach a child unless named, and
  no descriptor but its three pipes (``Child``). The child leads its own process
  group, so stopping it also stops what it started.
- **Framing.** stdout carries newline-delimited JSON-RPC. A line longer than
  ``max_line`` is dropped and logged (if it starts like ``{"jsonrpc":"2.0","id":N`` the
  request ``N`` is failed at once instead of timing out); one that goes on past
  ``FRAMING_SLACK * max_line`` bytes without a newline means framing is lost, and the
  child is restarted. Lines that are not JSON objects (or arrays of them) are dropped
  and counted. Lines over ``OFFLOAD_BYTES`` are parsed on a worker thread, so a big
  message never holds the event loop.
- **stderr** goes to the ``callgate.stdio.<name>`` logger line by line, each cut to
  ``stderr_line`` characters, at most ``stderr_lines_per_s`` lines a second (the rest
  are counted and the count logged).
- **Restart.** When the child exits it is started again after a delay that begins at
  ``restart_initial_s`` and doubles on each exit up to ``restart_max_s``; a child that
  ran ``restart_reset_s`` or longer restarts at the first delay. A program that cannot
  be started is retried the same way. ``stop()`` closes stdin, then sends SIGTERM and
  SIGKILL to the group, each after a grace period. When the child exits on its own,
  its group gets SIGTERM, then SIGKILL a second later: what it started does not
  outlive it (nor hold its pipes open).
- **Stuck children.** One that closes its stdout but lives on, or stops reading its
  stdin for ``write_timeout``, is stopped (and so restarted).

``StdioProcess`` knows nothing of MCP beyond framing: ``on_started`` (the relay's
handshake), ``on_message`` and ``on_exit`` are its only contract with the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.config import StdioConfig

log = logging.getLogger("callgate.stdio")

# What a child inherits from the gateway's environment (as the MCP SDK's stdio client does).
INHERITED_ENV = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
FRAMING_SLACK = 8  # an oversize line may run this many times max_line before framing counts as lost
OFFLOAD_BYTES = 256 << 10  # lines this long are parsed off the event loop
READ_CHUNK = 64 << 10
MAX_BATCH = 64  # messages taken from one array line
STOP_GRACE_S = 2.0
EXIT_POLL_S = 0.1
_LEADING_ID = re.compile(rb'^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d{1,18})\s*[,}]')

Message = dict[str, Any]


class Tally(Counter[str]):
    """Counts by reason; each count also goes to ``hook`` (a Prometheus counter), when there is one."""

    def __init__(self, hook: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.hook = hook

    def add(self, reason: str) -> int:
        self[reason] += 1
        if self.hook is not None:
            self.hook(reason)
        return self[reason]


class ChildUnavailable(Exception):
    """The child is not running (starting, restarting, exited or stopped)."""


@dataclass(frozen=True, slots=True)
class ChildSpec:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path | None
    limits: StdioConfig


class Child:
    """A running child: the ``Popen`` and its three pipes, attached to the event loop.

    Spawned with ``subprocess.Popen`` (``close_fds``: the child inherits nothing but its
    three pipes) rather than ``loop.subprocess_exec``: uvloop's leaves duplicates of the
    child's ends open in the child, so a child that closes its stdout gives no EOF, and
    asyncio's ``Process.wait()`` waits for the pipes too. The exit is polled
    (``Popen.poll``, a non-blocking ``waitpid``) every ``EXIT_POLL_S``.
    """

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
        transports: list[asyncio.BaseTransport],
    ) -> None:
        self.popen, self.stdin, self.stdout, self.stderr = popen, stdin, stdout, stderr
        self._transports = transports

    @staticmethod
    def _popen(spec: ChildSpec) -> subprocess.Popen[bytes]:
        """fork+exec, as ``loop.subprocess_exec`` does too: a few milliseconds on the loop."""
        return subprocess.Popen(  # noqa: S603 - the operator's configured argv, no shell
            list(spec.argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=spec.env,
            cwd=spec.cwd,
            start_new_session=True,
            close_fds=True,
            bufsize=0,
        )

    @classmethod
    async def spawn(cls, spec: ChildSpec) -> Child:
        popen = cls._popen(spec)
        transports: list[asyncio.BaseTransport] = []
        try:
            loop = asyncio.get_running_loop()
            if popen.stdin is None or popen.stdout is None or popen.stderr is None:  # cannot be: PIPEs
                raise OSError("child started without pipes")
            out, err = asyncio.StreamReader(), asyncio.StreamReader()
            t1, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(out), popen.stdout)
            transports.append(t1)
            t2, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(err), popen.stderr)
            transports.append(t2)
            wt, wp = await loop.connect_write_pipe(
                lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), popen.stdin
            )
            transports.append(wt)
        except BaseException:
            for t in transports:
                t.close()
            popen.kill()
            popen.wait()
            raise
        return cls(popen, asyncio.StreamWriter(wt, wp, None, loop), out, err, transports)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    async def wait(self) -> int:
        while (code := self.popen.poll()) is None:  # noqa: ASYNC110 - no event tells a child's exit
            await asyncio.sleep(EXIT_POLL_S)
        return code

    def signal_group(self, sig: int) -> None:
        """Signal the child's process group (it leads one): what it started gets the signal too."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def close(self) -> None:
        for t in self._transports:
            t.close()


def child_environment(configured: dict[str, str], environ: dict[str, str] | None = None) -> dict[str, str]:
    base = os.environ if environ is None else environ
    return {k: base[k] for k in INHERITED_ENV if k in base} | configured


class StdioProcess:
    def __init__(
        self,
        spec: ChildSpec,
        *,
        on_message: Callable[[Message, int], None],
        on_started: Callable[[int], Awaitable[None]],
        on_exit: Callable[[int], None],
        on_oversize: Callable[[int], None],
        write_timeout: float = 10.0,
        dropped: Tally | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        """``on_message(msg, size)``, ``on_started(generation)``, ``on_exit(generation)``, ``on_oversize(id)``."""
        self.spec = spec
        self.write_timeout = write_timeout
        self.log = logging.getLogger(f"callgate.stdio.{spec.name}")
        self._on_message = on_message
        self._on_started = on_started
        self._on_exit = on_exit
        self._on_oversize = on_oversize
        self.generation = 0
        self.starts = 0
        self.dropped = dropped if dropped is not None else Tally()  # reason -> lines dropped
        self._count_start = on_start
        self._proc: Child | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    # ------------------------------------------------------------ lifetime

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._supervise(), name=f"stdio:{self.spec.name}")

    async def stop(self) -> None:
        """Stop the child (stdin closed, then SIGTERM, then SIGKILL to its group) and stop restarting it."""
        self._stopping = True
        proc = self._proc
        if proc is not None:
            await self._terminate(proc, polite=True)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for t in list(self._background):
            t.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def kill(self, reason: str) -> None:
        """Stop the current child now (it will be restarted); ``reason`` is logged."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        self.log.error("stdio server %s: %s; stopping it (pid %d)", self.spec.name, reason, proc.pid)
        self._spawn(self._terminate(proc, polite=False))

    # ------------------------------------------------------------ sending

    async def send(self, data: bytes, generation: int) -> None:
        """Write one framed message (``data`` ends with a newline) to the child of ``generation``.

        Waits at most ``write_timeout`` for the child to take it (a child that stops reading
        its input cannot make the gateway buffer without end)."""
        proc = self._proc
        if proc is None or proc.returncode is not None or self.generation != generation:
            raise ChildUnavailable(f"stdio server {self.spec.name!r} is not running")
        try:
            proc.stdin.write(data)
            async with asyncio.timeout(self.write_timeout):
                await proc.stdin.drain()
        except (ConnectionError, RuntimeError) as e:
            raise ChildUnavailable(f"stdio server {self.spec.name!r} closed its input") from e
        except TimeoutError as e:
            self.kill(f"not reading its input for {self.write_timeout:g} s")
            raise ChildUnavailable(f"stdio server {self.spec.name!r} is not reading its input") from e

    # ------------------------------------------------------------ supervision

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _delay(self, failures: int) -> float:
        lim = self.spec.limits
        return float(min(lim.restart_initial_s * (2 ** min(failures, 30)), lim.restart_max_s))

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping:
            began = loop.time()
            try:
                proc = await Child.spawn(self.spec)
            except OSError as e:
                self.log.error("stdio server %s cannot be started: %s", self.spec.name, e)
            else:
                await self._run(proc)
            if self._stopping:
                break
            if loop.time() - began >= self.spec.limits.restart_reset_s:
                failures = 0
            delay = self._delay(failures)
            failures += 1
            self.log.warning("stdio server %s: restarting in %.1f s", self.spec.name, delay)
            await asyncio.sleep(delay)

    async def _run(self, proc: Child) -> None:
        self.generation += 1
        self.starts += 1
        if self._count_start is not None:
            self._count_start()
        gen = self.generation
        self._proc = proc
        began = time.monotonic()
        self.log.info("stdio server %s started (pid %d)", self.spec.name, proc.pid)
        readers = [
            asyncio.ensure_future(self._read_stdout(proc, proc.stdout)),
            asyncio.ensure_future(self._read_stderr(proc.stderr)),
        ]
        handshake = asyncio.ensure_future(self._on_started(gen))
        try:
            code = await proc.wait()
            # what it started dies with it: SIGTERM to its group now, SIGKILL after the grace below
            proc.signal_group(signal.SIGTERM)
            # what the child wrote before it exited is still delivered, if its pipes close soon
            # (a grandchild may keep them open: then they are cut)
            await asyncio.wait(readers, timeout=1.0)
            proc.signal_group(signal.SIGKILL)
        finally:
            for t in (*readers, handshake):
                t.cancel()
            await asyncio.gather(*readers, handshake, return_exceptions=True)
            proc.close()
            self._proc = None
            self._on_exit(gen)
        self.log.warning("stdio server %s exited with %s after %.1f s", self.spec.name, code, time.monotonic() - began)

    async def _terminate(self, proc: Child, *, polite: bool) -> None:
        if polite:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_GRACE_S):
                    await proc.wait()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.returncode is not None:
                return
            proc.signal_group(sig)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_GRACE_S):
                    await proc.wait()

    # ------------------------------------------------------------ stdout

    async def _read_stdout(self, proc: Child, out: asyncio.StreamReader) -> None:
        max_line = int(self.spec.limits.max_line)
        buf = bytearray()
        skipping = 0  # > 0: inside an oversize line, this many bytes dropped so far
        while True:
            chunk = await out.read(READ_CHUNK)
            if not chunk:
                # a child that closed its stdout but lives on can never answer again
                for _ in range(20):
                    if proc.returncode is not None:
                        return
                    await asyncio.sleep(0.05)
                self.kill("closed its stdout")
                return
            start = 0
            while start < len(chunk):
                nl = chunk.find(b"\n", start)
                end = len(chunk) if nl < 0 else nl
                if skipping:
                    skipping += end - start
                    if nl >= 0:
                        self._dropped("oversize", f"a line of {skipping} bytes (max_line is {max_line})")
                        skipping = 0
                    elif skipping > FRAMING_SLACK * max_line:
                        self.dropped.add("framing_lost")
                        self.kill(f"framing lost: {skipping} bytes without a newline")
                        while await out.read(READ_CHUNK):  # drained to EOF: a pipe left full never closes
                            pass
                        return
                else:
                    buf += chunk[start:end]
                    if len(buf) > max_line:
                        self._oversize(bytes(buf[:256]))
                        skipping, buf = len(buf), bytearray()
                        if nl >= 0:
                            self._dropped("oversize", f"a line of {skipping} bytes (max_line is {max_line})")
                            skipping = 0
                    elif nl >= 0:
                        line = bytes(buf)
                        buf.clear()
                        await self._line(line)
                if nl < 0:
                    break
                start = nl + 1

    def _oversize(self, head: bytes) -> None:
        m = _LEADING_ID.match(head)
        if m is not None:
            self._on_oversize(int(m.group(1)))

    async def _line(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            doc = await asyncio.to_thread(json.loads, line) if len(line) > OFFLOAD_BYTES else json.loads(line)
        except (ValueError, RecursionError):
            self._dropped("not_json", f"a line that is not JSON: {line[:120]!r}")
            return
        items = doc if isinstance(doc, list) else [doc]
        if not items or len(items) > MAX_BATCH or not all(isinstance(m, dict) for m in items):
            self._dropped("not_message", f"a line that is not a JSON-RPC message: {line[:120]!r}")
            return
        for m in items:
            self._on_message(m, len(line))

    def _dropped(self, reason: str, what: str) -> None:
        n = self.dropped.add(reason)
        if n <= 10 or n % 1000 == 0:  # bounded: the first few, then one line per thousand
            self.log.warning("stdio server %s: dropped %s (%s #%d)", self.spec.name, what, reason, n)

    # ------------------------------------------------------------ stderr

    async def _read_stderr(self, err: asyncio.StreamReader) -> None:
        lim = self.spec.limits
        width = lim.stderr_line
        rate = lim.stderr_lines_per_s
        tokens = burst = max(rate, 1.0)
        last = time.monotonic()
        suppressed = 0
        buf = bytearray()
        while True:
            try:
                async with asyncio.timeout(1.0):
                    chunk = await err.read(READ_CHUNK)
            except TimeoutError:  # quiet for a second: say how many lines the rate limit held back
                if suppressed:
                    self.log.warning("stdio server %s: %d stderr lines not logged (rate)", self.spec.name, suppressed)
                    suppressed = 0
                continue
            lines: list[bytes] = []
            if chunk:
                parts = chunk.split(b"\n")
                for i, part in enumerate(parts):
                    room = width * 4 - len(buf)  # utf-8: at most 4 bytes a character; the rest is dropped
                    if room > 0:
                        buf += part[:room]
                    if i < len(parts) - 1:
                        lines.append(bytes(buf))
                        buf.clear()
            elif buf:
                lines.append(bytes(buf))
                buf.clear()
            for raw in lines:
                now = time.monotonic()
                tokens = min(burst, tokens + (now - last) * rate)
                last = now
                if tokens < 1:
                    suppressed += 1
                    continue
                tokens -= 1
                if suppressed:
                    self.log.warning("stdio server %s: %d stderr lines not logged (rate)", self.spec.name, suppressed)
                    suppressed = 0
                text = raw.decode("utf-8", errors="replace").rstrip("\r")
                if len(text) > width:
                    text = text[:width] + "…"
                self.log.info("[%s] %s", self.spec.name, text)
            if not chunk:
                if suppressed:
                    self.log.warning("stdio server %s: %d stderr lines not logged (rate)", self.spec.name, suppressed)
                return
