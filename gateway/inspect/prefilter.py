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

import codecs
import dataclasses
import importlib
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import Any, Literal

from gateway.inspect.base import Detector, Target
from gateway.inspect.normalize import escaped_breaks

_hs: Any
try:  # optional: the pure-Python engine answers the same, more slowly
    _hs = importlib.import_module("hyperscan")
except ImportError:  # pragma: no cover - depends on the platform's wheel
    _hs = None

Engine = Literal["hyperscan", "python"]
_VIEWS = ("raw", "lower", "norm")
ONE_PASS_MAX = 2048  # ASCII text up to this many characters is scanned once (``Prefilter.one_pass_max``)


def available_engine() -> Engine:
    return "hyperscan" if _hs is not None else "python"


def _hs_literal(tok: str) -> bytes:
    return "".join(f"\\x{b:02x}" for b in tok.encode("utf-8", "surrogatepass")).encode()


def _on_match(did: int, _start: int, _end: int, _flags: int, ctx: set[int]) -> None:
    ctx.add(did)


def _scan(db: Any, scratches: threading.local, name: str, text: str | bytes) -> set[int]:
    """The ids of ``db``'s expressions that match ``text``. Hyperscan scratch space serves
    one scan at a time: one per thread and database (``name``), made on first use."""
    scratch = getattr(scratches, name, None)
    if scratch is None:
        scratch = _hs.Scratch(db)
        setattr(scratches, name, scratch)
    hit: set[int] = set()
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    db.scan(data, match_event_handler=_on_match, context=hit, scratch=scratch)
    return hit


_compiled: dict[tuple[tuple[bytes, ...], tuple[int, ...], tuple[bool, ...]], Any] = {}
_compiling = threading.Lock()


def _hs_db(exprs: tuple[bytes, ...], ids: tuple[int, ...], caseless: tuple[bool, ...] | None = None) -> Any:
    """One Hyperscan database per distinct set of expressions (literals written byte by byte, ``_hs_literal``,
    and the whitespace-run patterns of ``_spaced_expr``), compiled once per process (~0.1 s each; every gateway
    runtime builds inspectors with the same detectors). A database is read-only once compiled: scans share it,
    each with its own scratch. ``caseless``: per expression, match ASCII letters in either case."""
    assert _hs is not None
    nocase = caseless if caseless is not None else (False,) * len(exprs)
    with _compiling:
        db = _compiled.get((exprs, ids, nocase))
        if db is None:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=list(exprs),
                ids=list(ids),
                elements=len(exprs),
                flags=[_hs.HS_FLAG_SINGLEMATCH | (_hs.HS_FLAG_CASELESS if c else 0) for c in nocase],
            )
            _compiled[(exprs, ids, nocase)] = db
        return db


def _folds_to_lower(tok: str) -> bool:
    """Can ``tok`` be found in lower-cased ASCII text by a caseless search of the raw text?
    (ASCII and lower-case: ``tok in text.lower()`` iff ``tok`` occurs in ``text`` ignoring
    ASCII case, for ASCII ``text``. Other literals never occur in lower-cased ASCII text.)"""
    return tok.isascii() and tok == tok.lower()


# What ``str.split()`` (and so ``normalize.fold``) takes for whitespace in ASCII text: \t \n \v \f \r,
# the four information separators \x1c-\x1f, and the space.
_HS_WS = rb"[\x09-\x0d\x1c-\x20]"
_HS_NOT_WS = rb"[^\x09-\x0d\x1c-\x20]"


