"""The embedded Rego backend: regorus in process, one engine per gateway process.

``EmbeddedEngine.load(paths, data)`` reads every ``*.rego`` under ``paths``
(recursively, sorted; ``*_test.rego`` only with ``include_tests``; directories whose
name starts with a dot are skipped) and every ``data.json``, placed like an OPA
bundle at its directory's path below the root it was found under
(``policies/limits/data.json`` is ``data.limits``). The caller's ``data`` (e.g.
``{"gateway": {...}}``) is merged on top; two sources defining the same leaf is a
``PolicyLoadError``.

Regorus behaviour this module hides (gordon-to-regorus 0.13.0):

- ``eval_rule_as_json`` returns the JSON string ``"<undefined>"`` for an undefined
  rule, the same as for a rule whose value *is* that string; ``eval_rule`` (slower)
  tells them apart and is asked only in that case. A path that names no rule raises
  ``RuntimeError("not a valid rule path")``; that is undefined too (as in OPA).
- Errors are ``RuntimeError`` with a rustc-style text (``--> file:line:col``,
  a source excerpt, ``error: message``); builtin panics (e.g. ``strings.count(s, "")``)
  are ``pyo3_runtime.PanicException``, a ``BaseException``. Both become
  ``PolicyError``. A panic leaves the rules it was inside marked as "being
  evaluated", so every later evaluation of them fails with "recursion detected";
  after a panic the working engine is therefore replaced by a clone of a pristine
  one kept from load time (cloning shares the parsed policies and takes ~1 µs).
- The first evaluation prepares the policies (a few ms); ``load`` does it up front.
- An engine belongs to the thread that created it: used (or dropped) on another
  thread it panics. ``evaluate`` checks the thread first and raises ``PolicyError``;
  ``close`` on another thread only marks the engine closed.
- Input nesting deeper than 127 levels is refused by ``set_input_json``.
- Unknown builtins (``crypto.*``, ``io.jwt.*``...) are reported when a rule using
  them is evaluated, not at load time.

Decision cache: a decision costs regorus 100-300 µs, and most calls repeat one already
made (same agent token, tool and findings). When the loaded Rego text provably reads
only fixed input paths, none of them per-call (``readset.input_reads``: not
``call.arguments``, ``now`` or ``usage``; no ``with``, no impure built-in), a rule's
result is kept per (rule, the input's values at those paths), up to ``CACHE_ENTRIES``
of at most ``CACHE_ENTRY_CHARS`` each;
an engine's ``data`` never changes, and a reload makes a new engine with an empty
cache. The engine is then also given only those paths of the input (``readset.prune``):
the rules cannot tell, and large arguments are neither encoded nor parsed per call.
Otherwise ``cache_off_reason`` says why there is no cache, and the whole input goes in.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import regorus

from gateway.jsondoc import canonical, compact_encoder
from gateway.policy.engine import PolicyError, PolicyLoadError
from gateway.policy.readset import Path as InputPath
from gateway.policy.readset import input_reads, prune

_UNDEFINED_JSON = '"<undefined>"'
CACHE_ENTRIES = 2048  # decisions kept per engine (the cache is emptied when full)
CACHE_ENTRY_CHARS = 8192  # larger inputs + answers are not kept: at most ~16 M characters in all
_NOT_A_RULE = "not a valid rule path"
_PASS_THROUGH = (KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit)
_LOCATION = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\s*$", re.MULTILINE)
_ERROR_LINE = re.compile(r"^error:\s?", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Source:
    """One loaded file: ``path`` as shown in messages, ``rel`` below its root."""

    path: str
    rel: str
    kind: Literal["rego", "data"]
    text: str


@dataclass(frozen=True, slots=True)
class EngineMessage:
    """A regorus error text taken apart."""

    file: str | None
    line: int | None
    column: int | None
    message: str
    excerpt: str

    def one_line(self) -> str:
        if self.file is None:
            return self.message
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def full(self) -> str:
        return f"{self.one_line()}\n{self.excerpt}" if self.excerpt else self.one_line()


def parse_engine_message(text: str) -> EngineMessage:
    """Split regorus' ``--> file:line:col`` / excerpt / ``error: msg`` text."""
    text = text.strip("\n")
    loc = _LOCATION.search(text)
    err = _ERROR_LINE.search(text)
    if loc is None:
        return EngineMessage(None, None, None, " ".join(text.split()), "")
    message = text[err.end() :].strip() if err else text[loc.end() :].strip()
    excerpt = text[loc.end() : err.start() if err else len(text)].strip("\n").rstrip()
    return EngineMessage(loc["file"], int(loc["line"]), int(loc["col"]), message, excerpt)


