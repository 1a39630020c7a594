"""The decision log: an append-only, hash-chained JSON Lines file with group commit.

One line per record, each line one JSON object carrying ``prev_hash`` and ``hash``
(see ``gateway.audit.chain``). The caller builds the record; the log adds the chain
fields in write order and writes the line.

Group commit
    ``append()`` puts the record on a pending list and, when no flush is scheduled,
    schedules one with ``loop.call_soon``. Every append made before that callback
    runs (up to ``max_batch``) lands in the same batch: the flush chains the batch
    in order and writes all its lines with one ``os.write`` on the event-loop thread
    (a small local write costs microseconds; a thread hop would cost more). Then,
    by ``fsync`` mode:

    - ``always``: one ``fsync`` runs in a worker thread; the batch's appends return
      only after it. At most one fsync is in flight; batches written meanwhile wait
      for the next one, so under load one fsync covers many batches.
    - ``interval``: appends return after the write; a background task fsyncs every
      ``fsync_interval_ms`` if anything was written.
    - ``never``: appends return after the write; the OS decides when to flush.

Guarantee
    When ``append()`` returns, the record is in the file (and, with ``always``, on
    stable storage) and every record appended before it is too, in order. When it
    raises ``AuditUnavailable``, the record is not in the file: a failed or short
    write is cut off again with ``ftruncate`` back to the end of the last good
    write, and with ``always`` a failed fsync cuts the file back to what the last
    good fsync made durable, failing every append not yet acknowledged. The file
    therefore always holds whole, chained lines, and the chain head only moves
    after a successful write. If the file cannot be cut back, the log refuses all
    further appends until it is reopened (a torn line must not be followed by more).

    A record handed to ``append()`` is written even if the awaiting caller is
    cancelled meanwhile: the log records what it was given.

Restarts
    ``open()`` continues the chain from the last complete line. A torn trailing line
    (a crash mid-write leaves no final newline) is cut off and an ``admin`` record
    ``log.recovered`` says how many bytes were dropped (and their SHA-256), so the
    cut is itself on the record. A damaged last complete line is not guessed
    around: ``open()`` refuses, and an operator runs ``callgate audit verify``.

One process per file: ``open()`` takes an exclusive ``flock`` on it; a second
writer, which would fork the chain, gets ``AuditUnavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.audit.bound import LADDER, bound, fallback
from gateway.audit.chain import GENESIS, canonical, record_hash
from gateway.audit.checkpoint import (
    Checkpoint,
    CheckpointKeyError,
    Signer,
    load_private_key,
    read_export,
    scan,
    write_export,
)
from gateway.clock import iso
from gateway.config import DecisionLogConfig
from gateway.errors import ConfigError, Unavailable
from gateway.metrics import Metrics

KINDS = frozenset({"call", "intent", "admin", "checkpoint", "state.lost"})
"""Record kinds counted under their own label; anything else counts as ``other``."""

_CHUNK = 64 * 1024
log = logging.getLogger("callgate.audit")


class AuditUnavailable(Unavailable):
    """The decision log could not take the record (not open, closed, or a failed write).

    It is its own answer, so nothing re-wraps it: a 503 ``audit.unavailable`` whose
    message is ``answer`` ("the decision log cannot be written" unless the raiser says
    more). The cause — a path, an OS error — is ``detail``, which is also what
    ``str()`` gives, for the gateway's own log; it is never in an answer. A call that
    cannot be recorded does not proceed.
    """

    code = "audit.unavailable"
    title = "Decision log unavailable"

    def __init__(self, detail: str, *, answer: str = "the decision log cannot be written") -> None:
        super().__init__(answer)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class LogCheckFailed(AuditUnavailable):
    """The log's tail does not match its signed checkpoint: the gateway refuses to extend it."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"decision log {path} fails its signed checkpoint; refusing to extend it "
            "(run `callgate audit verify --key`; to start anyway, set decision_log.checkpoints."
            "allow_unverified_start or pass --allow-unverified-log, which is recorded): " + "; ".join(self.problems)
        )


Exporter = Callable[[Checkpoint], Awaitable[None]]


@dataclass(slots=True)
class _Opened:
    fd: int
    size: int
    head: str
    torn: bytes | None