def _spaced_expr(tok: str) -> bytes | None:
    """A Hyperscan expression that matches ASCII text, ignoring ASCII case, where the lower-case literal
    ``tok`` (holding spaces) occurs in the text's folded form (``normalize.fold``: whitespace runs made one
    space, the ends stripped); None where it never can (two spaces together, or other whitespace).

    Each space is a run of whitespace; a space at either end of ``tok`` also needs a character that is no
    whitespace beyond the run (the ends are stripped: " mode" occurs in the folded text only after a word).
    """
    if "  " in tok or any(c.isspace() and c != " " for c in tok):
        return None
    expr = (_HS_WS + b"+").join(_hs_literal(part) for part in tok.split(" "))
    if tok.startswith(" "):
        expr = _HS_NOT_WS + expr
    if tok.endswith(" "):
        expr += _HS_NOT_WS
    return expr


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
        self.one_pass_max = ONE_PASS_MAX  # (``_open_ascii``)
        self._dbs: dict[str, Any] = {}
        # ASCII text in one pass up to ``one_pass_max`` characters, in two beyond (Hyperscan only; ``_ascii_db``)
        self._ascii: Any = None
        self._plain: Any = None
        self._spaced: Any = None
        self._spaced_owners: tuple[int, ...] = ()
        # per thread, for ``_scan``
        self._scratch = threading.local()
        if self.engine == "hyperscan":
            assert _hs is not None
            for view, owners in self.tokens.items():
                exprs = [_hs_literal(tok) for _, toks in owners for tok in toks]
                if not exprs:
                    continue
                ids = [i for i, toks in owners for _ in toks]
                self._dbs[view] = _hs_db(tuple(exprs), tuple(ids))
            self._ascii = self._ascii_db()
            self._plain = self._ascii_db(spaced=False)
            spaced = [
                (i, tok)
                for i, toks in self.tokens["norm"]
                for tok in toks
                if " " in tok and _spaced_expr(tok) is not None and _folds_to_lower(tok)
            ]
            if spaced:  # for text over ``one_pass_max``, looked up in ``t.norm`` as plain literals (``_open_ascii``)
                self._spaced_owners = tuple(sorted({i for i, _ in spaced}))
                self._spaced = _hs_db(tuple(_hs_literal(tok) for _, tok in spaced), tuple(i for i, _ in spaced))

    def _ascii_db(self, spaced: bool = True) -> Any:
        """ASCII text in one pass (``open``): for ASCII ``raw``, ``raw.lower()`` differs only in case, and
        ``t.norm`` (``normalize.fold``) is ``raw.lower()`` with each run of whitespace made one space and the
        ends stripped. So one scan of ``raw`` answers every view: raw literals as they are, lower and norm
        literals ignoring ASCII case; a norm literal holding spaces as a pattern in which each space is a run of
        whitespace (``_spaced_expr``). A literal without whitespace occurs in ``fold(raw)`` iff it occurs in
        ``raw.lower()``: an occurrence lies inside one whitespace-free run, and the runs are the same in both.
        (Before, a text whose whitespace was not already folded, such as every joined scan of a call's strings,
        was folded and scanned twice: on the bench's 1 KiB call 2.1 µs of folding and a second scan.)
        ``spaced=False``: without the literals holding spaces, for text over ``one_pass_max`` (``_open_ascii``)."""
        exprs: list[bytes] = []
        ids: list[int] = []
        nocase: list[bool] = []
        for i, toks in self.tokens["raw"]:
            for tok in toks:
                exprs.append(_hs_literal(tok))
                ids.append(i)
                nocase.append(False)
        for view in ("lower", "norm"):
            for i, toks in self.tokens[view]:
                for tok in toks:
                    if view == "lower" or tok.split() == [tok]:
                        expr: bytes | None = _hs_literal(tok)
                    else:
                        expr = _spaced_expr(tok) if spaced else None
                    if expr is not None and _folds_to_lower(tok):
                        exprs.append(expr)
                        ids.append(i)
                        nocase.append(True)
        if not exprs:
            return None
        return _hs_db(tuple(exprs), tuple(ids), tuple(nocase))

    def open(self, t: Target) -> list[bool]:
        """Per detector (by index): may it find anything in ``t``? (Field names not considered.) A text holding JSON
        whitespace escapes is also asked as the injection detector reads it (``normalize.escaped_breaks``): a
        literal may span one ("ignore\\nprevious")."""
        out = self._open(t)
        raw = escaped_breaks(t.raw)
        if raw is not t.raw and not all(out):
            more = self._open(dataclasses.replace(t, raw=raw, norm_=None))
            out = [a or b for a, b in zip(out, more, strict=True)]
        return out

    def _open(self, t: Target) -> list[bool]:
        out = [False] * self.n
        for i in self.always:
            out[i] = True
        raw = t.raw
        if raw.isascii():
            if self.engine == "hyperscan":
                return self._open_ascii(t, out)
        elif self.non_ascii:
            for i in self.non_ascii:
                out[i] = True
        return self._open_views(t, out)

    def _open_ascii(self, t: Target, out: list[bool]) -> list[bool]:
        """``open`` for ASCII text with Hyperscan: one scan of ``raw`` (see ``_ascii_db``) up to ``one_pass_max``
        characters. Beyond, the literals holding spaces are looked up in ``t.norm`` instead, where they are plain
        literals, and only while one of their detectors is still closed: a pattern whose spaces are whitespace runs
        scans at ~6 µs a KiB against ~2 for literals, more than folding the text costs."""
        if len(t.raw) <= self.one_pass_max:
            if self._ascii is not None:
                for i in _scan(self._ascii, self._scratch, "ascii", t.raw):
                    out[i] = True
            return out
        if self._plain is not None:
            for i in _scan(self._plain, self._scratch, "plain", t.raw):
                out[i] = True
        if self._spaced is not None and not all(out[i] for i in self._spaced_owners):
            for i in _scan(self._spaced, self._scratch, "spaced", t.norm):
                out[i] = True
        return out

    def _open_views(self, t: Target, out: list[bool]) -> list[bool]:
        """``open`` view by view: each view's text made and scanned on its own."""
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

    def possible(self, text: str) -> AbstractSet[int] | None:
        """Indexes of the patterns that may match ``text``; None: all may (no engine)."""
        if self._db is None:
            return None
        return _scan(self._db, self._scratch, "s", text)


