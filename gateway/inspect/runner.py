"""Run the detectors over a call's arguments or a tool's output.

Arguments are walked iteratively with limits on depth, the number of strings and the
characters inspected; going over a limit is itself a finding (``limits``), so nothing
is silently left unread. JSON pointers (finding paths) are built only for strings that
are looked at one by one. Outputs are inspected as one text (for redaction spans) and,
when they are JSON with escapes, string by string for injection.

Bounded work per call:
- findings are capped per (detector, kind) and in all (``FindingCap``); what is left
  out is counted per kind in one ``limits``/``findings_capped`` finding;
- text is scanned in slices of ``SLICE`` characters (each reading ``OVERLAP`` more, so
  a match up to that long is found whole, by the slice it starts in);
- inputs over ``INLINE_BYTES`` are inspected in the inspection process (``procpool``;
  ``arguments_async``/``output_async``), not on the event loop: a thread would still
  hold the interpreter lock the loop needs. An inspector built with its own detectors
  uses one inspection thread instead (the switch interval lowered to 1 ms). Detectors
  must hold no per-call state: they run on the loop and there at once.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from typing import Any, TypeVar

import jsonschema

from gateway import jsondoc
from gateway.inspect import procpool
from gateway.inspect.base import JOINED_SEP, Detector, Hit, Target, finding
from gateway.inspect.bidi import BidiDetector
from gateway.inspect.code import (
    CodeExecDetector,
    ShellAllowListDetector,
    ShellDetector,
    SqlDetector,
    SqlVerbsDetector,
    TemplateDetector,
    XssDetector,
)
from gateway.inspect.decode import DecodedDetector
from gateway.inspect.injection import InjectionDetector
from gateway.inspect.pii import PiiDetector
from gateway.inspect.prefilter import GROUPS, Engine, Prefilter
from gateway.inspect.secrets import SecretsDetector
from gateway.inspect.ssrf import SsrfDetector
from gateway.inspect.terminal import TerminalDetector
from gateway.inspect.traversal import TraversalDetector
from gateway.model import Finding, Surface

log = logging.getLogger("callgate.inspect")

MAX_DEPTH = 32
MAX_STRINGS = 10_000
MAX_CHARS = 1 << 20
MAX_STRING = 64 * 1024
_SEP_LEN = len(JOINED_SEP)
# Bounded work per call: findings kept per (detector, kind) and in all, and how much text
# one step scans before the async drivers may yield to the event loop.
MAX_FINDINGS = 200
MAX_PER_KIND = 20
# Spans kept per finding kind of an output, for redaction. Past that, the kind gets one
# span-less hit: an output decision that redacts it blocks the output instead (fail
# closed), and tens of thousands of live hits never reach the garbage collector.
MAX_SPANS_PER_KIND = 8192
SLICE = 16 * 1024  # characters scanned in one step (one detector call sees at most SLICE + OVERLAP)
OVERLAP = 4 * 1024  # a slice also reads this far into the next one: longer matches are cut there
# Inputs up to this many bytes are inspected on the event loop (well under a few ms even
# when hostile); larger ones in the inspection process (``procpool``).
INLINE_BYTES = 2048
SWITCH_INTERVAL_S = 0.001


def all_detectors() -> list[Detector]:
    base: list[Detector] = [
        InjectionDetector(),
        SecretsDetector(),
        PiiDetector(),
        SsrfDetector(),
        TraversalDetector(),
        ShellDetector(),
        SqlDetector(),
        TemplateDetector(),
        XssDetector(),
        CodeExecDetector(),
        ShellAllowListDetector(),
        SqlVerbsDetector(),
    ]
    # Terminal and bidi controls act on a display as they are, not once decoded: JSON's spelling
    # of a terminal sequence is read by its detector itself, and base64 of either is inert text.
    return [*base, TerminalDetector(), BidiDetector(), DecodedDetector(base)]


@dataclass(frozen=True, slots=True)
class InspectOptions:
    tags: frozenset[str] = frozenset()
    allowed_roots: tuple[str, ...] = ()
    schema: dict[str, Any] | None = None
    shell_commands: frozenset[str] | None = None
    sql_verbs: frozenset[str] | None = None


def _pointer(parent: str, key: str | int) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


# A location in the arguments, built during the walk without string work: (parent, key),
# with the root a plain string (the pointer prefix). The JSON pointer is built only
# for strings that a detector looks at one by one or that carry a finding.
_Loc = tuple[Any, "str | int"] | str


def pointer(loc: _Loc) -> str:
    parts: list[str] = []
    while not isinstance(loc, str):
        loc, key = loc
        parts.append(str(key).replace("~", "~0").replace("/", "~1") if isinstance(key, str) else str(key))
    return loc + "".join("/" + p for p in reversed(parts))


@dataclass(slots=True)
class _Str:
    """One string found by the walk: its text, location and field name (lower-case)."""

    text: str
    loc: _Loc
    key: str
    offset: int = 0  # where ``text`` starts in the original string (a slice of a long one)
    path_: str | None = None

    @property
    def path(self) -> str:
        if self.path_ is None:
            self.path_ = pointer(self.loc)
        return self.path_


Steps = Generator[None, None, list[Finding]]
_LEAVES = frozenset({int, float, bool, type(None)})  # what the walk passes over (exact types)
_T = TypeVar("_T")


class FindingCap:
    """Keeps at most ``MAX_PER_KIND`` findings per (detector, kind), in arrival order, and
    counts the rest; ``result`` trims to ``MAX_FINDINGS`` (most severe first, one of each
    kind before a second of any) and adds one ``limits``/``findings_capped`` finding that
    counts what was left out per kind. Work per finding is O(1), so a flood of findings
    can be fed in slices."""

    __slots__ = ("dropped", "kept", "per", "seen")

    def __init__(self) -> None:
        # plain dicts: a Counter costs more to make than a small input costs to inspect
        self.kept: list[Finding] = []
        self.per: dict[tuple[str, str], int] = {}
        self.dropped: dict[tuple[str, str], int] = {}
        self.seen = 0

    def add(self, findings: Iterable[Finding]) -> None:
        per, kept, dropped = self.per, self.kept, self.dropped
        for f in findings:
            self.seen += 1
            k = (f.detector, f.kind)
            n = per.get(k, 0)
            if n < MAX_PER_KIND:
                per[k] = n + 1
                kept.append(f)
            else:
                dropped[k] = dropped.get(k, 0) + 1

    def result(self) -> list[Finding]:
        kept = self.kept
        if not self.dropped and len(kept) <= MAX_FINDINGS:
            return kept
        if len(kept) > MAX_FINDINGS - 1:
            # rank: the n-th finding of its kind, then severity; keep arrival order among the chosen
            nth: Counter[tuple[str, str]] = Counter()
            ranked: list[tuple[int, int, int]] = []
            for i, f in enumerate(kept):
                k = (f.detector, f.kind)
                ranked.append((nth[k], _SEVERITY_RANK.get(f.severity, 5), i))
                nth[k] += 1
            chosen = sorted(i for _, _, i in sorted(ranked)[: MAX_FINDINGS - 1])
            chosen_set = set(chosen)
            for i, f in enumerate(kept):
                if i not in chosen_set:
                    k = (f.detector, f.kind)
                    self.dropped[k] = self.dropped.get(k, 0) + 1
            kept = [kept[i] for i in chosen]
        summary = ", ".join(f"{d}/{k}={n}" for (d, k), n in sorted(self.dropped.items(), key=lambda x: (-x[1], x[0])))
        first = kept[0] if kept else self.kept[0]
        t = Target("", "", "tool_output" if first.surface == "tool_output" else "request_arg", "")
        total = sum(self.dropped.values())
        evidence = f"{total} of {self.seen} findings not listed: {summary}"[:400]
        return [*kept, finding("limits", t, "findings_capped", "low", ("LLM10",), evidence, 1.0)]


def cap_findings(findings: Iterable[Finding]) -> list[Finding]:
    """``FindingCap`` over one list."""
    cap = FindingCap()
    cap.add(findings)
    return cap.result()


_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _slices(text: str) -> list[tuple[int, int]]:
    """(start, end) of the slices a long text is scanned in; each reads ``OVERLAP`` past the next start."""
    if len(text) <= SLICE + OVERLAP:
        return [(0, len(text))]
    return [(s, min(len(text), s + SLICE + OVERLAP)) for s in range(0, len(text), SLICE)]


def _place(h: Hit, s: _Str) -> None:
    """Give a hit from scanning ``s`` alone its JSON pointer, and its span in the whole string."""
    if not h.finding.path:
        h.finding.path = s.path
    if s.offset and h.span is not None:
        h.span = (h.span[0] + s.offset, h.span[1] + s.offset)


class Inspector:
    def __init__(
        self,
        detectors: Sequence[Detector] | None = None,
        *,
        prefilter: bool = True,
        engine: Engine | None = None,
        process: bool = True,
    ) -> None:
        """``prefilter``: skip detectors whose declared anchors are absent (``inspect.prefilter``);
        the findings are the same without it (a test holds them to it), only slower.

        ``process``: inputs over ``INLINE_BYTES`` are inspected in the inspection process
        (``procpool``), which builds the same default detectors; an inspector given its
        own ``detectors`` uses the inspection thread instead."""
        self._spec = procpool.Spec(prefilter, engine) if process and detectors is None else None
        self.detectors = list(detectors) if detectors is not None else all_detectors()
        self.prefilter = Prefilter(self.detectors, engine) if prefilter else None
        self._only: dict[str, Inspector] = {}
        self._keyed_memo: dict[tuple[int, str], bool] = {}
        # detectors with a field-name rule: the only closed ones that may still run on a string
        self._keyed_ids = frozenset(i for i, d in enumerate(self.detectors) if d.traits.keyed is not None)
        self._thread: ThreadPoolExecutor | None = None

    async def _off_loop(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` on the inspection thread (one: large inspections queue, the loop stays free).

        Detectors hold no per-call state, so one may run there and on the loop at once.
        """
        if self._thread is None:
            # The loop waits for the interpreter lock at most one switch interval (then
            # the inspection thread must hand it over): 1 ms rather than the default 5.
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callgate-inspect")
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def warm(self) -> None:
        """Compile the shared prefilter database and start the inspection process now rather than in the
        first call (gateway start): compiling held the first call ~1.5 s. Best effort for the process: if
        it cannot start, large inspections fail closed when they come."""
        if self.prefilter is not None:
            for group in GROUPS:
                await asyncio.to_thread(group.seal_now)
        if self._spec is not None:
            try:
                await procpool.warm(self._spec)
            except Exception:
                log.exception("the inspection process could not be started")

    def close(self) -> None:
        """Stop the inspection thread (after the work queued on it). The inspection process
        belongs to the OS process, shared by every default inspector in it, and ends with it."""
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None

    def _keyed(self, di: int, keyed: Callable[[str], bool], key: str) -> bool:
        """``keyed(key)`` of detector ``di``, remembered (field names repeat across strings and calls)."""
        memo = self._keyed_memo
        k = (di, key)
        hit = memo.get(k)
        if hit is None:
            if len(memo) >= 4096:
                memo.clear()
            hit = memo[k] = bool(keyed(key))
        return hit

    def only(self, name: str) -> Inspector:
        """An inspector running just the detectors named ``name`` (shares the instances)."""
        sub = self._only.get(name)
        if sub is None:
            # Made on first use, possibly on the inspection thread: no prefilter of its own
            # (compiling one holds the interpreter lock for ~0.1 s, which the loop would wait out).
            sub = self._only[name] = Inspector([d for d in self.detectors if d.name == name], prefilter=False)
        return sub

    def scan_text(self, raw: str, surface: Surface, path: str, key: str, opts: InspectOptions) -> list[Hit]:
        """Every detector over one text (no slicing: for short texts)."""
        t = Target(
            raw, None, surface, path, key.lower(), opts.tags, opts.allowed_roots, opts.shell_commands, opts.sql_verbs
        )
        hits: list[Hit] = []
        if self.prefilter is None:
            for d in self.detectors:
                hits.extend(d.scan(t))
            return hits
        is_open = self.prefilter.open(t)
        keyed = self._keyed_ids if t.key else ()
        for di, d in enumerate(self.detectors):
            if is_open[di] or (di in keyed and self._keyed_on(di, d, t.key, raw)):
                hits.extend(d.scan(t))
        return hits

    def _keyed_on(self, di: int, d: Detector, key: str, text: str) -> bool:
        """Does detector ``di`` judge ``text`` for its field name ``key`` (``keyed``, then ``keyed_value``)?"""
        keyed, value = d.traits.keyed, d.traits.keyed_value
        return keyed is not None and bool(key) and self._keyed(di, keyed, key) and (value is None or value(text))

    # ----------------------------------------------------------------------- arguments

    def arguments(self, args: Any, opts: InspectOptions, *, root: str = "", schema: bool = True) -> list[Finding]:
        """Findings on every string in ``args``; paths are JSON pointers (prefixed with ``root``).

        Runs to the end without yielding: for short arguments and callers outside the
        event loop. The gateway's stages use ``arguments_async``.
        """
        return jsondoc.run(self.arguments_steps(args, opts, root=root, schema=schema))

    async def arguments_async(
        self, args: Any, opts: InspectOptions, *, root: str = "", schema: bool = True, size: int | None = None
    ) -> list[Finding]:
        """``arguments`` for the event loop: on it when ``size`` (the encoded arguments' length)
        is at most ``INLINE_BYTES``, else in the inspection process (also when ``size`` is unknown)."""
        if size is not None and size <= INLINE_BYTES:
            return self.arguments(args, opts, root=root, schema=schema)
        if self._spec is not None:
            return await procpool.arguments(self._spec, args, opts, root, schema)
        return await self._off_loop(partial(self.arguments, args, opts, root=root, schema=schema))

    def arguments_steps(self, args: Any, opts: InspectOptions, *, root: str = "", schema: bool = True) -> Steps:
        """``arguments`` as a generator that yields after each bounded step of work."""
        out = FindingCap()
        if schema and opts.schema is not None:
            out.add(schema_findings(args, opts.schema))
            yield
        limits: list[Finding] = []
        found, chars = self._walk(args, root, limits)
        out.add(limits)
        yield
        if chars + len(found) * _SEP_LEN < SLICE:  # the usual call: one batch, no string sliced
            out.add(h.finding for h in self._scan_strings(found, opts))
            return out.result()
        batch: list[_Str] = []
        size = 0
        for s in found:
            n = len(s.text)
            if n > SLICE + OVERLAP:  # a long string: scanned alone, slice by slice
                for a, b in _slices(s.text):
                    part = _Str(s.text[a:b], s.loc, s.key, a, s.path_)
                    hits = self._scan_strings([part], opts)
                    out.add(h.finding for h in hits if h.span is None or h.span[0] < a + SLICE or b == len(s.text))
                    s.path_ = part.path_
                    yield
                continue
            batch.append(s)
            size += n + _SEP_LEN
            if size >= SLICE:
                out.add(h.finding for h in self._scan_strings(batch, opts))
                batch, size = [], 0
                yield
        if batch:
            out.add(h.finding for h in self._scan_strings(batch, opts))
        return out.result()

    def _walk(self, args: Any, root: str, out: list[Finding]) -> tuple[list[_Str], int]:
        """The strings of ``args`` (and long keys), depth-first, and their characters in all; limits become
        findings in ``out``.

        Parsed JSON holds exact ``dict``/``list``/``str``: those are told apart by ``type``,
        anything else (a subclass from another caller) by ``isinstance``."""
        limit_t = Target("", "", "request_arg", "")
        stack: list[tuple[Any, _Loc, str, int]] = [(args, root, "", 0)]
        pop, push = stack.pop, stack.append
        found: list[_Str] = []
        strings = chars = 0
        while stack:
            v, loc, key, depth = pop()
            if depth > MAX_DEPTH:
                limit_t.path = pointer(loc)
                out.append(finding("limits", limit_t, "too_deep", "high", ("LLM10",), f"depth>{MAX_DEPTH}", 1.0))
                continue
            t = type(v)
            if t is not str and t is not dict and t is not list:
                if t in _LEAVES:
                    continue
                if isinstance(v, dict):
                    t = dict
                elif isinstance(v, list):
                    t = list
                elif isinstance(v, str):
                    t = str
                else:
                    continue
            if t is dict:
                d = depth + 1
                for k, x in v.items():  # (stack order: findings come deepest-last-first, deterministically)
                    if type(k) is str:
                        push((x, (loc, k), k, d))
                        if len(k) > 16:  # a key can carry text too
                            push((k, (loc, k), "", d))
                    else:
                        sk = str(k)
                        push((x, (loc, sk), sk, d))
                        if isinstance(k, str) and len(k) > 16:
                            push((k, (loc, k), "", d))
            elif t is list:
                d = depth + 1
                for i, x in enumerate(v):
                    push((x, (loc, i), key, d))
            else:
                strings += 1
                n = len(v)
                chars += n
                if strings > MAX_STRINGS or chars > MAX_CHARS:
                    limit_t.path = pointer(loc)
                    out.append(finding("limits", limit_t, "too_much_text", "high", ("LLM10",), "", 1.0))
                    break
                if n > MAX_STRING:
                    limit_t.path = pointer(loc)
                    out.append(finding("limits", limit_t, "oversized_string", "medium", ("LLM10",), str(n), 1.0))
                found.append(_Str(v, loc, key.lower()))
        return found, chars

    def _scan_strings(self, found: list[_Str], opts: InspectOptions) -> list[Hit]:
        """Run each detector once over all strings joined, and per string only where that found something.

        Regex calls cost about a microsecond each however short the string, so scanning a
        payload's strings one by one with every detector is dominated by call overhead.
        The joined scan is a prefilter: a string's own match is also a match in the joined
        text (the separator keeps ``^``, ``\\b`` and ``\\n`` anchors true at the edges), so a
        detector that finds nothing there finds nothing in any string. Detectors whose hits
        all carry raw spans (``spans_raw``) have them attributed to strings by offset; the
        others rescan each string once they found something. A detector may bring its own
        prefilter (``maybe``) instead. Detectors that judge by the field name (``keyed``)
        or a whole string (``per_string``) also run per string. Spans in the returned hits
        are relative to each string's ``offset`` in its original.
        """
        if not found:
            return []
        if len(found) == 1:
            s = found[0]
            alone = self.scan_text(s.text, "request_arg", "", s.key, opts)
            for h in alone:
                _place(h, s)
            return alone
        texts = [s.text for s in found]
        joined = JOINED_SEP.join(texts)
        starts = list(accumulate([len(text) + _SEP_LEN for text in texts[:-1]], initial=0))
        whole = Target(
            joined,
            None,  # folded on first use (by a detector that reads the fold; the prefilter scans ASCII text as it is)
            "request_arg",
            "",
            "",
            opts.tags,
            opts.allowed_roots,
            opts.shell_commands,
            opts.sql_verbs,
        )
        targets: list[Target | None] = [None] * len(found)
        hits: list[tuple[int, int, list[Hit]]] = []
        # No string holds an anchor that the joined text lacks: a closed detector runs only
        # on strings under field names it keys on.
        is_open = self.prefilter.open(whole) if self.prefilter is not None else None
        keys = {s.key for s in found}
        for di, d in enumerate(self.detectors):
            keyed = d.traits.keyed
            if keyed is None and is_open is not None and not is_open[di]:
                continue  # closed, and no field name can open it
            per_string, maybe, mapped = d.traits.per_string, d.traits.maybe, d.traits.spans_raw
            if is_open is not None and not is_open[di]:
                per_string, whole_hits = False, []
            else:
                if maybe is not None:  # the detector's own prefilter, then string by string
                    per_string = maybe(whole)
                whole_hits = [] if per_string or maybe is not None else d.scan(whole)
            rescan: set[int] = set()
            if keyed is not None:  # field names repeat: judge each distinct one once
                hot = {k for k in keys if self._keyed(di, keyed, k)}
                if hot:
                    value = d.traits.keyed_value
                    rescan.update(i for i, s in enumerate(found) if s.key in hot and (value is None or value(s.text)))
            if per_string or (whole_hits and not mapped):
                rescan.update(range(len(found)))
            elif whole_hits:  # every hit has a span in the joined text: attribute it to its string
                for h in whole_hits:
                    if h.span is None:
                        continue
                    si = bisect_right(starts, h.span[0]) - 1
                    if si in rescan or h.span[1] > starts[si] + len(found[si].text):
                        continue  # rescanned below, or spans two strings (an artefact of joining)
                    h.finding.path = found[si].path
                    h.span = (h.span[0] - starts[si], h.span[1] - starts[si])
                    hits.append((si, di, [h]))
            for si in sorted(rescan):
                s = found[si]
                t = targets[si]
                if t is None:  # the path is set on findings only (most strings have none)
                    t = targets[si] = Target(
                        s.text,
                        None,
                        "request_arg",
                        "",
                        s.key,
                        opts.tags,
                        opts.allowed_roots,
                        opts.shell_commands,
                        opts.sql_verbs,
                    )
                h2 = d.scan(t)
                if h2:
                    for h in h2:
                        _place(h, s)
                    hits.append((si, di, h2))
        hits.sort(key=lambda x: (x[0], x[1]))
        return [h for _, _, hs in hits for h in hs]

    def strings(self, args: Any, root: str = "") -> list[tuple[str, str]]:
        """Every string in ``args`` with its JSON pointer (within the walk limits)."""
        return [(s.text, s.path) for s in self._walk(args, root, [])[0][:MAX_STRINGS]]

    # ----------------------------------------------------------------------- output

    def output(self, body: bytes, opts: InspectOptions) -> tuple[list[Finding], list[Hit]]:
        """Findings on a tool's output, and the hits with spans in the decoded text (for redaction)."""
        return jsondoc.run(self.output_steps(body, opts))

    async def output_async(self, body: bytes, opts: InspectOptions) -> tuple[list[Finding], list[Hit]]:
        """``output`` for the event loop: on it up to ``INLINE_BYTES``, else in the inspection process."""
        if len(body) <= INLINE_BYTES:
            return self.output(body, opts)
        if self._spec is not None:
            return await procpool.output(self._spec, body, opts)
        return await self._off_loop(partial(self.output, body, opts))

    def output_steps(self, body: bytes, opts: InspectOptions) -> Generator[None, None, tuple[list[Finding], list[Hit]]]:
        """``output`` as a generator yielding after each slice.

        The text is scanned in slices of ``SLICE`` characters, each reading ``OVERLAP``
        further; a hit is kept by the slice it starts in. Hits are returned with their
        spans up to ``MAX_SPANS_PER_KIND`` per kind, then one span-less hit for the kind
        (redacting it blocks the output); the findings are capped (``FindingCap``).
        """
        text = body.decode("utf-8", errors="replace")
        yield
        hits: list[Hit] = []  # for redaction; findings are capped
        spans: dict[str, int] = {}  # located hits per kind
        overflow: dict[str, Hit] = {}
        first: dict[str, Finding] = {}
        seen_unlocated: set[tuple[str, str, str]] = set()
        cap = FindingCap()
        for a, b in _slices(text):
            part = text[a:b] if (a, b) != (0, len(text)) else text
            for h in self.scan_text(part, "tool_output", "", "", opts):
                if h.span is None:  # no span: keep one per (detector, kind, evidence)
                    k = (h.finding.detector, h.finding.kind, h.finding.evidence)
                    if k in seen_unlocated:
                        continue
                    seen_unlocated.add(k)
                elif h.span[0] >= SLICE and b != len(text):
                    continue  # starts in the overlap: the next slice keeps it
                else:
                    kind = h.finding.kind
                    n_kind = spans[kind] = spans.get(kind, 0) + 1
                    cap.add((h.finding,))
                    if n_kind > MAX_SPANS_PER_KIND:
                        if kind not in overflow:
                            overflow[kind] = Hit(h.finding, None)
                            hits.append(overflow[kind])
                        continue
                    span = (h.span[0] + a, h.span[1] + a)
                    if n_kind > MAX_PER_KIND:
                        # Past the findings kept per kind only the span matters: it shares the
                        # first hit's finding, so thousands of spans keep one object each
                        # alive, not three (the collector's passes stay short).
                        hits.append(Hit(first[kind], span))
                    else:
                        h.span = span
                        first.setdefault(kind, h.finding)
                        hits.append(h)
                    continue
                hits.append(h)
                cap.add((h.finding,))
            yield
        if text[:1] in ("{", "[") and ("\\u" in text or "\\n" in text):
            # JSON escapes can hide text from the whole-body scan: rescan decoded strings
            # (injection only: the other detectors' findings there would repeat the body's).
            try:
                parsed = jsondoc.loads(text, portable=False)  # only read, off the loop
            except ValueError:
                parsed = None
            yield
            if parsed is not None:
                seen = set(cap.per)
                inner = yield from self.only("injection").arguments_steps(parsed, opts, schema=False)
                for f in inner:
                    if f.detector == "injection" and (f.detector, f.kind) not in seen:
                        f.surface = "tool_output"
                        cap.add((f,))
        return cap.result(), hits


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}  # id(schema) -> (schema, its validator)


