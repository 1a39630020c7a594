"""Signed checkpoints: an Ed25519 signature over the log's head, kept in the log and outside it.

The hash chain alone proves only that a log is *consistent*: whoever can write the
file can cut its last lines, or edit a record and re-hash everything after it, and
the shorter or rewritten chain verifies. A checkpoint anchors the head with a key
the log's writer holds but the log does not:

    message = b"callgate-checkpoint-v1\\n" + canonical({log_id, seq, offset, head, time})
    sig     = Ed25519(private key, message)

- ``log_id``: the hash of the log's first record (fixes which log this is);
- ``seq``: how many lines (records, checkpoints included) precede the checkpoint,
  i.e. the line number of the record whose hash is ``head``;
- ``offset``: the byte offset where that line ends (so a checkpoint can be checked
  against a file without reading it all);
- ``head``: that record's ``hash``; ``time``: when the checkpoint was made.

The checkpoint is written into the log as a ``kind: checkpoint`` line — chained like
any record, its ``prev_hash`` is its ``head`` — and exported: to a file next to the
log (``<log>.checkpoint`` by default, replaced atomically), to ``GET
/admin/audit/head``, and to Redis when the store is Redis. An exported copy can be
ahead of the log (never behind what the log had when it was exported).

Keys: ``callgate audit keygen`` writes a PKCS#8 PEM private key (mode 0600) and its
public key (``.pub``). The private key is configured under
``decision_log.checkpoints.key`` (an env variable or a file, never the log's
directory); verifiers need only the public key. ``key_id`` is the first 16 hex digits
of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.audit.chain import canonical

DOMAIN = b"callgate-checkpoint-v1\n"
FIELDS = ("log_id", "seq", "offset", "head", "time", "key_id", "sig")


class CheckpointKeyError(ValueError):
    """A checkpoint key cannot be read or is not an Ed25519 key."""


def key_id(pub: Ed25519PublicKey) -> str:
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(pem: str | bytes) -> Ed25519PrivateKey:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise CheckpointKeyError(f"not a PEM private key: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError("the checkpoint key must be an Ed25519 key (callgate audit keygen)")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """A public key from a PEM file (``.pub`` from keygen); a private key file works too."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise CheckpointKeyError(f"cannot read key {path}: {e.strerror or e}") from e
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        key = load_private_key(data).public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 public key")
    return key


def keygen(path: Path) -> Path:
    """Write a new private key to ``path`` (0600, never overwritten) and its public key to ``path.pub``."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    pub_path = path.with_name(path.name + ".pub")
    pub_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return pub_path


@dataclass(frozen=True, slots=True)
class Checkpoint:
    log_id: str
    seq: int
    offset: int
    head: str
    time: str
    key_id: str
    sig: str

    def message(self) -> bytes:
        return DOMAIN + canonical(
            {"log_id": self.log_id, "seq": self.seq, "offset": self.offset, "head": self.head, "time": self.time}
        )

    def verify(self, pub: Ed25519PublicKey) -> bool:
        if self.key_id != key_id(pub):
            return False
        try:
            pub.verify(base64.b64decode(self.sig, validate=True), self.message())
        except (InvalidSignature, ValueError):
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def record(self) -> dict[str, Any]:
        """The log line's fields (the log adds ``prev_hash`` and ``hash``)."""
        return {"kind": "checkpoint", **self.as_dict()}

    @classmethod
    def parse(cls, doc: Any) -> Checkpoint | None:
        """From a checkpoint line, an exported file, or ``/admin/audit/head``'s answer; ``None`` if malformed."""
        if isinstance(doc, dict) and isinstance(doc.get("checkpoint"), dict):
            doc = doc["checkpoint"]
        if not isinstance(doc, dict):
            return None
        try:
            values = {f: doc[f] for f in FIELDS}
        except KeyError:
            return None
        ints = ("seq", "offset")
        if not all(isinstance(values[f], int) and not isinstance(values[f], bool) for f in ints):
            return None
        if not all(isinstance(values[f], str) for f in FIELDS if f not in ints):
            return None
        return cls(**values)


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key
        self.public = key.public_key()
        self.key_id = key_id(self.public)

    def sign(self, log_id: str, seq: int, offset: int, head: str, time: str) -> Checkpoint:
        unsigned = Checkpoint(log_id, seq, offset, head, time, self.key_id, "")
        sig = base64.b64encode(self.key.sign(unsigned.message())).decode()
        return Checkpoint(log_id, seq, offset, head, time, self.key_id, sig)