# Python's ``\s`` on str (``str.isspace``) among ASCII characters: HT LF VT FF CR, the
# separators 0x1c-0x1f and space. Hyperscan's ASCII ``\s`` lacks 0x1c-0x1f.
_PY_ASCII_SPACE = r"\t-\r\x1c-\x20"


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) of each character of ``pattern`` from
    ``start`` that is neither escaped nor inside a character class."""
    depth = 0
    in_class = False
    i = start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]" and pattern[i - 1] != "[" and pattern[i - 2 : i] != "[^":
                in_class = False
        elif c == "[":
            in_class = True
        else:
            depth += (c == "(") - (c == ")")
            yield i, c, depth
        i += 1


def _split_top(pattern: str) -> list[str]:
    """``pattern``'s top-level alternatives (escapes, classes and groups respected)."""
    cuts = [i for i, c, depth in _structure(pattern) if c == "|" and depth == 0]
    return [pattern[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(pattern)], strict=True)]


def _group_end(pattern: str, open_at: int) -> int:
    """The index just past the group opened at ``open_at``."""
    for i, c, depth in _structure(pattern, open_at):
        if c == ")" and depth == 0:
            return i + 1
    raise ValueError(f"unbalanced group in {pattern!r}")


def _edges_consuming(alt: str) -> str:
    """``alt`` with a leading group of zero-width alternatives (``\\A``, ``^``, lookbehinds) and
    a trailing lookahead made to consume what they test. A match of ``alt`` is inside a match
    of the result (the tested text lies just outside it, and nothing of ``alt`` precedes the
    lookbehind or follows the lookahead), so the result's matches are a superset; Hyperscan,
    which drops lookarounds in prefilter mode, can then still use them."""
    if alt.startswith("(?:") or alt.startswith("(?<="):
        end = _group_end(alt, 0)
        head = alt[:end]
        inner = head[3:-1] if head.startswith("(?:") else head
        parts = _split_top(inner)
        if all(p in ("\\A", "^") or (p.startswith("(?<=") and _group_end(p, 0) == len(p)) for p in parts):
            conv = "|".join("(?:" + p[4:] if p.startswith("(?<=") else p for p in parts)
            alt = "(?:" + conv + ")" + alt[end:]
    if alt.endswith(")"):
        # find the group that closes at the end: scan from every "(?=" for one ending there
        i = alt.rfind("(?=")
        while i != -1:
            if _group_end(alt, i) == len(alt):
                alt = alt[:i] + "(?:" + alt[i + 3 :]
                break
            i = alt.rfind("(?=", 0, i)
    return alt