def _discover(paths: Sequence[Path], include_tests: bool) -> list[tuple[Path, str, Literal["rego", "data"]]]:
    found: list[tuple[Path, str, Literal["rego", "data"]]] = []
    for root in paths:
        candidates: list[tuple[Path, str]] = []
        if root.is_file():
            candidates.append((root, root.name))
        elif root.is_dir():
            for p in root.rglob("*"):
                below = p.relative_to(root)
                if any(part.startswith(".") for part in below.parts) or not p.is_file():
                    continue
                candidates.append((p, below.as_posix()))
            candidates.sort(key=lambda c: c[1])
        else:
            raise PolicyLoadError(f"{root}: no such file or directory", file=str(root))
        for p, rel in candidates:
            if p.name == "data.json":
                found.append((p, rel, "data"))
            elif p.suffix == ".rego" and (include_tests or not p.name.endswith("_test.rego")):
                found.append((p, rel, "rego"))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PolicyLoadError(f"{path}: not UTF-8 text ({e.reason})", file=str(path)) from e
    except OSError as e:
        raise PolicyLoadError(f"{path}: cannot read: {e.strerror}", file=str(path)) from e


def _merge(dst: dict[str, Any], src: Mapping[str, Any], at: tuple[str, ...], source: str, *, line: int | None) -> None:
    for key, value in src.items():
        here = (*at, key)
        if key not in dst:
            dst[key] = value
        elif isinstance(dst[key], dict) and isinstance(value, Mapping):
            _merge(dst[key], value, here, source, line=line)
        else:
            where = f"{source}:{line}" if line else source
            raise PolicyLoadError(f"{where}: data.{'.'.join(here)} is defined twice", file=source, line=line)


def _data_file(src: Source) -> dict[str, Any]:
    """The document a ``data.json`` contributes, nested at its directory's path."""
    try:
        value = json.loads(src.text)
    except json.JSONDecodeError as e:
        raise PolicyLoadError(f"{src.path}:{e.lineno}: invalid JSON: {e.msg}", file=src.path, line=e.lineno) from e
    prefix = [part for part in Path(src.rel).parent.parts if part not in ("", ".")]
    if not prefix and not isinstance(value, dict):
        raise PolicyLoadError(f"{src.path}:1: a root data.json must hold an object", file=src.path, line=1)
    for part in reversed(prefix):
        value = {part: value}
    if not isinstance(value, dict):  # pragma: no cover - prefix non-empty makes it a dict
        raise PolicyLoadError(f"{src.path}:1: unusable data", file=src.path, line=1)
    return value


def _canonical(data: Mapping[str, Any]) -> str:
    try:
        return canonical(data).decode()
    except (TypeError, ValueError, RecursionError) as e:
        raise PolicyLoadError(f"policy data is not JSON: {e}") from e


_encode_input = compact_encoder(sort_keys=False)
"""The policy input as ``json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)``."""


def _new_regorus_engine() -> Any:
    # With RUST_BACKTRACE set, a builtin panic prints a full Rust backtrace to stderr.
    os.environ.pop("RUST_BACKTRACE", None)
    return regorus.Engine()


# A regorus engine may only be dropped on the thread that made it (elsewhere PyO3 raises
# "unsendable ... dropped on another thread" and leaks it). The garbage collector can
# finalize an ``EmbeddedEngine`` on any thread (an inspection or classifier worker, a
# ``to_thread`` call): its engines then wait here, keyed by their thread, and that thread
# drops them the next time it loads or evaluates. Bounded by the engines a process makes.
_GRAVEYARD: dict[int, list[Any]] = {}


def _bury(thread: int, engines: list[Any]) -> None:
    _GRAVEYARD.setdefault(thread, []).extend(engines)


def _drain() -> None:
    _GRAVEYARD.pop(threading.get_ident(), None)  # dropped here, on their own thread


