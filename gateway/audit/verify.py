"""Verify a decision log: prove no line was altered, removed, inserted or reordered.

The file is streamed line by line (logs can be large); for each line the verifier
recomputes the record's hash and checks that its ``prev_hash`` is the stored hash
of the line before (``start_hash`` for the first, ``GENESIS`` unless the log was
rotated from an earlier one). What is detected, and how:

- a changed byte: the line is not valid JSON, or its hash does not match;
- a removed, inserted or reordered line: the ``prev_hash`` link of the line after
  it (or of the moved line itself) is broken;
- a wrong start: the first record's ``prev_hash`` is not ``start_hash``;
- a torn or cut file: the final line has no ``\\n``; blank lines are problems too;
- removal of the last line(s), which leaves a valid shorter chain: only detectable
  against a head kept elsewhere, hence ``expect_head``.

The link is checked against the *stored* hash of the line before, so one altered
line is reported once, on that line, and not again on the line after it.

With the public key (``key``), every ``kind: checkpoint`` line is checked: its
signature, that it signs the hash of the line before it (``head`` = its
``prev_hash``), its line number (``seq``), its byte offset and the log id (the first
record's hash). Records after the newest valid checkpoint are reported as
*unanchored*: a warning, since a crash before the next checkpoint leaves some —
but nothing proves they were not cut or rewritten. An exported checkpoint
(``checkpoint``: the ``<log>.checkpoint`` file or ``/admin/audit/head``'s answer) is
checked against the file too: a log shorter than it was truncated; a log whose line
at its offset has another hash was rewritten.

Intent records (written before a call is forwarded) with no later ``call`` record
of the same ``id`` are reported as orphaned: a warning, not a failure — the call
reached the upstream but its outcome was not recorded because the gateway stopped
mid-call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.audit.chain import GENESIS, record_hash
from gateway.audit.checkpoint import Checkpoint, copy_problem, in_log_problem

ORPHAN_WARNING = "reached the upstream; outcome not recorded — the gateway stopped mid-call"


@dataclass
class VerifyProblem:
    line: int  # 1-based; 0 for the file as a whole
    message: str


@dataclass
class VerifyReport:
    ok: bool
    records: int
    head: str
    problems: list[VerifyProblem] = field(default_factory=list)
    orphaned_intents: list[str] = field(default_factory=list)
    checkpoints: int = 0  # valid checkpoint lines (with a key)
    anchored: int = 0  # lines covered by the newest valid checkpoint (in the log or exported)
    keyed: bool = False

    @property
    def unanchored(self) -> int:
        return self.records - self.anchored if self.keyed else 0


def verify_log(
    path: str | Path,
    *,
    expect_head: str | None = None,
    start_hash: str = GENESIS,
    key: Any = None,
    checkpoint: Checkpoint | None = None,
) -> VerifyReport:
    """Check the hash chain of the log at ``path``; see the module docstring.

    ``key``: an Ed25519 public key to check checkpoints with; ``checkpoint``: an
    exported checkpoint the log must contain (needs ``key``).
    """
    problems: list[VerifyProblem] = []
    log_id: str | None = None
    offset = 0  # bytes before the current line
    n_checkpoints = 0
    anchored = 0
    external_seen = False
    records = 0
    head = start_hash
    expected_prev: str | None = start_hash  # None after a line whose hash is unknown
    prev_line = 0
    intents: dict[str, int] = {}  # id -> line, in file order
    lineno = 0
    try:
        f = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        return VerifyReport(False, 0, start_hash, [VerifyProblem(0, f"cannot read {path}: {e.strerror or e}")])
    with f:
        for raw in f:
            lineno += 1
            line_start = offset
            offset += len(raw)
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            else:
                problems.append(VerifyProblem(lineno, "final line has no newline (torn write, or the file was cut)"))
            if not raw.strip():
                problems.append(VerifyProblem(lineno, "blank line"))
                continue
            try:
                rec = json.loads(raw)
            except ValueError:  # also UnicodeDecodeError
                problems.append(VerifyProblem(lineno, "not valid JSON: the line was altered or damaged"))
                expected_prev = None
                continue
            if (
                not isinstance(rec, dict)
                or not isinstance(rec.get("hash"), str)
                or not isinstance(rec.get("prev_hash"), str)
            ):
                problems.append(VerifyProblem(lineno, "not a decision record (no hash / prev_hash)"))
                expected_prev = None
                continue
            records += 1
            stored: str = rec["hash"]
            prev: str = rec["prev_hash"]
            try:
                computed = record_hash(rec)
            except ValueError:  # NaN/Infinity parse but have no canonical form
                computed = ""
            if computed != stored:
                problems.append(VerifyProblem(lineno, "hash mismatch: the record was altered after it was written"))
            if expected_prev is not None and prev != expected_prev:
                if prev_line == 0:
                    message = f"first record's prev_hash {prev} is not the start hash {expected_prev}"
                else:
                    message = (
                        f"chain broken: prev_hash does not match the hash of line {prev_line} "
                        "(a line was removed, inserted or reordered)"
                    )
                problems.append(VerifyProblem(lineno, message))
            if key is not None:
                if lineno == 1:
                    log_id = computed or None
                if rec.get("kind") == "checkpoint":
                    cp = Checkpoint.parse(rec)
                    if why := in_log_problem(cp, key, prev, lineno - 1, line_start, log_id):
                        problems.append(VerifyProblem(lineno, why))
                    else:
                        n_checkpoints += 1
                        anchored = max(anchored, lineno)  # a checkpoint line vouches for itself too
                if checkpoint is not None and offset == checkpoint.offset:
                    external_seen = True
                    if computed != checkpoint.head or stored != checkpoint.head or lineno != checkpoint.seq:
                        problems.append(
                            VerifyProblem(
                                lineno, "the exported checkpoint signed another record here: the log was rewritten"
                            )
                        )
                    else:
                        anchored = max(anchored, lineno)
            expected_prev, prev_line, head = stored, lineno, stored

            ident = rec.get("id")
            if isinstance(ident, str | int) and not isinstance(ident, bool):
                kind = rec.get("kind")
                if kind == "intent":
                    intents[str(ident)] = lineno
                elif kind == "call":
                    intents.pop(str(ident), None)

    if key is not None and checkpoint is not None:
        if why := copy_problem(checkpoint, key, log_id, offset, lineno):
            problems.append(VerifyProblem(0, f"the exported checkpoint {why}"))
        elif not external_seen:
            problems.append(VerifyProblem(0, "no line ends where the exported checkpoint says: the log was rewritten"))
    if expect_head is not None and head != expect_head:
        problems.append(
            VerifyProblem(
                lineno,
                f"head {head} is not the expected {expect_head} "
                "(records were removed from the end, or the log was replaced)",
            )
        )
    report = VerifyReport(not problems, records, head, problems, list(intents))
    if key is not None:
        report.keyed, report.checkpoints, report.anchored = True, n_checkpoints, min(anchored, records)
    return report


def format_report(report: VerifyReport) -> str:
    """Human-readable report for ``callgate audit verify``."""
    out: list[str] = []
    if report.ok:
        out.append(f"OK: {report.records} records, head {report.head}")
    else:
        n = len(report.problems)
        out.append(f"FAILED: {n} problem{'s' if n != 1 else ''} in {report.records} records (head {report.head})")
        out.extend(f"  {f'line {p.line}' if p.line else 'file'}: {p.message}" for p in report.problems)
    if report.keyed:
        out.append(f"checkpoints: {report.checkpoints} valid; {report.anchored} records anchored by a signature")
        if report.unanchored:
            out.append(
                f"WARNING: {report.unanchored} record{'s' if report.unanchored != 1 else ''} after the last "
                "checkpoint are unanchored (nothing signed proves they were not cut or rewritten)"
            )
    if report.orphaned_intents:
        n = len(report.orphaned_intents)
        out.append(f"WARNING: {n} intent record{'s' if n != 1 else ''} without an outcome ({ORPHAN_WARNING}):")
        out.extend(f"  id {ident}" for ident in report.orphaned_intents)
    return "\n".join(out)