def _captures(alt: str) -> int:
    """How many capturing groups ``alt`` opens."""
    return len(re.findall(r"\((?!\?)", re.sub(r"\\.|\[(?:\\.|[^\]])*\]", "x", alt)))


def _renumber(alt: str, before: int) -> str:
    """``alt``'s back references counted from its own first group (it is compiled alone)."""
    if not before:
        return alt
    return re.sub(r"\\(\\|\d)", lambda m: m.group(0) if m.group(1) == "\\" else f"\\{int(m.group(1)) - before}", alt)


def _hs_prefilter_expr(pattern: str) -> str:
    """``pattern`` (Python ``re`` syntax) for Hyperscan over ASCII text, as a superset:
    ``\\s`` spelt as Python's ASCII whitespace, ``\\Z`` as ``\\z`` (both: the very end), ``\\uXXXX`` as
    that ASCII character or, past ASCII, ``\\xff`` (which ASCII text never holds), and
    repeat bounds widened (``{m,n}`` to ``{m,}``; Hyperscan compiles long bounded repeats slowly)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            e = pattern[i + 1]
            if e == "s":
                out.append(_PY_ASCII_SPACE if in_class else f"[{_PY_ASCII_SPACE}]")
            elif e == "S":
                if in_class:
                    raise ValueError(r"\S inside a class")
                out.append(f"[^{_PY_ASCII_SPACE}]")
            elif e == "Z":
                out.append(r"\z")
            elif e in "uU":  # Hyperscan has no \u: a code point past ASCII never occurs in the text (\xff)
                width = 4 if e == "u" else 8
                cp = int(pattern[i + 2 : i + 2 + width], 16)
                out.append(f"\\x{cp:02x}" if cp < 0x80 else "\\xff")
                i += 2 + width
                continue
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]" and pattern[i - 1] != "[" and pattern[i - 2 : i] != "[^":
                in_class = False
        elif c == "[":
            in_class = True
        elif c == "{":
            j = pattern.find("}", i)
            body = pattern[i + 1 : j]
            lo, comma, _hi = body.partition(",")
            if comma and lo.isdigit():
                out.append("*" if lo == "0" else "{" + lo + ",}")
                i = j + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


# ------------------------------------------------------------------ non-ASCII text through the ASCII databases
#
# A ``PatternGate``'s database matches bytes with ASCII semantics. A text that is not ASCII is scanned as its
# *shadow*: each non-ASCII character replaced by the one byte 0x80, which Hyperscan's ASCII mode takes for no
# letter, digit, space or newline (``.``, ``\W``, ``\S``, ``\D`` and negated classes match it; ``\w``, ``\s``,
# ``\d``, literals and ``\b`` between two such bytes do not). One character stays one byte, so bounded repeats
# count the same. A pattern's Python match on the text is then a match on the shadow unless the pattern asks of a
# non-ASCII character more than 0x80 gives (``_requirements``): a non-ASCII literal, or a class naming one; a
# positive ``\w``, ``\d`` or ``\s`` (Python's take letters, digits and spaces of every script); ``\b`` next to
# something that may be such a letter; ``\B``. Such a pattern is answered "may match" unless the text has no
# non-ASCII character of the kind it asks about (no non-ASCII letter for ``\w``, ...). The four characters
# ``re.IGNORECASE`` matches to ASCII letters (U+0130, U+0131, U+017F, U+212A: dotted and dotless i, long s, the
# Kelvin sign) are letters the shadow cannot stand for: a text holding one is not answered (None), as before.

_NEVER = "never"
_ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_CLASS_NEED = {
    _sre.CATEGORY_WORD: "word",
    _sre.CATEGORY_DIGIT: "digit",
    _sre.CATEGORY_SPACE: "space",
}
_NOT_CLASSES = frozenset(
    (_sre.CATEGORY_NOT_WORD, _sre.CATEGORY_NOT_DIGIT, _sre.CATEGORY_NOT_SPACE, _sre.CATEGORY_NOT_LINEBREAK)
)
_REPEATS = frozenset((_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT))
_SHADOW_ERRORS = "callgate.shadow"


def _shadow_error(e: UnicodeError) -> tuple[bytes, int]:
    assert isinstance(e, UnicodeEncodeError)
    return b"\x80" * (e.end - e.start), e.end


codecs.register_error(_SHADOW_ERRORS, _shadow_error)
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")  # what re.I matches to an ASCII letter
_TEXT_CLASSES = (
    ("word", re.compile(r"[^\W\x00-\x7f]")),
    ("digit", re.compile(r"[^\D\x00-\x7f]")),
    ("space", re.compile(r"[^\S\x00-\x7f]")),
)


def _word_only(items: Sequence[tuple[Any, Any]]) -> bool:
    """A positive class holding ASCII word characters only."""
    for op, av in items:
        if op is _sre.LITERAL:
            if av not in _ASCII_WORD:
                return False
        elif op is _sre.RANGE:
            if not all(c in _ASCII_WORD for c in range(av[0], av[1] + 1)):
                return False
        else:
            return False
    return bool(items)


def _edge_word(seq: Any, first: bool) -> bool:
    """Is the first (or last) character any match of ``seq`` consumes always an ASCII word character?"""
    items = list(seq)
    if not items:
        return False
    op, av = items[0] if first else items[-1]
    if op is _sre.LITERAL:
        return bool(av in _ASCII_WORD)
    if op is _sre.IN:
        return _word_only(av)
    if op is _sre.SUBPATTERN:
        return _edge_word(av[-1], first)
    if op is _sre.BRANCH:
        return all(_edge_word(b, first) for b in av[1])
    if op in _REPEATS:
        return bool(av[0] >= 1) and _edge_word(av[2], first)
    return False


def _needs(seq: Any, flags: int, out: set[str]) -> None:
    items = list(seq)
    for i, (op, av) in enumerate(items):
        if op is _sre.LITERAL:
            if av >= 0x80:
                out.add(_NEVER)
        elif op in (_sre.NOT_LITERAL, _sre.ANY, _sre.GROUPREF):
            if op is _sre.NOT_LITERAL and av >= 0x80:
                out.add(_NEVER)
        elif op is _sre.IN:
            members = list(av)
            negated = bool(members) and members[0][0] is _sre.NEGATE
            body = members[1:] if negated else members
            if any(o in (_sre.LITERAL, _sre.RANGE) and (a if o is _sre.LITERAL else a[1]) >= 0x80 for o, a in body):
                out.add(_NEVER)  # a class naming a non-ASCII character (in Hyperscan's pattern: its UTF-8 bytes)
            elif negated:
                if any(o is _sre.CATEGORY and a in _NOT_CLASSES for o, a in body):
                    out.add(_NEVER)  # [^\W]: 0x80 is in \W
            elif not any(o is _sre.CATEGORY and a in _NOT_CLASSES for o, a in body):  # with one, 0x80 is in it
                for o, a in body:
                    if o is _sre.CATEGORY and not (flags & re.ASCII and a in _CLASS_NEED):
                        out.add(_CLASS_NEED.get(a, _NEVER))
                    elif o not in (_sre.LITERAL, _sre.RANGE, _sre.CATEGORY):
                        out.add(_NEVER)
        elif op is _sre.AT:
            if av is _sre.AT_BOUNDARY:
                if not (flags & re.ASCII) and not (
                    (i > 0 and _edge_word([items[i - 1]], False))
                    or (i + 1 < len(items) and _edge_word([items[i + 1]], True))
                ):
                    out.add("word")
            elif av not in (_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING, _sre.AT_END, _sre.AT_END_STRING):
                out.add(_NEVER)  # \B, and anchors of other modes
        elif op is _sre.SUBPATTERN:
            _needs(av[-1], flags | av[1], out)
        elif op is _sre.ATOMIC_GROUP:
            _needs(av, flags, out)
        elif op is _sre.BRANCH:
            for b in av[1]:
                _needs(b, flags, out)
        elif op in _REPEATS:
            _needs(av[2], flags, out)
        elif op is _sre.ASSERT:
            _needs(av[1], flags, out)  # made consuming at an edge (``_edges_consuming``)
        elif op is _sre.ASSERT_NOT:
            pass  # dropped in Hyperscan's prefilter mode: its content rules nothing out
        else:
            out.add(_NEVER)


def _requirements(rx: re.Pattern[str]) -> frozenset[str]:
    """What ``rx`` asks of a text's non-ASCII characters for the shadow to stand for them (see above): a subset of
    word, digit and space (the text must have none of that kind), or ``never``."""
    out: set[str] = set()
    try:
        _needs(_sre_parse.parse(rx.pattern, rx.flags), rx.flags, out)
    except Exception:  # a pattern this reading does not know: answered "may match"
        return frozenset((_NEVER,))
    return frozenset(out)


def shadow_bytes(text: str) -> bytes:
    """``text``'s shadow: one byte a character, its own if ASCII, else 0x80 (see above)."""
    return text.encode("ascii", _SHADOW_ERRORS)


