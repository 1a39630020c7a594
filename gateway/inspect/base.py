"""The ``Detector`` protocol, the traits a detector declares, and what it sees of one string."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from gateway.model import Finding, Surface

Severity = Literal["info", "low", "medium", "high", "critical"]


@dataclass(slots=True)
class Target:
    """One string to inspect, with where it came from."""

    raw: str
    norm_: str | None  # normalize.fold(raw), computed on first use when None
    surface: Surface
    path: str  # JSON pointer into the arguments ("" for a whole output)
    key: str = ""  # the field name holding the string, lower-case ("" when none)
    tags: frozenset[str] = frozenset()
    allowed_roots: tuple[str, ...] = ()
    commands: frozenset[str] | None = None  # shell tools: the commands allowed (None: any)
    verbs: frozenset[str] | None = None  # sql tools: the statement verbs allowed, lower-case (None: any)

    @property
    def norm(self) -> str:
        if self.norm_ is None:
            from gateway.inspect.normalize import fold

            self.norm_ = fold(self.raw)
        return self.norm_


@dataclass(slots=True)
class Hit:
    """A finding plus the span of ``Target.raw`` it covers (for redaction), when known."""

    finding: Finding
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Anchors:
    """A detector's prefilter declaration: ``scan(t)`` finds nothing unless one of ``raw``
    is a substring of ``t.raw``, one of ``lower`` of ``t.raw.lower()``, one of ``norm`` of
    ``t.norm``, or (``non_ascii``) ``t.raw`` is not ASCII. Field-name rules are not
    covered: a detector with ``keyed`` also runs on strings whose field name it keys on.
    A detector without ``anchors`` always runs (see ``gateway.inspect.prefilter``).
    """

    raw: tuple[str, ...] = ()
    lower: tuple[str, ...] = ()
    norm: tuple[str, ...] = ()
    non_ascii: bool = False


@dataclass(frozen=True, slots=True)
class DetectorTraits:
    """How the runner may run a detector over many strings at once (``Inspector`` joins a
    call's strings into one text and scans that first; see ``runner.py``).

    ``spans_raw``: every hit carries its span in ``Target.raw``, so hits on the joined
    text are attributed to their strings by offset (no rescan). ``per_string``: the
    detector judges whole strings and never runs on the joined text. ``keyed``: a test
    on a string's field name; a string whose field passes is also scanned on its own
    (e.g. entropy judged in secret-named fields). ``keyed_value``: with ``keyed``, a test on
    such a string's text: only a string that passes is scanned on its own for its field name
    (a cheap necessary condition of what the field-name rule finds; identifiers repeat in
    every item of a list). ``maybe``: the detector's own
    prefilter, run on the joined text instead of the joined scan; when true, every
    string is scanned on its own. ``anchors``: the prefilter's declaration (``Anchors``;
    None: the detector always runs).
    """

    spans_raw: bool = False
    per_string: bool = False
    keyed: Callable[[str], bool] | None = None
    keyed_value: Callable[[str], bool] | None = None
    maybe: Callable[[Target], bool] | None = None
    anchors: Anchors | None = None


PLAIN = DetectorTraits()
"""A detector whose hits may lack spans, with no prefilter and no field-name rule."""


class Detector(Protocol):
    name: str
    traits: DetectorTraits

    def scan(self, t: Target) -> list[Hit]: ...


JOINED_SEP = "\n\x00\n"
"""The runner's separator between a call's strings in a joined scan: no detector's pattern matches across it."""


def token_spots(text: str, tokens: Iterable[str], limit: int) -> list[int]:
    """Where ``tokens`` occur in ``text`` (``str.find``, each token's occurrences apart), at most ``limit``
    positions in all, sorted: the places a rule's regex is tried, in windows around them, instead of
    searching a whole page (a regex that opens with alternatives tries every position)."""
    spots: list[int] = []
    for tok in tokens:
        p = text.find(tok)
        while p != -1 and len(spots) < limit:
            spots.append(p)
            p = text.find(tok, p + len(tok))
    spots.sort()
    return spots


def window_matches(
    text: str, rx: re.Pattern[str], tokens: Iterable[str], before: int, after: int, limit: int
) -> Iterator[re.Match[str]]:
    """``rx``'s matches in windows of ``before``/``after`` characters around ``tokens`` (``token_spots``, at
    most ``limit`` positions), in text order and without overlaps."""
    end = -1
    for p in token_spots(text, tokens, limit):
        if p < end:
            continue
        m = rx.search(text, max(end, p - before), p + after)
        if m is None or m.end() <= end:
            continue
        end = m.end()
        yield m