def _admin(action: str, reason: str, **fields: Any) -> dict[str, Any]:
    """A record the log writes about itself (recovery, override, unanchored start)."""
    return {"kind": "admin", "action": action, "time": iso(time.time()), "reason": reason, **fields}


def _rfind_newline(fd: int, end: int) -> int:
    """Offset of the last ``\\n`` before ``end``, or -1; reads backwards in chunks."""
    pos = end
    while pos > 0:
        start = max(0, pos - _CHUNK)
        i = os.pread(fd, pos - start, start).rfind(b"\n")
        if i >= 0:
            return start + i
        pos = start
    return -1


def _last_hash(fd: int, end: int, path: Path) -> str:
    """The ``hash`` of the line ending at ``end`` (exclusive of its ``\\n``), checked."""
    start = _rfind_newline(fd, end - 1) + 1
    raw = os.pread(fd, end - 1 - start, start)
    try:
        rec = json.loads(raw)
    except ValueError:
        rec = None
    if not isinstance(rec, dict) or not isinstance(rec.get("hash"), str) or not isinstance(rec.get("prev_hash"), str):
        problem = "is not a decision record"
    elif record_hash(rec) != rec["hash"]:
        problem = "does not match its hash"
    else:
        return str(rec["hash"])
    raise AuditUnavailable(
        f"decision log {path}: the last line (at byte {start}) {problem}; "
        "run `callgate audit verify` on it and move it aside before starting"
    )