class EmbeddedEngine:
    """A ``PolicyEngine`` evaluating in process with regorus, on its creating thread only."""

    def __init__(self, engine: Any, sources: Sequence[Source], data_json: str) -> None:
        self._pristine = engine  # never evaluates; cloned to replace a working engine after a panic
        self._engine = engine.clone()
        self._thread = threading.get_ident()
        self._closed = False
        self.sources: tuple[Source, ...] = tuple(sources)
        digest = hashlib.sha256()
        for src in sorted(self.sources, key=lambda s: (s.rel, s.kind, s.text)):
            digest.update(f"{src.kind}\0{src.rel}\0".encode())
            digest.update(src.text.encode())
            digest.update(b"\0")
        digest.update(b"data\0")
        digest.update(data_json.encode())
        self._revision = "sha256:" + digest.hexdigest()[:16]
        reads, why_not = input_reads(src.text for src in self.sources if src.kind == "rego")
        self.cache_paths: tuple[InputPath, ...] | None = None if why_not else tuple(sorted(reads))
        self.cache_off_reason = why_not
        self._cache: dict[str, str] = {}
        self.cache_hits = self.cache_misses = 0

    @classmethod
    def load(
        cls,
        paths: Sequence[Path],
        data: Mapping[str, Any],
        *,
        include_tests: bool = False,
        gather_prints: bool = False,
    ) -> EmbeddedEngine:
        """Load policies and data; raises ``PolicyLoadError`` naming ``file:line``.

        ``gather_prints`` keeps Rego ``print()`` output for ``take_prints()`` instead
        of writing it to stderr (for ``policy test``; a server would accumulate it).
        """
        sources = [
            Source(str(path), rel, kind, _read(path))
            for path, rel, kind in _discover([Path(p) for p in paths], include_tests)
        ]
        if not any(s.kind == "rego" for s in sources):
            raise PolicyLoadError(f"no .rego files under {', '.join(str(p) for p in paths)}")
        data_json = _canonical(data)
        merged: dict[str, Any] = {}
        for src in sources:
            if src.kind == "data":
                _merge(merged, _data_file(src), (), src.path, line=1)
        _merge(merged, json.loads(data_json), (), "policy data", line=None)

        _drain()
        engine = _new_regorus_engine()
        try:
            engine.set_gather_prints(gather_prints)
            for src in sources:
                if src.kind == "rego":
                    try:
                        engine.add_policy(src.path, src.text)
                    except _PASS_THROUGH:
                        raise
                    except BaseException as e:
                        msg = parse_engine_message(str(e))
                        file = msg.file or src.path
                        text = msg.full() if msg.file else f"{src.path}: {msg.message}"
                        raise PolicyLoadError(text, file=file, line=msg.line) from e
            if merged:
                engine.add_data_json(json.dumps(merged, ensure_ascii=False))
            engine.eval_query("true")  # prepares the policies now rather than on the first call
        # The traceback keeps this frame alive, maybe until a collection on another thread:
        # a failed load drops its engine here, on its own thread.
        except PolicyLoadError:
            engine = None
            raise
        except _PASS_THROUGH:
            engine = None
            raise
        except BaseException as e:
            engine = None
            raise PolicyLoadError(f"cannot load policies: {parse_engine_message(str(e)).one_line()}") from e
        return cls(engine, sources, data_json)

    @property
    def revision(self) -> str:
        return self._revision

    @property
    def ready(self) -> bool:
        return not self._closed  # loaded: a set that fails to load never gets this far

    def evaluate_sync(self, rule: str, input_doc: Mapping[str, Any] | None) -> Any:
        """``evaluate`` without the coroutine, for callers that are not async (``policy test``).

        ``input_doc=None`` leaves the input as it was: undefined on an engine that
        was never given one (how ``policy test`` runs tests).
        """
        if self._closed:
            raise PolicyError("the policy engine is closed")
        if threading.get_ident() != self._thread:
            raise PolicyError("the embedded policy engine was used from a thread other than the one that loaded it")
        if _GRAVEYARD:
            _drain()
        payload: str | None = None
        key: str | None = None
        if input_doc is not None:
            doc = input_doc if self.cache_paths is None else prune(input_doc, self.cache_paths)
            try:
                payload = _encode_input(doc)
            except (TypeError, ValueError, RecursionError) as e:
                raise PolicyError(f"policy input is not JSON: {e}") from e
            if self.cache_paths is not None:
                key = rule + "\0" + payload
                cached = self._cache.get(key)
                if cached is not None:
                    self.cache_hits += 1
                    return json.loads(cached)
                self.cache_misses += 1
        engine = self._engine
        try:
            if payload is not None:
                engine.set_input_json(payload)
            out: str = engine.eval_rule_as_json(rule)
            if out == _UNDEFINED_JSON:
                return engine.eval_rule(rule)  # None when undefined, else the string "<undefined>"
        except _PASS_THROUGH:
            engine = None
            raise
        except BaseException as e:
            # The traceback keeps this frame alive, maybe until a collection on another
            # thread; a panicked engine replaced below must be dropped here, on its own.
            engine = None
            if isinstance(e, RuntimeError) and str(e).strip() == _NOT_A_RULE:
                return None
            kind = "failed"
            if not isinstance(e, Exception):
                kind = "panicked"
                self._engine = self._pristine.clone()
            raise PolicyError(f"evaluating {rule} {kind}: {parse_engine_message(str(e)).one_line()}") from e
        try:
            value = json.loads(out)
        except ValueError as e:
            raise PolicyError(f"evaluating {rule} gave invalid JSON: {e}") from e
        if key is not None and len(key) + len(out) <= CACHE_ENTRY_CHARS:
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = out
        return value

    async def evaluate(self, rule: str, input_doc: Mapping[str, Any]) -> Any:
        return self.evaluate_sync(rule, input_doc)

    def take_prints(self) -> list[str]:
        """Rego ``print()`` output gathered since the last call (``gather_prints=True``)."""
        if self._closed or threading.get_ident() != self._thread:
            return []
        try:
            return [str(line) for line in self._engine.take_prints()]
        except _PASS_THROUGH:
            raise
        except BaseException:
            return []

    async def close(self) -> None:
        self._closed = True
        if threading.get_ident() == self._thread:
            # Dropped here, on its own thread; dropped elsewhere it would panic.
            self._engine = self._pristine = None

    def __del__(self) -> None:
        if threading.get_ident() != getattr(self, "_thread", threading.get_ident()):
            _bury(self._thread, [e for e in (self._engine, self._pristine) if e is not None])
