"""The decision log and its verifier, on real files.

Write failures are real too: ``RLIMIT_FSIZE`` makes the kernel cut a write short and
then refuse the rest (``EFBIG``), exactly as a full disk would; raising the limit
again lets the log recover.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import resource
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

from gateway.audit.chain import GENESIS, canonical, record_hash
from gateway.audit.log import AuditUnavailable, DecisionLog
from gateway.audit.verify import ORPHAN_WARNING, format_report, verify_log
from gateway.config import DecisionLogConfig
from gateway.metrics import Metrics

FsyncMode = Literal["always", "interval", "never"]
MODES: tuple[FsyncMode, ...] = ("always", "interval", "never")


# --------------------------------------------------------------------------- helpers


def make_cfg(tmp_path: Path, fsync: FsyncMode = "never", **kw: Any) -> DecisionLogConfig:
    return DecisionLogConfig(path=tmp_path / "var" / "decisions.jsonl", fsync=fsync, **kw)


def call(i: int, kind: str = "call", **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "id": f"c{i}", "tool": "echo", "decision": "allow", "arguments": {"n": i}, **extra}


@asynccontextmanager
async def opened(cfg: DecisionLogConfig, metrics: Metrics | None = None) -> AsyncIterator[DecisionLog]:
    log = DecisionLog(cfg, metrics)
    await log.open()
    try:
        yield log
    finally:
        await log.close()


async def write_log(cfg: DecisionLogConfig, n: int) -> str:
    async with opened(cfg) as log:
        for i in range(n):
            await log.append(call(i))
        return log.head


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Make writes past ``limit`` bytes fail for this process (CPython ignores SIGXFSZ)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


# --------------------------------------------------------------------------- chain


def test_canonical_and_record_hash() -> None:
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    obj = {"z": [1, 2.5, None, True], "a": {"y": '\u2028 \n "', "x": -0.0}}
    spec = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    assert canonical(obj) == spec
    rec = {"x": 1, "prev_hash": GENESIS}
    assert record_hash(rec) == record_hash({**rec, "hash": "anything"})
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical({"x": float("nan")})


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("fsync", MODES)
async def test_chain_over_many_appends_verifies(tmp_path: Path, fsync: FsyncMode) -> None:
    cfg = make_cfg(tmp_path, fsync, fsync_interval_ms=5)
    async with opened(cfg) as log:
        assert log.head == GENESIS
        assert log.writable
        prev = GENESIS
        for i in range(200):
            rec = call(i, note='naïve 🙂 "quoted"\nnewline')
            h = await log.append(rec)
            assert rec["prev_hash"] == prev
            assert rec["hash"] == h == log.head == record_hash(rec)
            prev = h
        if fsync == "interval":
            await asyncio.sleep(0.02)  # let the background fsync run at least once
        assert log.queue_depth == 0
        head = log.head
    lines = lines_of(cfg.path)
    assert len(lines) == 200
    assert json.loads(lines[-1])["hash"] == head
    report = verify_log(cfg.path, expect_head=head)
    assert report.ok, report.problems
    assert (report.records, report.head) == (200, head)
    assert format_report(report) == f"OK: 200 records, head {head}"


@pytest.mark.parametrize("fsync", MODES)
async def test_concurrent_appends_are_batched_and_written_once_each(tmp_path: Path, fsync: FsyncMode) -> None:
    metrics = Metrics()
    cfg = make_cfg(tmp_path, fsync, max_batch=64)
    async with opened(cfg, metrics) as log:
        hashes = await asyncio.gather(*(log.append(call(i)) for i in range(500)))
        assert log.queue_depth == 0
        assert sample(metrics, "callgate_decision_log_queue_depth") == 0
        head = log.head
    records = [json.loads(line) for line in lines_of(cfg.path)]
    assert [r["id"] for r in records] == [f"c{i}" for i in range(500)]  # once each, in append order
    assert [r["hash"] for r in records] == hashes
    assert verify_log(cfg.path, expect_head=head).ok
    # Group commit: every append made before the flush ran shares its write, max_batch at a time.
    batches = sample(metrics, "callgate_decision_log_batch_size_count")
    assert batches == math.ceil(500 / 64)
    assert sample(metrics, "callgate_decision_log_batch_size_sum") == 500
    assert sample(metrics, "callgate_decision_log_batch_size_bucket", {"le": "64.0"}) == batches
    assert sample(metrics, "callgate_decision_log_records_total", {"kind": "call"}) == 500


async def test_record_kinds_are_counted(tmp_path: Path) -> None:
    metrics = Metrics()
    async with opened(make_cfg(tmp_path), metrics) as log:
        await log.append(call(1, kind="intent"))
        await log.append(call(1))
        await log.append({"kind": "admin", "action": "killswitch.engage"})
        await log.append({"kind": "surprise"})
    for kind in ("intent", "call", "admin", "other"):
        assert sample(metrics, "callgate_decision_log_records_total", {"kind": kind}) == 1


async def test_reopen_continues_the_chain(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, "always")
    first = await write_log(cfg, 3)
    async with opened(cfg) as log:
        assert log.head == first
        rec = call(99)
        await log.append(rec)
        assert rec["prev_hash"] == first
        head = log.head
    report = verify_log(cfg.path, expect_head=head)
    assert report.ok
    assert report.records == 4


async def test_torn_tail_is_cut_off_and_recorded(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    before = await write_log(cfg, 3)
    torn = b'{"kind":"call","id":"c3","tool":"ec'
    with cfg.path.open("ab") as f:
        f.write(torn)
    report = verify_log(cfg.path)
    assert not report.ok
    assert report.problems[0].line == 4
    assert "no newline" in report.problems[0].message

    async with opened(cfg) as log:
        head = log.head
        assert head != before  # the recovery record was appended
    records = [json.loads(line) for line in lines_of(cfg.path)]
    assert len(records) == 4
    recovered = records[-1]
    assert recovered["kind"] == "admin"
    assert recovered["action"] == "log.recovered"
    assert recovered["truncated_bytes"] == len(torn)
    assert recovered["prev_hash"] == before
    assert verify_log(cfg.path, expect_head=head).ok


async def test_torn_only_line_recovers_to_genesis(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    cfg.path.parent.mkdir(parents=True)
    cfg.path.write_bytes(b"\x00\x00\x00")  # zero-filled tail after a crash
    async with opened(cfg) as log:
        head = log.head
    (rec,) = [json.loads(line) for line in lines_of(cfg.path)]
    assert rec["prev_hash"] == GENESIS
    assert rec["truncated_bytes"] == 3
    assert verify_log(cfg.path, expect_head=head).ok


async def test_damaged_last_line_refuses_to_open(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    await write_log(cfg, 2)
    data = cfg.path.read_bytes()
    cfg.path.write_bytes(data.replace(b'"c1"', b'"cX"'))
    with pytest.raises(AuditUnavailable, match="does not match its hash"):
        await DecisionLog(cfg).open()


@pytest.mark.parametrize("fsync", MODES)
async def test_write_failure_then_recovery(tmp_path: Path, fsync: FsyncMode) -> None:
    metrics = Metrics()
    cfg = make_cfg(tmp_path, fsync, fsync_interval_ms=5)
    async with opened(cfg, metrics) as log:
        for i in range(3):
            await log.append(call(i))
        good_head, good_size = log.head, cfg.path.stat().st_size
        big = [call(i, padding="x" * 400) for i in range(3, 8)]
        with file_size_limit(good_size + 100):  # the batch's write gets 100 bytes in, then EFBIG
            results = await asyncio.gather(*(log.append(r) for r in big), return_exceptions=True)
            assert all(isinstance(r, AuditUnavailable) for r in results), results
            assert isinstance(results[0], AuditUnavailable)
            assert results[0].code == "audit.unavailable"
            assert isinstance(results[0].__cause__, OSError)
            assert not log.writable
            assert log.head == good_head
            assert cfg.path.stat().st_size == good_size  # the partial line was cut off again
            assert sample(metrics, "callgate_decision_log_write_errors_total") == 1
            assert all("hash" not in r and "prev_hash" not in r for r in big)
        rec = call(8)
        await log.append(rec)
        assert log.writable
        assert rec["prev_hash"] == good_head
        head = log.head
    report = verify_log(cfg.path, expect_head=head)
    assert report.ok, report.problems
    assert report.records == 4


async def test_unencodable_record_is_escaped_not_dropped(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    async with opened(cfg) as log:
        bad = call(1, score=float("nan"), intent="\ud800 hi", run_id="r\udcff")
        results = await asyncio.gather(log.append(call(0)), log.append(bad), log.append(call(2)))
        assert all(isinstance(h, str) for h in results)
        assert log.writable
        head = log.head
    recs = [json.loads(line) for line in lines_of(cfg.path)]
    assert [r["id"] for r in recs] == ["c0", "c1", "c2"]
    assert recs[1]["score"] == "NaN" and recs[1]["intent"] == "\ufffd hi" and recs[1]["run_id"] == "r\ufffd"
    notes = {n["path"]: n for n in recs[1]["sanitized"]}
    assert notes["/score"]["reason"] == "nan" and notes["/intent"]["reason"] == "surrogates"
    # the digest is of the bytes received: a raw 0xFF header byte reaches us as U+DCFF (surrogateescape)
    assert notes["/run_id"]["sha256"] == "sha256:" + hashlib.sha256(b"r\xff").hexdigest()
    assert "truncated" not in recs[1]  # escaped, not cut
    assert verify_log(cfg.path, expect_head=head).ok


async def test_cancelled_caller_is_still_recorded(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, "always")
    async with opened(cfg) as log:
        task = asyncio.create_task(log.append(call(1)))
        await asyncio.sleep(0)  # the append is queued
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await log.append(call(2))
        head = log.head
    assert [json.loads(line)["id"] for line in lines_of(cfg.path)] == ["c1", "c2"]
    assert verify_log(cfg.path, expect_head=head).ok


async def test_append_when_not_open_or_closed_raises(tmp_path: Path) -> None:
    log = DecisionLog(make_cfg(tmp_path))
    with pytest.raises(AuditUnavailable):
        await log.append(call(0))
    await log.open()
    await log.append(call(0))
    await log.close()
    await log.close()  # idempotent
    assert not log.writable
    with pytest.raises(AuditUnavailable, match="not open"):
        await log.append(call(1))


async def test_close_writes_what_is_pending(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, "always")
    log = DecisionLog(cfg)
    await log.open()
    tasks = [asyncio.create_task(log.append(call(i))) for i in range(10)]
    await asyncio.sleep(0)  # all queued, none flushed yet
    assert log.queue_depth == 10
    await log.close()
    hashes = await asyncio.gather(*tasks)
    assert len(set(hashes)) == 10
    assert verify_log(cfg.path, expect_head=hashes[-1]).ok


async def test_unopenable_paths_raise(tmp_path: Path) -> None:
    (tmp_path / "var" / "decisions.jsonl").mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(AuditUnavailable, match="cannot open"):
        await DecisionLog(make_cfg(tmp_path)).open()
    full = tmp_path / "full.jsonl"
    full.symlink_to("/dev/full")
    with pytest.raises(AuditUnavailable, match="not a regular file"):
        await DecisionLog(DecisionLogConfig(path=full)).open()


async def test_second_writer_is_refused(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    async with opened(cfg):
        with pytest.raises(AuditUnavailable, match="in use"):
            await DecisionLog(cfg).open()
    async with opened(cfg) as log:  # the lock goes with close()
        assert log.writable


async def test_new_file_mode(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    old = os.umask(0o022)
    try:
        await write_log(cfg, 1)
    finally:
        os.umask(old)
    assert cfg.path.stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- verifying


@pytest.fixture
async def five(tmp_path: Path) -> tuple[Path, str]:
    cfg = make_cfg(tmp_path)
    async with opened(cfg) as log:
        for i in range(5):
            await log.append(call(i, note="ünïcode ✓"))
        return cfg.path, log.head


def problem_lines(path: Path, **kw: Any) -> list[int]:
    report = verify_log(path, **kw)
    assert report.ok is (not report.problems)
    return [p.line for p in report.problems]


def test_any_changed_byte_fails_naming_its_line(five: tuple[Path, str]) -> None:
    path, head = five
    original = path.read_bytes()
    line_of = [original[:i].count(b"\n") + 1 for i in range(len(original))]
    for i in range(len(original)):
        tampered = bytearray(original)
        tampered[i] ^= 0x01
        path.write_bytes(bytes(tampered))
        lines = problem_lines(path, expect_head=head)
        assert lines, f"byte {i} changed, not detected"
        assert lines[0] == line_of[i], (i, lines)
    path.write_bytes(original)
    assert problem_lines(path, expect_head=head) == []


def test_removed_middle_line_fails(five: tuple[Path, str]) -> None:
    path, head = five
    lines = lines_of(path)
    path.write_bytes(b"".join(lines[:2] + lines[3:]))
    report = verify_log(path, expect_head=head)
    assert not report.ok
    assert [p.line for p in report.problems] == [3]
    assert "chain broken" in report.problems[0].message


def test_removed_last_line_fails_only_with_expected_head(five: tuple[Path, str]) -> None:
    path, head = five
    path.write_bytes(b"".join(lines_of(path)[:-1]))
    assert verify_log(path).ok  # a shorter chain is still a chain...
    report = verify_log(path, expect_head=head)  # ...but not the one we expected
    assert not report.ok
    assert report.problems[0].line == 4
    assert "expected" in report.problems[0].message


def test_removed_first_line_fails(five: tuple[Path, str]) -> None:
    path, _ = five
    path.write_bytes(b"".join(lines_of(path)[1:]))
    report = verify_log(path)
    assert [p.line for p in report.problems] == [1]
    assert "start hash" in report.problems[0].message


def test_swapped_lines_fail(five: tuple[Path, str]) -> None:
    path, head = five
    lines = lines_of(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"".join(lines))
    assert problem_lines(path, expect_head=head) == [2, 3, 4]


def test_inserted_line_fails(five: tuple[Path, str]) -> None:
    path, head = five
    lines = lines_of(path)
    # A forgery with a valid hash of its own and a correct link to the line before it:
    forged = call(42, decision="deny")
    forged["prev_hash"] = json.loads(lines[1])["hash"]
    forged["hash"] = record_hash(forged)
    path.write_bytes(b"".join([*lines[:2], canonical(forged) + b"\n", *lines[2:]]))
    assert problem_lines(path, expect_head=head) == [4]
    # A copy of an existing line:
    path.write_bytes(b"".join([*lines[:2], lines[0], *lines[2:]]))
    assert problem_lines(path, expect_head=head) == [3, 4]


def test_blank_line_and_missing_newline_fail(five: tuple[Path, str]) -> None:
    path, head = five
    lines = lines_of(path)
    path.write_bytes(b"".join([*lines[:2], b"\n", *lines[2:]]))
    report = verify_log(path, expect_head=head)
    assert [(p.line, p.message) for p in report.problems] == [(3, "blank line")]
    path.write_bytes(b"".join(lines).rstrip(b"\n"))
    assert problem_lines(path, expect_head=head) == [5]


def test_start_hash_for_a_rotated_log(five: tuple[Path, str], tmp_path: Path) -> None:
    path, head = five
    rotated = tmp_path / "rotated.jsonl"
    rotated.write_bytes(b"".join(lines_of(path)[2:]))
    assert not verify_log(rotated).ok
    start = json.loads(lines_of(path)[1])["hash"]
    assert verify_log(rotated, start_hash=start, expect_head=head).ok


def test_missing_file_fails(tmp_path: Path) -> None:
    report = verify_log(tmp_path / "nope.jsonl")
    assert not report.ok
    assert report.problems[0].line == 0
    assert "cannot read" in format_report(report)


def test_empty_log_verifies(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    report = verify_log(empty)
    assert (report.ok, report.records, report.head) == (True, 0, GENESIS)
    assert not verify_log(empty, expect_head="ab" * 32).ok


def test_format_report_lists_problems(five: tuple[Path, str]) -> None:
    path, head = five
    lines = lines_of(path)
    path.write_bytes(b"".join([lines[0], lines[2], lines[1], *lines[3:]]))
    text = format_report(verify_log(path, expect_head=head))
    first, *rest = text.splitlines()
    assert first.startswith("FAILED: 3 problems in 5 records")
    assert [r.split(":")[0].strip() for r in rest] == ["line 2", "line 3", "line 4"]


async def test_orphaned_intent_is_a_warning(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    async with opened(cfg) as log:
        await log.append(call(1, kind="intent"))
        await log.append(call(2, kind="intent"))
        await log.append(call(1))  # c1 finished; c2 reached the upstream and was never recorded
        await log.append(call(3))  # denied calls have no intent
        head = log.head
    report = verify_log(cfg.path, expect_head=head)
    assert report.ok
    assert report.orphaned_intents == ["c2"]
    text = format_report(report)
    assert text.startswith("OK: 4 records")
    assert ORPHAN_WARNING in text
    assert "id c2" in text