def read_export(path: Path) -> Checkpoint | None:
    """The exported checkpoint at ``path``; ``None`` when there is none. Raises ``ValueError`` if unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        cp = Checkpoint.parse(json.loads(raw))
    except ValueError:
        cp = None
    if cp is None:
        raise ValueError(f"{path} is not a checkpoint")
    return cp


def write_export(path: Path, cp: Checkpoint) -> None:
    """Replace ``path`` atomically with ``cp`` (write, fsync, rename); runs in a worker thread."""
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(cp.as_dict(), sort_keys=True).encode() + b"\n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


# ---------------------------------------------------------------- checks shared with verify.py


def in_log_problem(
    cp: Checkpoint | None, pub: Ed25519PublicKey, prev_hash: Any, seq: int, offset: int, log_id: str | None
) -> str | None:
    """What is wrong with a checkpoint line found in the log (``None``: it anchors the log).

    ``prev_hash``, ``seq`` and ``offset`` are the line's own: the record before it, the
    records before it, and the byte it starts at — what the checkpoint signed."""
    if cp is None:
        return "malformed checkpoint"
    if not cp.verify(pub):
        return "checkpoint has a bad signature or another key"
    if cp.head != prev_hash or cp.seq != seq or cp.offset != offset:
        return (
            "checkpoint does not sit where it was signed: records before it were changed, "
            "removed, inserted or re-hashed"
        )
    if log_id is not None and cp.log_id != log_id:
        return f"checkpoint belongs to another log (log id {cp.log_id})"
    return None


def copy_problem(cp: Checkpoint, pub: Ed25519PublicKey, log_id: str | None, size: int, records: int) -> str | None:
    """What is wrong with a copy kept outside the log (exported file, Redis) before its line is
    looked up; ``size`` and ``records``: the log's bytes and lines."""
    if not cp.verify(pub):
        return "has a bad signature or another key"
    if log_id is not None and cp.log_id != log_id:
        return f"belongs to another log (log id {cp.log_id})"
    if cp.offset > size or cp.seq > records:
        return (
            f"covers {cp.seq} records up to byte {cp.offset}, but the log has {records} records, "
            f"{size} bytes: records were removed from the end"
        )
    return None


# ---------------------------------------------------------------- the tail check at start-up

MARKER = b'"kind":"checkpoint"'
"""A checkpoint line holds these bytes. So can another record, nested (an argument value
``{"kind": "checkpoint"}`` is canonical JSON too): ``_newest_checkpoint`` checks the top level."""
_CHUNK = 1 << 20


@dataclass(slots=True)
class TailState:
    """What ``scan`` learnt about an existing log: where the chain stands and what anchors it."""

    seq: int = 0  # lines in the file
    log_id: str | None = None  # hash of the first line
    last: Checkpoint | None = None  # the newest checkpoint, in the log or exported, that checked out
    since: int = 0  # lines after ``last`` (or all lines when there is none)
    problems: list[str] | None = None


def _line_at(mm: Any, end: int) -> bytes:
    """The line ending at ``end`` (the byte after its ``\\n``), without the newline."""
    start = mm.rfind(b"\n", 0, end - 1) + 1
    return bytes(mm[start : end - 1])


def _newest_checkpoint(mm: Any) -> int:
    """Where the newest line whose record is a checkpoint holds ``MARKER``; -1 when none.

    Searches back from the end; a line with the marker only nested (a call whose arguments
    spell it) is passed over, a line that does not parse is returned (reported damaged)."""
    end: int = len(mm)
    while True:
        at: int = mm.rfind(MARKER, 0, end)
        if at < 0:
            return -1
        line_start: int = mm.rfind(b"\n", 0, at) + 1
        try:
            rec = json.loads(_line_at(mm, mm.find(b"\n", at) + 1))
        except ValueError:
            return at
        if not isinstance(rec, dict) or rec.get("kind") == "checkpoint":
            return at
        end = line_start