def _validator(schema: dict[str, Any]) -> Any:
    """The schema's validator, built once per schema object (a tool's settings hold one for
    the gateway's life; building costs about as much as validating a small call). Keyed by
    identity and holding the schema, so an id is never taken for a later object's; bounded."""
    hit = _VALIDATORS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    validator = jsonschema.Draft202012Validator(schema)
    if len(_VALIDATORS) >= 256:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def schema_findings(args: Any, schema: dict[str, Any]) -> list[Finding]:
    validator = _validator(schema)
    t = Target("", "", "request_arg", "")
    out: list[Finding] = []
    for err in sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path)):
        t.path = "".join(_pointer("", p) for p in err.absolute_path)
        kind = "unknown_argument" if err.validator == "additionalProperties" else f"schema_{err.validator}"
        out.append(finding("schema", t, kind, "high", ("LLM06", "ASI02"), err.message[:120], 1.0))
        if len(out) >= 20:
            break
    return out


def redact(text: str, hits: Sequence[Hit], kinds: set[str]) -> str:
    """Replace the spans of hits whose kind is in ``kinds`` with ``[REDACTED:<kind>]``."""
    spans = sorted(
        (h.span[0], h.span[1], h.finding.kind) for h in hits if h.span is not None and h.finding.kind in kinds
    )
    out: list[str] = []
    pos = 0
    for start, end, kind in spans:
        if start < pos:  # overlaps the previous redaction
            continue
        out.append(text[pos:start])
        out.append(f"[REDACTED:{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)