def _open_file(path: Path) -> _Opened:
    """Open, lock and recover the log file; runs in a worker thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise AuditUnavailable(f"decision log {path} is not a regular file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AuditUnavailable(f"decision log {path} is in use by another process") from None
        size = st.st_size
        torn: bytes | None = None
        if size and os.pread(fd, 1, size - 1) != b"\n":
            end = _rfind_newline(fd, size) + 1
            torn = os.pread(fd, size - end, end)
            os.ftruncate(fd, end)
            os.fsync(fd)
            size = end
        head = _last_hash(fd, size, path) if size else GENESIS
        if created:
            dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        return _Opened(fd, size, head, torn)
    except BaseException:
        os.close(fd)
        raise


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written (a write may take fewer bytes)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "write wrote nothing")
        view = view[n:]


def _unavailable(message: str, cause: BaseException | None = None) -> AuditUnavailable:
    exc = AuditUnavailable(message)
    exc.__cause__ = cause
    return exc


class DecisionLog:
    """The hash-chained decision log of one gateway process (see the module docstring)."""

    def __init__(self, cfg: DecisionLogConfig, metrics: Metrics | None = None) -> None:
        self._cfg = cfg
        self._metrics = metrics
        self._kind_counters: dict[str, Any] = {}  # log_records' child per kind label (at most len(KINDS) + 1)
        self._batch_sizes = metrics.pending_histogram(metrics.log_batch_size) if metrics is not None else None
        self._depth_shown = -1  # the queue depth last written to the gauge
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd: int | None = None
        self._closing = False
        self._head = GENESIS
        self._size = 0  # end of the last successful write
        self._durable_head = GENESIS  # as of the last successful fsync ("always")
        self._durable_size = 0
        self._writable = False
        self._broken: str | None = None  # the file could not be cut back after a failure
        self._pending: list[tuple[dict[str, Any], asyncio.Future[str]]] = []
        self._flush_handle: asyncio.Handle | None = None
        self._unsynced: list[tuple[asyncio.Future[str], str]] = []  # "always": written, awaiting fsync
        self._sync_task: asyncio.Task[None] | None = None
        self._interval_task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._dirty = False  # written since the last fsync ("interval")
        # signed checkpoints (gateway/audit/checkpoint.py)
        self._signer: Signer | None = None
        cp_cfg = cfg.checkpoints
        if cp_cfg is not None:
            try:
                self._signer = Signer(load_private_key(cp_cfg.key.resolve().get_secret_value()))
            except (ValueError, CheckpointKeyError) as e:
                raise ConfigError([("decision_log.checkpoints.key", str(e))]) from e
        self._seq = 0  # lines in the file
        self._log_id: str | None = None  # hash of the first line
        self._since_cp = 0  # lines since the last checkpoint
        self._cp_due = False
        self._last_cp: Checkpoint | None = None
        self.exporters: list[Exporter] = []  # extra copies (Redis), after the file
        self._to_export: Checkpoint | None = None
        self._export_task: asyncio.Task[None] | None = None
        self._cp_timer: asyncio.Task[None] | None = None
        self._cp_waiters: list[asyncio.Future[Checkpoint | None]] = []
        # checkpoint state as of the last successful fsync ("always"): restored when an fsync fails
        self._durable_marks: tuple[int, int, Checkpoint | None, str | None] = (0, 0, None, None)

    # ------------------------------------------------------------------ state

    @property
    def writable(self) -> bool:
        """Open, and the last write (or fsync) succeeded."""
        return self._fd is not None and not self._closing and self._writable and self._broken is None

    @property
    def head(self) -> str:
        """Hash of the last record written (``GENESIS`` for an empty log)."""
        return self._head

    @property
    def export_path(self) -> Path:
        """Where the newest checkpoint is exported: ``<log>.checkpoint``."""
        return self._cfg.path.with_name(self._cfg.path.name + ".checkpoint")

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint written (or found valid at start)."""
        return self._last_cp

    @property
    def seq(self) -> int:
        """Lines in the log (tracked when checkpoints are on)."""
        return self._seq

    @property
    def public_key(self) -> Any:
        return self._signer.public if self._signer is not None else None

    @property
    def queue_depth(self) -> int:
        """Appends not yet acknowledged: waiting to be written, or (``always``) for their fsync."""
        return len(self._pending) + len(self._unsynced)

    def _set_depth(self) -> None:
        """The queue-depth gauge, written only when the depth changed since it was last written."""
        if self._metrics is not None:
            depth = self.queue_depth
            if depth != self._depth_shown:
                self._depth_shown = depth
                self._metrics.log_queue_depth.set(depth)

    def publish_depth(self) -> None:
        """Write the queue depth to its gauge now (``/metrics`` does before every scrape)."""
        if self._metrics is not None:
            self._depth_shown = self.queue_depth
            self._metrics.log_queue_depth.set(self._depth_shown)

    def _write_error(self) -> None:
        self._writable = False
        if self._metrics is not None:
            self._metrics.log_write_errors.inc()

    # ------------------------------------------------------------------ lifecycle

    async def open(self, anchors: Sequence[tuple[str, Checkpoint | None]] = ()) -> None:
        """Open (creating it and its directory), lock, recover a torn tail, continue the chain.

        Raises ``AuditUnavailable`` if the file cannot be opened or its last record
        is damaged; the caller decides whether the gateway may start without it.

        With checkpoints, the tail is checked against the newest signed checkpoint —
        the log's own, the exported file's, and ``anchors`` (copies kept elsewhere,
        e.g. Redis; ``None``: a copy that does not parse, a problem like an unreadable
        export) — and ``LogCheckFailed`` is raised when it fails, unless
        ``allow_unverified_start``: then an ``admin`` record ``log.override`` lists
        the problems and a fresh checkpoint anchors the log as found.
        """
        if self._fd is not None:
            return
        loop = asyncio.get_running_loop()
        path = self._cfg.path
        try:
            opened = await loop.run_in_executor(None, _open_file, path)
        except OSError as e:
            raise AuditUnavailable(f"cannot open decision log {path}: {e.strerror or e}") from e
        problems: list[str] = []
        unanchored = 0
        if self._signer is not None:
            exported: list[tuple[str, Checkpoint]] = []
            for where, copy in anchors:
                if copy is None:
                    problems.append(f"the {where} checkpoint copy is malformed")
                else:
                    exported.append((where, copy))
            try:
                cp = read_export(self.export_path)
            except ValueError as e:
                problems.append(f"the exported checkpoint cannot be read: {e}")
                cp = None
            if cp is not None:
                exported.append((f"exported ({self.export_path})", cp))
            try:
                st = await loop.run_in_executor(None, scan, opened.fd, opened.size, self._signer.public, exported)
            except BaseException:
                os.close(opened.fd)
                raise
            problems += st.problems or []
            self._seq, self._log_id, self._last_cp, self._since_cp = st.seq, st.log_id, st.last, st.since
            self._durable_marks = (st.seq, st.since, st.last, st.log_id)
            if st.last is None:
                unanchored = st.seq
            cp_cfg = self._cfg.checkpoints
            if problems and not (cp_cfg is not None and cp_cfg.allow_unverified_start):
                os.close(opened.fd)
                raise LogCheckFailed(path, problems)
        self._loop = loop
        self._fd = opened.fd
        self._closing = False
        self._broken = None
        self._head = self._durable_head = opened.head
        self._size = self._durable_size = opened.size
        self._writable = True
        self._dirty = False
        self._stop = asyncio.Event()
        if self._cfg.fsync == "interval":
            self._interval_task = loop.create_task(self._interval_loop())
        if opened.torn is not None:
            record = _admin(
                "log.recovered",
                "torn trailing line removed (the gateway stopped mid-write)",
                truncated_bytes=len(opened.torn),
                truncated_sha256=hashlib.sha256(opened.torn).hexdigest(),
                at_offset=opened.size,
            )
            try:
                await self.append(record)
            except AuditUnavailable:
                await self.close()
                raise
        if self._signer is not None:
            start: list[dict[str, Any]] = []
            if problems:
                start.append(
                    _admin(
                        "log.override",
                        "started on a log that fails its signed checkpoint (allow_unverified_start)",
                        problems=problems[:20],
                    )
                )
            elif unanchored:
                start.append(
                    _admin(
                        "log.unanchored",
                        "no signed checkpoint covered the log at start (new key, or none written yet)",
                        records=unanchored,
                    )
                )
            try:
                for rec in start:
                    await self.append(rec)
                if self._since_cp:
                    await self.write_checkpoint()
            except AuditUnavailable:
                await self.close()
                raise
            self._cp_timer = loop.create_task(self._checkpoint_timer())

    async def close(self) -> None:
        """Write what is pending, fsync, close. Idempotent; later appends raise."""
        fd = self._fd
        if fd is None or self._closing:
            return
        if self._signer is not None and self._since_cp and self._broken is None and self._writable:
            with contextlib.suppress(AuditUnavailable):
                await self.write_checkpoint()  # a clean stop leaves the whole log anchored
        self._closing = True
        if self._cp_timer is not None:
            self._cp_timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cp_timer
            self._cp_timer = None
        try:
            while self._pending:
                if self._flush_handle is not None:
                    self._flush_handle.cancel()
                self._flush()
            if self._flush_handle is not None:
                self._flush_handle.cancel()
                self._flush_handle = None
            if self._sync_task is not None:
                await self._sync_task
            if self._interval_task is not None:
                self._stop.set()
                await self._interval_task
                self._interval_task = None
            if self._broken is None:
                try:
                    await self._fsync(fd)
                except OSError:
                    self._write_error()
            if self._export_task is not None:
                await self._export_task
        finally:
            self._fd = None
            self._closing = False
            self._writable = False
            os.close(fd)  # also releases the flock
            self._set_depth()

    # ------------------------------------------------------------------ appending

    async def append(self, record: dict[str, Any]) -> str:
        """Chain and write ``record``; return its hash once written (see the module docstring).

        Sets ``record["prev_hash"]`` and ``record["hash"]``. Raises
        ``AuditUnavailable`` if the log is not open or the write fails.
        """
        if self._fd is None or self._closing or self._loop is None:
            raise AuditUnavailable("decision log is not open")
        if self._broken is not None:
            raise AuditUnavailable(self._broken)
        fut: asyncio.Future[str] = self._loop.create_future()
        self._pending.append((record, fut))
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)
        # no gauge update here: the flush, in this loop turn or the next, writes the depth it leaves
        return await fut

    def _flush(self) -> None:
        """Chain and write one batch of pending records (event-loop thread)."""
        self._flush_handle = None
        if not self._pending and not self._cp_due:
            return
        batch = self._pending[: self._cfg.max_batch]
        del self._pending[: self._cfg.max_batch]
        if self._pending and self._loop is not None:
            self._flush_handle = self._loop.call_soon(self._flush)
        fd = self._fd
        if fd is None or self._broken is not None:
            reason = self._broken or "decision log is not open"
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(AuditUnavailable(reason))
            self._settle_cp_waiters(None, AuditUnavailable(reason))
            self._set_depth()
            return

        prev = self._head
        lines: list[bytes] = []
        written: list[tuple[dict[str, Any], asyncio.Future[str], str]] = []
        for record, fut in batch:
            record.pop("hash", None)
            record["prev_hash"] = prev
            body = self._encode(record)
            prev = hashlib.sha256(body).hexdigest()
            # ``body`` is canonical; appending the hash last keeps it one serialization per record.
            lines.append(body[:-1] + b',"hash":"' + prev.encode() + b'"}\n')
            written.append((record, fut, prev))
        cp: Checkpoint | None = None
        if self._signer is not None and (lines or self._cp_due):
            since = self._since_cp + len(lines)
            if since and (self._cp_due or since >= self._cfg.checkpoints.every_records):  # type: ignore[union-attr]
                log_id = self._log_id
                if log_id is None:  # the first record of the log is in this batch
                    log_id = written[0][2] if self._seq == 0 and written else self._head
                cp = self._signer.sign(
                    log_id, self._seq + len(lines), self._size + sum(map(len, lines)), prev, iso(time.time())
                )
                rec = cp.record()
                rec["prev_hash"] = prev
                body = canonical(rec)
                prev = hashlib.sha256(body).hexdigest()
                lines.append(body[:-1] + b',"hash":"' + prev.encode() + b'"}\n')
        if not lines:
            self._cp_due = False
            self._settle_cp_waiters(self._last_cp)
            self._set_depth()
            return

        data = b"".join(lines)
        try:
            _write_all(fd, data)
        except OSError as e:
            self._write_failed(fd, e, written)
            self._settle_cp_waiters(None, _unavailable(f"decision log write failed: {e.strerror or e}", e))
            return
        self._size += len(data)
        self._head = prev
        self._writable = True
        if self._signer is not None:
            if self._log_id is None and self._seq == 0 and written:
                self._log_id = written[0][2]  # the first line's hash, as chained above
            self._seq += len(lines)
            self._since_cp += len(lines)
            if cp is not None:
                self._since_cp = 0
                self._cp_due = False
                self._last_cp = cp
                self._export(cp)
                self._settle_cp_waiters(cp)
        for record, _, h in written:
            record["hash"] = h
        if self._metrics is not None:
            if self._batch_sizes is not None:
                self._batch_sizes.observe(len(written))
            counters = self._kind_counters
            for record, _, _ in written:
                kind = record.get("kind")
                label = kind if kind in KINDS else "other"
                counter = counters.get(label)
                if counter is None:
                    counter = counters[label] = self._metrics.pending_counter(
                        self._metrics.log_records.labels(kind=label)
                    )
                counter.inc()
        if self._cfg.fsync == "always":
            self._unsynced.extend((fut, h) for _, fut, h in written)
            if self._sync_task is None and self._loop is not None:
                self._sync_task = self._loop.create_task(self._sync_loop(fd))
        else:
            self._dirty = True
            for _, fut, h in written:
                if not fut.done():
                    fut.set_result(h)
        self._set_depth()

    def _encode(self, record: dict[str, Any]) -> bytes:
        """The record's canonical line body; never raises, never longer than ``max_record_bytes``.

        The fast path is one ``canonical()``. A record that does not encode (lone
        surrogates, NaN, deep nesting, huge integers) or is too long is replaced, in
        place, by its bounded copy (``gateway.audit.bound``), so every record handed to
        the log is written — its content can never make a call unrecordable.
        """
        limit = self._cfg.max_record_bytes - 80  # room for ',"hash":"<64 hex>"}\n'
        why = "too_large"
        try:
            body = canonical(record)
            if len(body) <= limit:
                return body
        except (TypeError, ValueError, RecursionError) as e:  # UnicodeEncodeError is a ValueError
            why = type(e).__name__
        prev = record["prev_hash"]
        for limits in LADDER:
            candidate = bound(record, limits)
            candidate["prev_hash"] = prev
            body = canonical(candidate)
            if len(body) <= limit:
                break
        else:
            candidate = fallback(record, "record could not be bounded")
            candidate["prev_hash"] = prev
            body = canonical(candidate)
        record.clear()
        record.update(candidate)
        if self._metrics is not None:
            self._metrics.log_records_bounded.labels(why).inc()
        return body

    # ------------------------------------------------------------------ checkpoints

    async def write_checkpoint(self) -> Checkpoint | None:
        """Sign and write a checkpoint with the next flush (if anything was written since the last); return it.

        Raises ``AuditUnavailable`` when that flush fails.
        """
        if self._signer is None or self._loop is None or self._fd is None:
            return None
        fut: asyncio.Future[Checkpoint | None] = self._loop.create_future()
        self._cp_waiters.append(fut)
        self._cp_due = True
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)
        cp = await fut
        if self._export_task is not None:
            await asyncio.shield(self._export_task)
        return cp

    def _settle_cp_waiters(self, cp: Checkpoint | None, error: BaseException | None = None) -> None:
        waiters, self._cp_waiters = self._cp_waiters, []
        for fut in waiters:
            if fut.done():
                continue
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(cp)

    async def _checkpoint_timer(self) -> None:
        period = self._cfg.checkpoints.every_s if self._cfg.checkpoints is not None else 30.0
        while True:
            await asyncio.sleep(period)
            if self._since_cp and self._loop is not None and self._fd is not None:
                self._cp_due = True
                if self._flush_handle is None:
                    self._flush_handle = self._loop.call_soon(self._flush)

    def _export(self, cp: Checkpoint) -> None:
        self._to_export = cp
        if self._export_task is None and self._loop is not None:
            self._export_task = self._loop.create_task(self._export_loop())

    async def _export_loop(self) -> None:
        """Make the checkpointed lines durable, then replace the exported file and the extra copies."""
        loop = self._loop or asyncio.get_running_loop()
        try:
            while self._to_export is not None:
                cp, self._to_export = self._to_export, None
                fd = self._fd
                try:
                    if fd is not None:
                        await loop.run_in_executor(None, os.fsync, fd)
                    await loop.run_in_executor(None, write_export, self.export_path, cp)
                except OSError as e:
                    log.error("checkpoint %d not exported to %s: %s", cp.seq, self.export_path, e)
                for exporter in self.exporters:
                    try:
                        await exporter(cp)
                    except Exception as e:  # an extra copy is best effort; the file is the contract
                        log.warning("checkpoint %d not copied: %s", cp.seq, e)
        finally:
            self._export_task = None

    def _cut_back(self, fd: int, size: int, cause: OSError) -> None:
        """Truncate the file to ``size``; if that fails, refuse appends until reopened."""
        try:
            os.ftruncate(fd, size)
        except OSError as e:
            self._broken = (
                f"decision log {self._cfg.path} could not be cut back to {size} bytes after a failed write "
                f"({cause.strerror or cause}; truncate: {e.strerror or e}); reopen it"
            )

    def _write_failed(
        self, fd: int, e: OSError, written: list[tuple[dict[str, Any], asyncio.Future[str], str]]
    ) -> None:
        self._write_error()
        self._cut_back(fd, self._size, e)
        for record, fut, _ in written:
            record.pop("prev_hash", None)
            if not fut.done():
                fut.set_exception(_unavailable(f"decision log write failed: {e.strerror or e}", e))
        self._set_depth()

    # ------------------------------------------------------------------ durability

    async def _fsync(self, fd: int) -> None:
        loop = self._loop or asyncio.get_running_loop()
        await loop.run_in_executor(None, os.fsync, fd)

    async def _sync_loop(self, fd: int) -> None:
        """``always``: fsync until no written batch waits, then acknowledge them."""
        try:
            while self._unsynced:
                batch, self._unsynced = self._unsynced, []
                size, head = self._size, self._head
                marks = (self._seq, self._since_cp, self._last_cp, self._log_id)
                try:
                    await self._fsync(fd)
                except OSError as e:
                    # Not durable: cut back to what is, and fail everything not yet acknowledged.
                    failed = batch + self._unsynced
                    self._unsynced = []
                    self._write_error()
                    self._cut_back(fd, self._durable_size, e)
                    if self._broken is None:
                        self._size, self._head = self._durable_size, self._durable_head
                        self._seq, self._since_cp, self._last_cp, self._log_id = self._durable_marks
                    for fut, _ in failed:
                        if not fut.done():
                            fut.set_exception(_unavailable(f"decision log fsync failed: {e.strerror or e}", e))
                else:
                    self._durable_size, self._durable_head = size, head
                    self._durable_marks = marks
                    for fut, h in batch:
                        if not fut.done():
                            fut.set_result(h)
                self._set_depth()
        finally:
            self._sync_task = None

    async def _interval_loop(self) -> None:
        """``interval``: fsync every ``fsync_interval_ms`` if anything was written."""
        period = self._cfg.fsync_interval_ms / 1000
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), period)
            fd = self._fd
            if self._dirty and fd is not None:
                self._dirty = False
                try:
                    await self._fsync(fd)
                except OSError:
                    self._write_error()