def _hash_of(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    from gateway.audit.chain import record_hash

    try:
        rec = json.loads(raw)
    except ValueError:
        return None, None
    if not isinstance(rec, dict) or not isinstance(rec.get("hash"), str):
        return None, None
    try:
        ok = record_hash(rec) == rec["hash"]
    except ValueError:
        ok = False
    return rec, (rec["hash"] if ok else None)


def scan(fd: int, size: int, pub: Ed25519PublicKey, exported: list[tuple[str, Checkpoint]]) -> TailState:
    """Check the log's tail against its newest checkpoint and the exported copies (worker thread).

    Reads the file once for line counts (C speed), then parses only the lines after
    the newest anchor. Problems are listed, not raised: the caller decides (refuse,
    or override and record).
    """
    import mmap

    st = TailState(problems=[])
    problems: list[str] = st.problems  # type: ignore[assignment]
    if size == 0:
        for where, cp in exported:
            if cp.seq > 0:
                problems.append(
                    f"the log is empty but the {where} checkpoint covers {cp.seq} records (head {cp.head}): "
                    "the log was removed or replaced"
                )
        return st
    with mmap.mmap(fd, size, prot=mmap.PROT_READ) as mm:
        first = mm.find(b"\n")
        _, st.log_id = _hash_of(bytes(mm[:first]))
        if st.log_id is None:
            problems.append("the first line is not an intact record")
        in_log = _newest_checkpoint(mm)
        cp_start = mm.rfind(b"\n", 0, in_log) + 1 if in_log >= 0 else -1
        # newline counts at the offsets we need: each checkpoint's offset, the in-log line's start, the end
        wanted = sorted({size, *(cp.offset for _, cp in exported if 0 < cp.offset <= size), max(cp_start, 0)})
        counts: dict[int, int] = {}
        pos = n = 0
        for off in wanted:
            while pos < off:
                step = min(off, pos + _CHUNK)
                n += mm[pos:step].count(b"\n")
                pos = step
            counts[off] = n
        st.seq = counts[size]

        anchors: list[tuple[str, Checkpoint]] = []
        if cp_start >= 0:
            raw = _line_at(mm, mm.find(b"\n", in_log) + 1)
            rec, h = _hash_of(raw)
            own = Checkpoint.parse(rec)
            if rec is None or h is None or own is None:
                problems.append(f"the newest checkpoint line (byte {cp_start}) is damaged or altered")
            elif why := in_log_problem(own, pub, rec.get("prev_hash"), counts[max(cp_start, 0)], cp_start, None):
                problems.append(f"the newest checkpoint line (byte {cp_start}): {why}")
            else:
                anchors.append(("log's", own))
        for where, cp in exported:
            if why := copy_problem(cp, pub, st.log_id, size, st.seq):
                problems.append(f"the {where} checkpoint {why}")
            elif cp.offset == 0 or _hash_of(_line_at(mm, cp.offset))[1] != cp.head or counts.get(cp.offset) != cp.seq:
                problems.append(
                    f"the record the {where} checkpoint signed (line {cp.seq}) is not in the log: it was rewritten"
                )
            else:
                anchors.append((where, cp))
        if not anchors:
            st.since = st.seq
            return st
        where_newest, newest = max(anchors, key=lambda a: (a[1].offset, a[0] == "log's"))
        st.last = newest
        # Verify the chain from the newest anchor to the end.
        prev = newest.head
        pos = newest.offset
        line = newest.seq
        while pos < size:
            end = mm.find(b"\n", pos)
            end = size if end < 0 else end + 1
            line += 1
            rec, h = _hash_of(bytes(mm[pos : end - 1]))
            if rec is None or h is None:
                problems.append(f"line {line} (after the newest checkpoint) is damaged or altered")
                break
            if rec.get("prev_hash") != prev:
                problems.append(f"line {line} does not chain to the line before it (removed, inserted or reordered)")
                break
            prev = h
            pos = end
        st.since = st.seq - newest.seq - (1 if where_newest == "log's" else 0)  # the checkpoint line itself
    return st
