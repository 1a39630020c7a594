"""The one way the evaluation builders (``build_corpus.py``, ``build_external.py``) make records.

A record: {id, surface, tool, text, label: attack|benign, family, split, group, source}.
``id`` is a hash of (surface, tool, text), so the same text sent the same way is one record
however many sources hold it (the first source added keeps it); empty texts are left out.
``source`` names where the text comes from ({origin, version, file, line, ...}); ``group`` the
source it shares with others, by which splits are drawn (never per record).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def record_id(surface: str, tool: str, text: str) -> str:
    return hashlib.sha256(f"{surface}\x00{tool}\x00{text}".encode()).hexdigest()[:16]


# characters ``str.splitlines`` breaks lines at that JSON leaves as they are (it escapes the others)
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _line(r: dict[str, Any]) -> str:
    """One record as a JSON line that every reader (``splitlines`` too) sees as one line."""
    return json.dumps(r, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


class RecordSet:
    """Records in the order added, without duplicates."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def add(
        self,
        surface: str,
        tool: str,
        text: str,
        label: str,
        family: str,
        source: dict[str, Any],
        group: Any,
        split: str = "",
    ) -> dict[str, Any] | None:
        """Add one record (``None`` when it is empty or already there)."""
        key = record_id(surface, tool, text)
        if key in self._seen or not text.strip():
            return None
        self._seen.add(key)
        rec = {
            "id": key,
            "surface": surface,
            "tool": tool,
            "text": text,
            "label": label,
            "family": family,
            "split": split,
            "group": group,
            "source": source,
        }
        self.records.append(rec)
        return rec

    def write(self, path: Path) -> None:
        """Sorted by family then id, one JSON object a line."""
        self.records.sort(key=lambda r: (r["family"], r["id"]))
        path.write_text("".join(_line(r) for r in self.records), encoding="utf-8")

    def counts(self, key: Any) -> dict[str, int]:
        """How many records per ``key(record)``."""
        by: dict[str, int] = {}
        for r in self.records:
            k = key(r)
            by[k] = by.get(k, 0) + 1
        return by