def _text_classes(text: str) -> frozenset[str]:
    """The kinds among word, digit and space that ``text``'s non-ASCII characters are of."""
    return frozenset(kind for kind, rx in _TEXT_CLASSES if rx.search(text) is not None)


class PatternGate:
    """Which of a detector's regexes may match an ASCII text, from one Hyperscan pass in
    prefilter mode over them all (a superset of the matches: it never says no where the
    regex matches; ``tests/test_inspect_prefilter.py`` holds it to that).

    For regexes that open with ``\\b``, alternations or lookbehinds, which Python's ``re``
    tries at every position of a text, so that a miss costs ~1-10 µs per KiB each even
    when the detector's literal gates let them run (SQL words and quotes are everywhere).
    Each top-level alternative is compiled on its own, with leading lookbehinds and a
    trailing lookahead made consuming (``_edges_consuming``). ASCII text only, matched
    bytewise with ASCII case-insensitivity for ``re.I`` patterns: there Python's ``\\w``,
    ``\\d``, ``\\b`` and case rules are ASCII ones. Other text, or no wheel: None (all may).

    Gates asked about the same text one after another can share a database (``group``, a
    ``GateGroup``): the first one asked about a text scans it for all of them, the others read
    their answers from that scan. Each Hyperscan call costs a few µs however short the text, so
    on short texts the calls, not the bytes, were the cost.
    """

    def __init__(
        self, patterns: Sequence[re.Pattern[str]], group: GateGroup | None = None, *, shadow: bool = False
    ) -> None:
        self.n = len(patterns)
        # ``shadow``: the patterns are what the callers test on any text, not an ASCII text's stand-ins (no token left
        # out for not being ASCII): a text that is not ASCII is answered from its shadow instead of with None.
        self._shadowed = shadow
        self._db: Any = None
        self._scratch = threading.local()
        self._group = group
        self._shared: int | None = None  # this gate's number in its group's database, once compiled
        self._patterns = tuple(patterns)
        self._reqs: tuple[frozenset[str], ...] | None = None  # each pattern's ``_requirements``, once asked
        self._unsafe_memo: dict[frozenset[str], frozenset[int]] = {}
        if _hs is None:
            return
        exprs: list[bytes] = []
        ids: list[int] = []
        flags: list[int] = []
        for pi, rx in enumerate(patterns):
            f = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_ALLOWEMPTY
            if rx.flags & re.IGNORECASE:
                f |= _hs.HS_FLAG_CASELESS
            before = 0  # capturing groups in the alternatives before this one
            for alt in _split_top(rx.pattern):
                exprs.append(_hs_prefilter_expr(_edges_consuming(_renumber(alt, before))).encode())
                before += _captures(alt)
                ids.append(pi)
                flags.append(f)
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=flags)
        self._db = db
        self.exprs = (tuple(exprs), tuple(ids), tuple(flags))
        if group is not None:
            group.join(self)

    def possible(self, text: str) -> AbstractSet[int] | None:
        """Indexes of the patterns that may match ``text``; None: all may (no engine; a text that is not ASCII, unless
        the gate was made with ``shadow``: then it is scanned as its shadow, see ``shadow_bytes`` above, unless it holds
        one of the letters ``re.IGNORECASE`` matches to ASCII ones)."""
        if self._db is None:
            return None
        if not text.isascii():
            return self._possible_shadow(text) if self._shadowed else None
        group = self._group
        if group is None or len(text) > group.max_len or (self._shared is None and not group.seal(self)):
            return _scan(self._db, self._scratch, "g", text)
        assert self._shared is not None  # sealed into the group's database
        return group.answers(text).get(self._shared, _NONE)

    def _possible_shadow(self, text: str) -> AbstractSet[int] | None:
        if _FOLDS_TO_ASCII.search(text) is not None:
            return None
        group = self._group
        if group is None or len(text) > group.max_len or (self._shared is None and not group.seal(self)):
            found: AbstractSet[int] = _scan(self._db, self._scratch, "g", shadow_bytes(text))
            kinds = _text_classes(text)
        else:
            assert self._shared is not None
            answers, kinds = group.shadow_answers(text)
            found = answers.get(self._shared, _NONE)
        unsafe = self._unsafe(kinds)
        return found | unsafe if unsafe else found

    def _unsafe(self, kinds: frozenset[str]) -> frozenset[int]:
        """The patterns the shadow of a text whose non-ASCII characters are of ``kinds`` cannot answer for."""
        hit = self._unsafe_memo.get(kinds)
        if hit is None:
            reqs = self._reqs
            if reqs is None:  # read once, on the first text that is not ASCII (~1 ms for a large gate)
                reqs = self._reqs = tuple(_requirements(rx) for rx in self._patterns)
            hit = frozenset(i for i, r in enumerate(reqs) if _NEVER in r or not r.isdisjoint(kinds))
            self._unsafe_memo[kinds] = hit
        return hit


