"""One linear pass that tells which detectors can find anything in a text.

Each detector may declare ``traits.anchors`` (``base.Anchors``): literal substrings of the raw
text, of its lower-cased form or of its folded form (``Target.norm``), at least one of
which every one of its findings needs. ``Prefilter`` compiles all declarations once and,
per text, reports which detectors are open: those without a declaration, and those with
an anchor present. The runner skips the others (field-name rules, ``keyed``, still run).

Engines: Hyperscan (the ``hyperscan`` wheel) matches every literal of a view in one
pass over its UTF-8 bytes; without it, each literal is looked up with ``in``. Both
answer the same question exactly (is this literal a substring of that text), so which
detectors run, and so the findings, do not depend on the engine. A literal's UTF-8
bytes occur in a text's UTF-8 bytes only at character boundaries, so a byte match is
a character match.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal

from gateway.inspect.base import Detector, Target

_hs: Any
try:  # optional: the pure-Python engine answers the same, more slowly
    _hs = importlib.import_module("hyperscan")
except ImportError:  # pragma: no cover - depends on the platform's wheel
    _hs = None

Engine = Literal["hyperscan", "python"]
_VIEWS = ("raw", "lower", "norm")


def available_engine() -> Engine:
    return "hyperscan" if _hs is not None else "python"


def _hs_literal(tok: str) -> bytes:
    return "".join(f"\\x{b:02x}" for b in tok.encode("utf-8", "surrogatepass")).encode()


def _on_match(did: int, _start: int, _end: int, _flags: int, ctx: set[int]) -> None:
    ctx.add(did)


def _scan(db: Any, scratches: threading.local, name: str, text: str) -> set[int]:
    """The ids of ``db``'s expressions that match ``text``. Hyperscan scratch space serves
    one scan at a time: one per thread and database (``name``), made on first use."""
    scratch = getattr(scratches, name, None)
    if scratch is None:
        scratch = _hs.Scratch(db)
        setattr(scratches, name, scratch)
    hit: set[int] = set()
    db.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=_on_match, context=hit, scratch=scratch)
    return hit


_compiled: dict[tuple[tuple[bytes, ...], tuple[int, ...]], Any] = {}
_compiling = threading.Lock()


def _literal_db(exprs: tuple[bytes, ...], ids: tuple[int, ...]) -> Any:
    """One Hyperscan database per distinct set of literals, compiled once per process
    (~0.1 s each; every gateway runtime builds inspectors with the same detectors).
    A database is read-only once compiled: scans share it, each with its own scratch."""
    assert _hs is not None
    with _compiling:
        db = _compiled.get((exprs, ids))
        if db is None:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=list(exprs),
                ids=list(ids),
                elements=len(exprs),
                flags=[_hs.HS_FLAG_SINGLEMATCH] * len(exprs),
            )
            _compiled[(exprs, ids)] = db
        return db


class Prefilter:
    """Which of ``detectors`` may find something in a ``Target`` (see the module text)."""

    def __init__(self, detectors: Sequence[Detector], engine: Engine | None = None) -> None:
        self.engine: Engine = engine or available_engine()
        if self.engine == "hyperscan" and _hs is None:
            raise ValueError("prefilter engine 'hyperscan': the hyperscan package is not installed")
        n = len(detectors)
        self.always = [i for i, d in enumerate(detectors) if d.traits.anchors is None]
        self.non_ascii = []
        # per view: (detector index, its literals) for detectors declaring some in that view
        self.tokens: dict[str, list[tuple[int, tuple[str, ...]]]] = {v: [] for v in _VIEWS}
        for i, d in enumerate(detectors):
            a = d.traits.anchors
            if a is None:
                continue
            if a.non_ascii:
                self.non_ascii.append(i)
            for view in _VIEWS:
                toks: tuple[str, ...] = getattr(a, view)
                if any(not tok for tok in toks):
                    raise ValueError(f"detector {d.name!r}: an empty anchor matches everything; drop its anchors")
                if toks:
                    self.tokens[view].append((i, toks))
        self.n = n
        self._dbs: dict[str, Any] = {}
        # per thread, for ``_scan``
        self._scratch = threading.local()
        if self.engine == "hyperscan":
            assert _hs is not None
            for view, owners in self.tokens.items():
                exprs = [_hs_literal(tok) for _, toks in owners for tok in toks]
                if not exprs:
                    continue
                ids = [i for i, toks in owners for _ in toks]
                self._dbs[view] = _literal_db(tuple(exprs), tuple(ids))

    def open(self, t: Target) -> list[bool]:
        """Per detector (by index): may it find anything in ``t``? (Field names not considered.)"""
        out = [False] * self.n
        for i in self.always:
            out[i] = True
        if self.non_ascii and not t.raw.isascii():
            for i in self.non_ascii:
                out[i] = True
        views: dict[str, Callable[[], str]] = {"raw": lambda: t.raw, "lower": t.raw.lower, "norm": lambda: t.norm}
        for view in _VIEWS:
            owners = self.tokens[view]
            if not owners or all(out[i] for i, _ in owners):
                continue
            text = views[view]()
            if self.engine == "hyperscan":
                for i in _scan(self._dbs[view], self._scratch, view, text):
                    out[i] = True
            else:
                for i, toks in owners:
                    if not out[i] and any(tok in text for tok in toks):
                        out[i] = True
        return out


class RegexGate:
    """Which of a detector's regexes may match a text, from one Hyperscan pass in prefilter
    mode (a superset of the matches: it never says no where the regex would match).

    For regexes whose candidates are everywhere (digits, capital letters) but which match
    rarely: payment cards, IBANs, SSNs. Compiled with UTF-8 and Unicode properties, so
    ``\\d`` and ``\\b`` mean what they mean to Python's ``re`` on ``str``. Without the
    wheel, or for a pattern Hyperscan refuses, every regex is possible: the detector runs
    it, and finds the same.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self.n = len(patterns)
        self._db: Any = None
        self._scratch = threading.local()
        if _hs is None:
            return
        flags = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_UTF8 | _hs.HS_FLAG_UCP | _hs.HS_FLAG_SINGLEMATCH
        try:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[p.encode() for p in patterns],
                ids=list(range(self.n)),
                elements=self.n,
                flags=[flags] * self.n,
            )
        except _hs.error:  # pragma: no cover - the patterns in use compile (a test holds it)
            return
        self._db = db

    def possible(self, text: str) -> set[int] | None:
        """Indexes of the patterns that may match ``text``; None: all may (no engine)."""
        if self._db is None:
            return None
        return _scan(self._db, self._scratch, "s", text)