def sentence_span(text: str, a: int, b: int, reach: int = 160) -> tuple[int, int]:
    """The sentence around ``text[a:b]`` (ended by ".", "!" or a line break), at most ``reach`` characters either
    side."""
    lo = max(0, a - reach)
    lo = max(lo, *(text.rfind(c, lo, a) + 1 for c in ".!\n"))
    hi = min(len(text), b + reach)
    ends = [q for q in (text.find(c, b, hi) for c in ".!\n") if q != -1]
    return lo, (min(ends) + 1 if ends else hi)


def unsaid_before(text: str, at: int, rx: re.Pattern[str], ends: str = ".!?\n", back: int = 80) -> bool:
    """No match of ``rx`` (a prohibition, a description) before ``at`` in its sentence (ended by one of ``ends``),
    ``back`` characters back at most: what a rule found at ``at`` is asked or ordered, not forbidden or described."""
    lo = max(0, at - back)
    lo = max(lo, *(text.rfind(c, lo, at) + 1 for c in ends))
    return rx.search(text, lo, at) is None


def first_unsaid(
    text: str,
    rx: re.Pattern[str],
    tokens: Iterable[str],
    before: int,
    after: int,
    limit: int,
    unsaid: re.Pattern[str],
    ends: str = ".!?\n",
) -> tuple[int, int] | None:
    """The span of ``rx``'s first match in windows around ``tokens`` (``window_matches``) with no match of ``unsaid``
    before it in its sentence (``unsaid_before``), or None."""
    for m in window_matches(text, rx, tokens, before, after, limit):
        if unsaid_before(text, m.start(), unsaid, ends):
            return m.span()
    return None


def json_escape_spots(raw: str, tokens: Iterable[str]) -> list[int]:
    """Where ``tokens`` (JSON escapes such as ``\\u001b``, lower case) occur in the JSON text ``raw``
    as escapes, not as escaped text: the run of backslashes before each is even. Unsorted."""
    low = raw.lower()
    spots: list[int] = []
    for tok in tokens:
        p = low.find(tok)
        while p != -1:
            q = p
            while q > 0 and raw[q - 1] == "\\":
                q -= 1
            if (p - q) % 2 == 0:
                spots.append(p)
            p = low.find(tok, p + len(tok))
    return spots


def excerpt(text: str, start: int, end: int, *, redact: bool = False, width: int = 40) -> str:
    """A short excerpt for the record; secrets show only their first 4 characters."""
    s = text[start:end]
    if redact:
        return s[:4] + "…" + f"[{len(s)} chars]"
    if len(s) > width:
        s = s[:width] + "…"
    return s


def finding(
    detector: str,
    t: Target,
    kind: str,
    severity: Severity,
    owasp: tuple[str, ...],
    evidence: str,
    confidence: float = 0.9,
) -> Finding:
    # positional: a dataclass's __init__ takes them in field order, 2.5x faster than by keyword
    return Finding(detector, t.surface, severity, owasp, t.path, evidence, confidence, kind)


# --- documents carried as data. A value of at least DOC_CHARS characters over at least DOC_LINES
# lines is a document (a file's content, a page, a template, a script, a message body), not a
# parameter spliced into a command, a query or a URL: the detectors that look for a value spliced
# into an interpreter (shell splices, a URL to an internal host, a sensitive path named, a script
# tag, a command run from code) judge it by what its reader does with it (see ``is_document``).
DOC_CHARS = 240
DOC_LINES = 6


def is_document(t: Target) -> bool:
    """Is ``t`` one argument's value that is a document (``DOC_CHARS`` characters, ``DOC_LINES`` lines)?

    Never a tool's output (the argument detectors do not read those), nor a runner's joined scan
    (many strings at once: it must find what any of them would, so it stays strict and the
    strings it finds something in are judged again one by one)."""
    return t.surface == "request_arg" and is_document_text(t.raw)


_CONTENT_LINE = re.compile(r"\S[^\n]*")  # (searched from a line's start: the next line holding a character)


def is_document_text(text: str) -> bool:
    """``is_document`` of one string of an argument (a segment of a joined scan): lines that hold
    something count, so a payload padded with empty lines is no document."""
    if len(text) < DOC_CHARS or JOINED_SEP in text:
        return False
    return sum(1 for _ in itertools.islice(_CONTENT_LINE.finditer(text), DOC_LINES)) >= DOC_LINES