_NONE: frozenset[int] = frozenset()
_NO_KINDS: frozenset[str] = frozenset()


def any_possible(text: str, gates: Sequence[PatternGate]) -> bool:
    """May any pattern of any of ``gates`` match ``text``? (A gate without an answer, None, says it may.)"""
    for gate in gates:
        possible = gate.possible(text)
        if possible is None or possible:
            return True
    return False


class GateGroup:
    """``PatternGate``s asked about the same texts, in one Hyperscan database.

    Compiled (sealed) when one of them is first asked; a gate made after that keeps its own
    database. Per thread, the answers for the last text scanned are kept with the text
    itself: a gate asked about the same object gets them without a scan (a ``str`` is
    immutable, and holding it keeps its ``id`` from being reused). Hyperscan matches each
    expression of a database on its own, so a gate's answer is the one its own database
    gives (``tests/test_inspect_prefilter.py`` compares the two).

    Worth it where the gates are asked together: the prompt-injection family's ten gates on a
    text's folded form cost 5 µs in one scan of a short text against 24 µs one by one
    (1,277 expressions; 16 KiB: 145 against 198 µs). Gates asked only now and then about long
    texts are better alone: one scan for all costs what they would together. ``max_len``: a
    longer text is asked of each gate's own database (there the bytes, not the calls, cost).
    """

    def __init__(self, max_len: int = sys.maxsize) -> None:
        self.max_len = max_len
        self._gates: list[PatternGate] = []
        self._lock = threading.Lock()
        self._sealed = False
        self._db: Any = None
        self._owner: list[tuple[int, int]] = []  # id -> (gate number, pattern index)
        self._local = threading.local()

    def join(self, gate: PatternGate) -> None:
        with self._lock:
            if not self._sealed:
                self._gates.append(gate)

    def seal(self, gate: PatternGate) -> bool:
        """Compile the shared database if not yet done; is ``gate`` in it?"""
        self.seal_now()
        return gate._shared is not None

    def seal_now(self) -> None:
        """Compile the shared database now if not yet done (~1.5 s of CPU for the prompt-injection family's
        gates on a slow core): at start-up (``Inspector.warm``), not in the first call that asks a gate."""
        with self._lock:
            if not self._sealed:
                self._sealed = True
                exprs: list[bytes] = []
                ids: list[int] = []
                flags: list[int] = []
                for gi, g in enumerate(self._gates):
                    gx, gids, gflags = g.exprs
                    base = len(self._owner)  # one id per (gate, pattern): single-match per id, as alone
                    exprs.extend(gx)
                    ids.extend(base + pi for pi in gids)
                    flags.extend(gflags)
                    self._owner.extend((gi, pi) for pi in range(g.n))
                if exprs:
                    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
                    db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=flags)
                    self._db = db
                    for gi, g in enumerate(self._gates):
                        g._shared = gi

    def answers(self, text: str) -> dict[int, frozenset[int]]:
        """Per gate number, the indexes of its patterns that may match the ASCII ``text`` (none: absent)."""
        return self._answers(text)[0]

    def shadow_answers(self, text: str) -> tuple[dict[int, frozenset[int]], frozenset[str]]:
        """``answers`` for a text that is not ASCII, from its shadow; and the kinds of its non-ASCII characters."""
        return self._answers(text, shadow=True)

    def _answers(self, text: str, shadow: bool = False) -> tuple[dict[int, frozenset[int]], frozenset[str]]:
        local = self._local
        if getattr(local, "text", None) is text:
            return local.answers, local.kinds
        per: dict[int, set[int]] = {}
        owner = self._owner
        for eid in _scan(self._db, local, "db", shadow_bytes(text) if shadow else text):
            gi, pi = owner[eid]
            per.setdefault(gi, set()).add(pi)
        out = {gi: frozenset(ps) for gi, ps in per.items()}
        kinds = _text_classes(text) if shadow else _NO_KINDS
        local.text, local.answers, local.kinds = text, out, kinds
        return out, kinds


TEXT_GATES = GateGroup()  # the prompt-injection family's gates (injection, jailbreak, framed, pretext)
# The argument detectors' gates (secrets, pii, traversal, shell, decode), asked in turn about the same raw
# text of a call's joined strings. On the bench's 1 KiB call all five cost 10.1 µs one by one, 5.2 in one
# scan. A text only some of them are asked about (a tool's output: secrets, pii, decode) pays for all: those
# three alone cost 7.0 against 6.3 at 1 KiB, 10.3 against 10.7 at 2 KiB, 49.6 against 62.5 at 16 KiB. So
# texts longer than 2 KiB are asked of each gate alone.
ARG_GATES = GateGroup(max_len=2048)
GROUPS = (TEXT_GATES, ARG_GATES)
