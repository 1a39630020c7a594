"""The hash chain behind the decision log.

Each record carries ``prev_hash`` (the ``hash`` of the record before it, or
``GENESIS`` for the first) and ``hash``: the SHA-256 of the record's canonical JSON
without its ``hash`` key. Because ``prev_hash`` is inside what is hashed, every
record commits to the whole history before it: changing any byte breaks that
record's hash, and removing, inserting or reordering records breaks the link of the
record after. Only the last record is unprotected by a successor, which is why a
verifier should be given the head it expects (``verify_log(expect_head=...)``).

Canonical JSON is ``json.dumps`` with sorted keys, no insignificant whitespace, UTF-8
(not ``\\uXXXX`` escapes) and no NaN/Infinity, so any JSON library can recompute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gateway.jsondoc import canonical

__all__ = ["GENESIS", "canonical", "record_hash"]

GENESIS: str = "0" * 64
"""``prev_hash`` of the first record of a log."""


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``record`` without its ``hash`` key."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()
